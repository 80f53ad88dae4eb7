// Structured logging to the host (`parigot:log/log`).
import * as host from "parigot:log/log@0.1.0";
import { show } from "./errors.js";

const LEVELS = ["trace", "debug", "info", "warn", "error"];
const S64_MIN = -(2n ** 63n);
const S64_MAX = 2n ** 63n - 1n;

function value(v) {
  if (typeof v === "boolean") return { tag: "boolean", val: v };
  if (typeof v === "bigint" && v >= S64_MIN && v <= S64_MAX) return { tag: "integer", val: v };
  if (typeof v === "number") {
    return Number.isSafeInteger(v) ? { tag: "integer", val: BigInt(v) } : { tag: "real", val: v };
  }
  if (typeof v === "string") return { tag: "text", val: v };
  return { tag: "text", val: show(v) };
}

function fieldsOf(fields) {
  return Object.entries(fields ?? {}).map(([key, v]) => ({ key, value: value(v) }));
}

function write(level, message, fields) {
  host.log(level, String(message), fieldsOf(fields));
}

export function trace(message, fields) {
  write("trace", message, fields);
}
export function debug(message, fields) {
  write("debug", message, fields);
}
export function info(message, fields) {
  write("info", message, fields);
}
export function warn(message, fields) {
  write("warn", message, fields);
}
export function error(message, fields) {
  write("error", message, fields);
}

export function enabled(level) {
  if (!LEVELS.includes(level)) throw new TypeError(`a log level is one of ${LEVELS.join(", ")}, not ${show(level)}`);
  return host.enabled(level);
}

function text(args) {
  return args.map((arg) => (typeof arg === "string" ? arg : show(arg))).join(" ");
}

export function routeConsole() {
  const levels = { debug: "debug", log: "info", info: "info", warn: "warn", error: "error", trace: "trace" };
  for (const [method, level] of Object.entries(levels)) {
    console[method] = (...args) => write(level, text(args), undefined);
  }
}
