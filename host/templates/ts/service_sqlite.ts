// The `{{service}}` service: implements `{{package}}/{{service}}` (wit/{{service}}.wit), and
// counts each name's visits in its own database, through the typed queries of db/queries.sql
// (the WIT interface `{{db_package}}/queries`).
//
// componentize-js runs this module's top level when it builds the component: keep it free of
// what should happen when the service runs.
import { Err, log } from "parigot";
import { checked, SqliteError } from "parigot/sqlite";
import { countVisits, recordVisit } from "{{db_package}}/queries";

log.routeConsole(); // console.log goes to the host's log

export const {{js_export}} = {
  /** Says hello to `name`, with how many times `name` has visited. */
  hello(name: string): string {
    let visits: number;
    try {
      checked(() => recordVisit(name));
      visits = Number(checked(() => countVisits(name)) ?? 0n);
    } catch (error) {
      if (error instanceof SqliteError) throw new Err(`cannot count visits: ${error.message}`);
      throw error;
    }
    log.info("saying hello", { greeted: name, visits });
    return `Hello, ${name}! (visit ${visits})`;
  },
};
