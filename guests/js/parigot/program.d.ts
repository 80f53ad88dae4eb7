/**
 * What a program (a service whose world exports `wasi:cli/run`) is run with.
 * `export const run = { run() { ... } }` is its entry point.
 * @module parigot/program
 */

/** The program's arguments (the wos's `args`), without the program's name. */
export function args(): string[];

/** The environment the wos gives the program (`env`). */
export function env(): Record<string, string>;
