// The per-call context (`parigot:context/pctx`) of the call under way.
import * as pctx from "parigot:context/pctx@0.1.0";
import { payloadOf } from "./errors.js";

/** What the call under way carries from its caller. */
export class Context {
  constructor(raw) {
    this.requestId = raw.requestId;
    this.traceId = raw.traceId;
    this.spanId = raw.spanId;
    this.parentSpanId = raw.parentSpanId;
    this.sampled = raw.sampled;
    this.timeLeftMs = raw.timeLeftMs === undefined ? undefined : Number(raw.timeLeftMs);
    this.user = raw.user;
    this.baggage = raw.baggage.map(([key, value]) => [key, value]);
  }

  get loggedIn() {
    return this.user !== undefined;
  }

  baggageValue(key) {
    const member = this.baggage.find(([k]) => k === key);
    return member ? member[1] : undefined;
  }
}

/** Baggage could not be added: an invalid key, or past W3C's limits. */
export class BaggageError extends Error {
  constructor(message, key) {
    super(message);
    this.name = "BaggageError";
    this.key = key;
  }
}

export function current() {
  return new Context(pctx.current());
}

export function requireUser() {
  return pctx.requireUser();
}

export function setBaggage(key, value) {
  try {
    pctx.setBaggage(key, value);
  } catch (error) {
    const payload = payloadOf(error);
    if (payload === undefined) throw error;
    if (payload.tag === "invalid-key") {
      throw new BaggageError(`baggage key ${JSON.stringify(payload.val)} is not a W3C token`, payload.val);
    }
    throw new BaggageError("the baggage would be over W3C's limits (180 members, 8192 bytes)", key);
  }
}

export function removeBaggage(key) {
  pctx.removeBaggage(key);
}
