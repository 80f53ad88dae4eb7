/** Tests under a simulation's faults (`parigot-host test --sim`). */

/** A fault the simulation injected. */
export interface Fault {
  /** The crossing of a boundary it was injected at, counted from 1 in the run. */
  step: bigint;
  /** Its key in `[sim.faults]`: `call-trap`, `sqlite-busy`, `restart`... */
  kind: string;
  /** The service it was injected into. */
  service: string;
  /** The function or statement it was injected at. */
  at: string;
  /** The trace of the call it was injected in (32 hex digits). */
  trace: string;
}

/** An operation's call to a service failed. */
export declare class CallFailed extends Error {
  /** The service (or remote host) where the failure began. */
  service: string;
  /** The function that failed there. */
  function: string;
  /** `trap`, `deadline`, `unavailable`, `remote`... */
  kind: string;
}

/** Runs `operation` and returns its value; when one of its calls to a service fails, throws
 * `CallFailed` instead of failing the test (the calls after it are not made). */
export declare function attempt<T>(operation: () => T): T;

/** The faults the simulation injected so far in this run, oldest first (none outside `--sim`). */
export declare function injected(): Fault[];
