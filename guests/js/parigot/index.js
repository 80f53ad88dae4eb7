// The JavaScript SDK of parigot services. `import { context, log, Err } from "parigot"`; the
// database is `parigot/sqlite`, tests are `parigot/test`. See index.d.ts for the documentation.
export * as context from "./context.js";
export * as log from "./log.js";
export { Err } from "./errors.js";
