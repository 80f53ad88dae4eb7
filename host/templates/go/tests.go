// Package export_parigot_test_tests holds the tests of the `{{service}}` service, run by
// `parigot-host test`: each test runs against fresh instances of the wos's services.
package export_parigot_test_tests

import (
	"wit_component/parigot/ptest"
	tests "wit_component/parigot_test_tests"
	{{service_snake}} "wit_component/{{go_interface}}"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

var suite = ptest.NewSuite(TestSaysHello)

// Names lists the tests.
func Names() []string { return suite.Names() }

// Run runs one test.
func Run(name string) witTypes.Result[witTypes.Unit, tests.Failure] { return suite.Run(name) }

func TestSaysHello(t *ptest.T) {
	ptest.Equal(t, {{service_snake}}.Hello("ada"), "Hello, ada!")
}
