// Package export_parigot_test_tests holds the tests of the `{{service}}` service, run by
// `parigot-host test`: each test runs against fresh instances of the wos's services and a
// fresh database.
package export_parigot_test_tests

import (
	"wit_component/parigot/ptest"
	tests "wit_component/parigot_test_tests"
	{{service_snake}} "wit_component/{{go_interface}}"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

var suite = ptest.NewSuite(TestCountsEachVisit)

// Names lists the tests.
func Names() []string { return suite.Names() }

// Run runs one test.
func Run(name string) witTypes.Result[witTypes.Unit, tests.Failure] { return suite.Run(name) }

func hello(t *ptest.T, name string) string {
	answer := {{service_snake}}.Hello(name)
	if answer.IsErr() {
		t.Fatalf("hello(%q) failed: %s", name, answer.Err())
	}
	return answer.Ok()
}

func TestCountsEachVisit(t *ptest.T) {
	ptest.Equal(t, hello(t, "ada"), "Hello, ada! (visit 1)")
	ptest.Equal(t, hello(t, "ada"), "Hello, ada! (visit 2)")
	ptest.Equal(t, hello(t, "grace"), "Hello, grace! (visit 1)")
}
