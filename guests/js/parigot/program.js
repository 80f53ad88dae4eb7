// What a JavaScript program (a service whose world exports `wasi:cli/run`) is run with.
import { getArguments, getEnvironment } from "wasi:cli/environment@0.2.12";

/** The program's arguments (the wos's `args`), without the program's name. */
export function args() {
  return getArguments().slice(1);
}

/** The environment the wos gives the program (`env`), as an object. */
export function env() {
  return Object.fromEntries(getEnvironment());
}
