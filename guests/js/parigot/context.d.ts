/** The per-call context (`parigot:context/pctx`) of the call under way. @module parigot/context */

/** What the call under way carries from its caller. */
export class Context {
  /** The request that started the chain (the edge's `x-request-id`, or one the host made). */
  readonly requestId: string;
  /** The W3C trace id: 32 hex digits, the same at every hop. */
  readonly traceId: string;
  /** This call's W3C span id: 16 hex digits. */
  readonly spanId: string;
  /** The span of the call that made this one. */
  readonly parentSpanId: string | undefined;
  /** The W3C `sampled` flag. */
  readonly sampled: boolean;
  /** How long the call may still run, in milliseconds, when it has a deadline. */
  readonly timeLeftMs: number | undefined;
  /** The authenticated user the chain runs as, or `undefined` when logged out. */
  readonly user: string | undefined;
  /** The W3C baggage, `[key, value]` in the order its members were added. */
  readonly baggage: ReadonlyArray<[string, string]>;
  /** Whether the chain runs as an authenticated user. */
  readonly loggedIn: boolean;
  /** The value of baggage member `key`, or `undefined`. */
  baggageValue(key: string): string | undefined;
}

/** Baggage could not be added: an invalid key, or past W3C's limits. */
export class BaggageError extends Error {
  /** The key that was refused. */
  readonly key: string;
}

/** The context of the call under way. */
export function current(): Context;

/**
 * The user the chain runs as, for a service that serves logged-in callers only. When the caller
 * did not log in it returns `undefined`, and the request that started the chain is answered as
 * unauthenticated (gRPC UNAUTHENTICATED, Connect 401) whatever the service returns: return
 * early (`throw new Err(...)` for a function that returns a `result`).
 */
export function requireUser(): string | undefined;

/**
 * Adds `key=value` to the baggage of the call under way, for every call the service makes for
 * the rest of it. Throws `BaggageError` for a key that is not a W3C token, or past W3C's limits
 * (180 members, 8192 bytes).
 */
export function setBaggage(key: string, value: string): void;

/** Removes `key` from the baggage of the call under way. */
export function removeBaggage(key: string): void;
