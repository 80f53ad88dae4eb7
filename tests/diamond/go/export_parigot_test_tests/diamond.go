// Package export_parigot_test_tests holds the tests of the diamond's top service in Go: left
// is real, right a mock whose answers each test queues.
package export_parigot_test_tests

import (
	"wit_component/parigot/ptest"
	mocks "wit_component/parigot_test_mocks"
	tests "wit_component/parigot_test_tests"
	top "wit_component/parigot_testing_top"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

const right = "parigot:testing/right"

var suite = ptest.NewSuite(TestBothAddsTheRealLeftAndTheMockedRight, TestEveryTestStartsClean)

// Names lists the tests.
func Names() []string { return suite.Names() }

// Run runs one test.
func Run(name string) witTypes.Result[witTypes.Unit, tests.Failure] { return suite.Run(name) }

func TestBothAddsTheRealLeftAndTheMockedRight(t *ptest.T) {
	if queued := mocks.Answer(right, "via-right", "40"); queued.IsErr() {
		t.Fatalf("cannot queue an answer: %s", queued.Err())
	}
	ptest.Equal(t, top.Both(), uint32(41))
	ptest.Equal(t, mocks.Calls(right, "via-right"), []string{"()"})
}

func TestEveryTestStartsClean(t *ptest.T) {
	ptest.Equal(t, len(mocks.Calls(right, "via-right")), 0)
}
