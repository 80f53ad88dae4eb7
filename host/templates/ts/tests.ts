// The tests of the `{{service}}` service, run by `parigot-host test`: every `test(...)`, each
// against fresh instances of the wos's services.
import { assert, test } from "parigot/test";
import { hello } from "{{package}}/{{service}}@0.1.0";

export { tests } from "parigot/test";

test("says hello", (): void => {
  assert.equal(hello("ada"), "Hello, ada!");
});
