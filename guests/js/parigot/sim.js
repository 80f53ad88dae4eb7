// Tests under a simulation's faults (`parigot-host test --sim`): `attempt` runs an operation
// whose calls to services may fail, and throws `CallFailed` with the failure instead of failing
// the test; `injected` tells which faults the host injected so far. Import it only in a test
// component (its world includes parigot:test/test-component@0.1.0).
import * as sim from "parigot:test/sim@0.1.0";

/** An operation's call to a service failed: where the failure began, its kind (`trap`,
 * `deadline`, `unavailable`...) and the host's message. */
export class CallFailed extends Error {
  constructor(failure) {
    super(failure.message);
    this.name = "CallFailed";
    this.service = failure.service;
    this.function = failure.function;
    this.kind = failure.kind;
  }
}

/** Runs `operation` and returns its value; when one of the calls it makes to a service fails (a
 * trap, a deadline, a fault the simulation injected...), throws `CallFailed` instead of failing
 * the test. The calls `operation` makes after that one are not made (they answer placeholders,
 * which `attempt` drops). What `operation` throws itself passes through, the catch closed. */
export function attempt(operation) {
  sim.catchFailures();
  let value, failure;
  try {
    value = operation();
  } finally {
    failure = sim.caught();
  }
  if (failure !== undefined) throw new CallFailed(failure);
  return value;
}

/** The faults the simulation injected so far in this run, oldest first (none outside `--sim`):
 * each with `step` (a bigint), `kind` (`call-trap`...), `service`, `at` and `trace`. */
export function injected() {
  return sim.injected();
}
