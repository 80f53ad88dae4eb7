// The tests of the `{{service}}` service, run by `parigot-host test`: every `test(...)`, each
// against fresh instances of the wos's services and a fresh database.
import { assert, test } from "parigot/test";
import { hello } from "{{package}}/{{service}}@0.1.0";

export { tests } from "parigot/test";

test("counts each visit", (): void => {
  assert.equal(hello("ada"), "Hello, ada! (visit 1)");
  assert.equal(hello("ada"), "Hello, ada! (visit 2)");
  assert.equal(hello("grace"), "Hello, grace! (visit 1)");
});
