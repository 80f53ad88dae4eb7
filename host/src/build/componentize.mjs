// Builds a JavaScript service with componentize-js, for parigot-host (build/javascript.rs):
//   node componentize.mjs COMPONENTIZE_JS SOURCE WIT WORLD OUT
// COMPONENTIZE_JS is the folder of the @bytecodealliance/componentize-js package. WASI's HTTP
// (and the fetch event built on it) is left out: parigot does not link `wasi:http`.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [packageFolder, sourcePath, witPath, worldName, out] = process.argv.slice(2);
const { componentize } = await import(pathToFileURL(join(packageFolder, "src", "componentize.js")).href);
const { component } = await componentize({
  sourcePath,
  witPath,
  worldName,
  disableFeatures: ["http", "fetch-event"],
});
await writeFile(out, component);
