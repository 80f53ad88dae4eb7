// Test program in JavaScript (world `sleeper`): runs its arguments in order, like the Rust
// faults driver: `ping` and `sleep:MS` call the faults service, `nap:MS` waits in the program
// itself (on the clock: JavaScript has no blocking sleep).
import { Err } from "parigot";
import { args } from "parigot/program";
import * as faults from "parigot:testing/faults@0.1.0";

function nap(ms) {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

export const run = {
  run() {
    for (const arg of args()) {
      const [verb, value] = arg.split(":");
      if (verb === "ping") console.log(`${arg} -> ${faults.ping()}`);
      else if (verb === "sleep") console.log(`${arg} -> ${faults.sleep(Number(value))}`);
      else if (verb === "nap") {
        nap(Number(value));
        console.log(`${arg} -> ${value}`);
      } else {
        console.error(`unknown command \`${verb}\`: use ping, sleep:MS or nap:MS`);
        throw new Err(undefined);
      }
    }
  },
};
