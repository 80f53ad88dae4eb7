// The `{{service}}` program: `parigot-host run` runs it once the services have started. It
// greets every name the wos gives it in `args` (`[services.{{service}}] args`).
import { log } from "parigot";
import { args } from "parigot/program";

export const run = {
  run(): void {
    const names: string[] = args();
    log.info("greeting", { names: names.length });
    for (const name of names) console.log(`Hello, ${name}!`);
  },
};
