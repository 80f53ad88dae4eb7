// Errors an exported function returns, and the payload of an error an import returned.

/** `throw new Err(payload)` in an exported function returns `err(payload)` to its caller. */
export class Err extends Error {
  constructor(payload) {
    super(describe(payload));
    this.name = "Err";
    // componentize-js returns an own `payload` property as the function's `err`.
    this.payload = payload;
  }
}

/** A short text for an error payload: a string as it is, a variant `tag(val)`, else JSON. */
export function describe(payload) {
  if (typeof payload === "string") return payload;
  if (payload && typeof payload === "object" && "tag" in payload) {
    return payload.val === undefined ? payload.tag : `${payload.tag}(${describe(payload.val)})`;
  }
  return show(payload);
}

/** A value as a test report or a log field shows it: JSON, with BigInts as numbers. */
export function show(value) {
  if (value === undefined) return "undefined";
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Error && !("payload" in value)) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value, (_, v) => (typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? [...v] : v));
  } catch {
    return String(value);
  }
}

/** The payload of an error a call to an import threw (componentize-js's `ComponentError`), or
 * `undefined` for any other error. */
export function payloadOf(error) {
  return error && typeof error === "object" && Object.hasOwn(error, "payload") ? error.payload : undefined;
}
