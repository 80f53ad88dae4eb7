// Builds a JavaScript or TypeScript service for parigot-host (build/javascript.rs), in two steps:
//   node componentize.mjs bundle PACKAGE SOURCE SDK WASI OUT.js
//     rolldown bundles the service's module (TypeScript's types stripped) and what it imports
//     into one ES module; `parigot` and `parigot/NAME` are the SDK's modules (read from the
//     folder SDK). WIT imports (`pkg:name/interface@version`) stay imports; the SDK's imports of
//     WASI take the version WASI (the one the service's WIT has). The bundle ends with a table
//     from its lines to the lines of the service's files, which the SDK's tests use to say
//     where a check failed.
//   node componentize.mjs component PACKAGE BUNDLE WIT WORLD OUT.wasm
//     componentize-js makes a component of the world WORLD of it; WASI's HTTP (and the fetch
//     event built on it) is left out, since parigot does not link `wasi:http`.
//   node componentize.mjs check PACKAGE TSCONFIG
//     TypeScript's compiler checks the types of the files TSCONFIG names, without output.
// PACKAGE is the folder of @bytecodealliance/componentize-js (rolldown and TypeScript come
// with it).
import { spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [step, packageFolder, ...args] = process.argv.slice(2);
const required = createRequire(join(packageFolder, "package.json"));

/** The SDK's modules, served from `sdk` under ids that do not depend on where it was written. */
function sdkModules(sdk, wasi) {
  const prefix = "\0parigot-sdk/";
  return {
    name: "parigot-sdk",
    resolveId(source, importer) {
      if (importer?.startsWith(prefix) && source.startsWith("wasi:")) {
        return { id: source.replace(/@[^@]*$/, `@${wasi}`), external: true };
      }
      if (source === "parigot") return `${prefix}index.js`;
      if (source.startsWith("parigot/")) return `${prefix}${source.slice("parigot/".length)}.js`;
      if (importer?.startsWith(prefix) && source.startsWith("./")) return `${prefix}${basename(source)}`;
      return null;
    },
    async load(id) {
      if (!id.startsWith(prefix)) return null;
      const file = join(sdk, id.slice(prefix.length));
      try {
        return { code: await readFile(file, "utf8"), moduleSideEffects: false };
      } catch {
        throw new Error(`parigot's JavaScript SDK has no module \`${id.slice(prefix.length, -3)}\` (import "parigot", "parigot/sqlite", "parigot/test" or "parigot/sim")`);
      }
    },
  };
}

async function bundle(source, sdk, wasi, out) {
  const { rolldown } = await import(pathToFileURL(required.resolve("rolldown")).href);
  const bundled = await rolldown({
    input: source,
    // `parigot:sqlite/sqlite@0.1.0`, `notes:db/queries`: imports of the component.
    external: [/^[a-z][a-z0-9-]*:[a-z]/],
    plugins: [sdkModules(sdk, wasi)],
    platform: "neutral",
    treeshake: { moduleSideEffects: (id, external) => !external && !id.startsWith("\0parigot-sdk/") },
    logLevel: "warn",
    onLog(level, log) {
      console.error(`${level}: ${log.message}`);
    },
  });
  const { output } = await bundled.generate({ file: out, format: "esm", comments: false, sourcemap: true });
  const [chunk] = output;
  const sources = chunk.map.sources.map((source) =>
    source.includes("parigot-sdk/") ? `(parigot SDK)/${basename(source)}` : relative(process.cwd(), resolve(dirname(out), source)),
  );
  const table = { sources, lines: sourceLines(chunk.map.mappings) };
  await writeFile(out, `${chunk.code}\nglobalThis[Symbol.for("parigot.sourceLines")] = ${JSON.stringify(table)};\n`);
}

/** For each line of the bundle, the [source, line] its first mapped piece comes from. */
function sourceLines(mappings) {
  const lines = [];
  let source = 0;
  let line = 0;
  for (const generated of mappings.split(";")) {
    let first = null;
    for (const segment of generated.split(",").filter(Boolean)) {
      const fields = vlq(segment);
      if (fields.length < 4) continue;
      source += fields[1];
      line += fields[2];
      first ??= [source, line + 1];
    }
    lines.push(first);
  }
  return lines;
}

/** The numbers of one base64 VLQ segment of a source map. */
function vlq(segment) {
  const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const numbers = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = digits.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    numbers.push(value & 1 ? -(value >>> 1) : value >>> 1);
    value = 0;
    shift = 0;
  }
  return numbers;
}

async function component(bundled, witPath, worldName, out) {
  const { componentize } = await import(pathToFileURL(join(packageFolder, "src", "componentize.js")).href);
  const { component } = await componentize({
    sourcePath: bundled,
    witPath,
    worldName,
    disableFeatures: ["http", "fetch-event"],
  });
  await writeFile(out, component);
}

function check(tsconfig) {
  const tsc = join(dirname(required.resolve("typescript/package.json")), "bin", "tsc");
  // tsc reports on stdout: passed on to stderr, where parigot-host shows a tool's messages.
  const run = spawnSync(process.execPath, [tsc, "-p", tsconfig, "--pretty", "false"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  process.stderr.write(run.stdout ?? "");
  if (run.status !== 0) throw new Error("the TypeScript above does not type-check");
}

try {
  if (step === "check") check(...args);
  else if (step === "bundle") await bundle(...args);
  else if (step === "component") await component(...args);
  else throw new Error(`unknown step ${step}`);
} catch (error) {
  console.error(error?.message ?? String(error));
  process.exit(1);
}
