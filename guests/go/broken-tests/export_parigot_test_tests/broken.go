// Package export_parigot_test_tests is a Go test component whose tests fail on purpose, for
// the tests of parigot-host test: a failed Equal, a Fatalf, a panic; and one that passes.
package export_parigot_test_tests

import (
	"wit_component/parigot/ptest"
	pricing "wit_component/parigot_testing_pricing"
	tests "wit_component/parigot_test_tests"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

var suite = ptest.NewSuite(TestPasses, TestComparesWrongly, TestGivesUp, TestPanics)

// Names lists the tests.
func Names() []string { return suite.Names() }

// Run runs one test.
func Run(name string) witTypes.Result[witTypes.Unit, tests.Failure] { return suite.Run(name) }

func TestPasses(t *ptest.T) {
	ptest.Equal(t, pricing.Initial("Vinny"), witTypes.Some('V'))
}

func TestComparesWrongly(t *ptest.T) {
	ptest.Equal(t, pricing.Initial("Vinny").Some(), 'W')
}

func TestGivesUp(t *ptest.T) {
	t.Fatalf("giving up after %d tries", 3)
	t.Errorf("never reached")
}

func TestPanics(t *ptest.T) {
	var lines []pricing.Line
	_ = lines[3]
}
