/**
 * The JavaScript and TypeScript SDK of parigot services.
 *
 * - `context`: the per-call context of the call under way (`context.current()`), baggage and
 *   `requireUser()`.
 * - `log`: structured lines to the host (`log.info("sold", { item: 42 })`), and
 *   `log.routeConsole()` to send `console.*` there too.
 * - `Err`: `throw new Err(payload)` makes an exported function return `err(payload)`.
 * - `parigot/sqlite`, `parigot/files`, `parigot/program`, `parigot/test` and `parigot/sim` are
 *   modules of their own, for services whose world (or wos grant) has them.
 *
 * A service using `context` or `log` includes `parigot:sdk/imports@0.1.0` in its world.
 * @module parigot
 */
export * as context from "./context.js";
export * as log from "./log.js";
export { Err } from "./errors.js";
