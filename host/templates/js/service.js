// The `{{service}}` service: implements `{{package}}/{{service}}` (wit/{{service}}.wit).
//
// componentize-js runs this module's top level when it builds the component: keep it free of
// what should happen when the service runs.
import { log } from "parigot";

log.routeConsole(); // console.log goes to the host's log

export const {{js_export}} = {
  /** Says hello to `name`. */
  hello(name) {
    log.info("saying hello", { greeted: name });
    return `Hello, ${name}!`;
  },
};
