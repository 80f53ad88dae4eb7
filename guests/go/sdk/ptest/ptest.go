// Package ptest writes tests that `parigot-host test` runs, in Go: test functions like the
// standard library's, func TestX(t *ptest.T), gathered in a [Suite] that implements the
// parigot:test/tests export of a test component.
//
//	package export_parigot_test_tests
//
//	var suite = ptest.NewSuite(TestHalfCouponHalves)
//
//	func Names() []string { return suite.Names() }
//	func Run(name string) witTypes.Result[witTypes.Unit, tests.Failure] { return suite.Run(name) }
//
//	func TestHalfCouponHalves(t *ptest.T) {
//		quote := pricing.Quote(order)
//		if quote.IsErr() {
//			t.Fatalf("the quote failed: %v", quote.Err())
//		}
//		ptest.Equal(t, quote.Ok().TotalCents, uint64(500))
//	}
//
// A test component's world includes parigot:test/test-component@0.1.0.
package ptest

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"

	"wit_component/parigot"
	tests "wit_component/parigot_test_tests"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

// T is the state of one test: [T.Errorf] records a failure and goes on, [T.Fatalf] records
// one and ends the test.
type T struct {
	name     string
	failures []string
	expected witTypes.Option[string]
	actual   witTypes.Option[string]
	location witTypes.Option[string]
}

// fatal ends a test that called Fatalf (recovered by the suite).
type fatal struct{}

// Name is the test's name.
func (t *T) Name() string { return t.name }

// Errorf records a failure, formatted as fmt.Sprintf does, and lets the test go on.
func (t *T) Errorf(format string, args ...any) {
	t.failures = append(t.failures, fmt.Sprintf(format, args...))
	if t.location.IsNone() {
		t.location = caller(2)
	}
}

// Fatalf records a failure and ends the test.
func (t *T) Fatalf(format string, args ...any) {
	t.failures = append(t.failures, fmt.Sprintf(format, args...))
	if t.location.IsNone() {
		t.location = caller(2)
	}
	panic(fatal{})
}

// Failed reports whether the test has failed.
func (t *T) Failed() bool { return len(t.failures) > 0 }

// Equal records a failure showing both values unless got equals want (reflect.DeepEqual).
func Equal[V any](t *T, got, want V) {
	if reflect.DeepEqual(got, want) {
		return
	}
	t.failures = append(t.failures, fmt.Sprintf("got %#v, want %#v", got, want))
	if t.expected.IsNone() {
		t.expected = witTypes.Some(fmt.Sprintf("%#v", want))
		t.actual = witTypes.Some(fmt.Sprintf("%#v", got))
		t.location = caller(2)
	}
}

// caller is `file:line` of the function `skip` frames up.
func caller(skip int) witTypes.Option[string] {
	if _, file, line, ok := runtime.Caller(skip); ok {
		return witTypes.Some(fmt.Sprintf("%s:%d", file, line))
	}
	return witTypes.None[string]()
}

// Suite is a test component's tests, by name.
type Suite struct {
	names []string
	tests map[string]func(*T)
}

// NewSuite gathers test functions; each is known by its Go name (TestHalfCouponHalves).
func NewSuite(functions ...func(*T)) *Suite {
	suite := &Suite{tests: map[string]func(*T){}}
	for _, function := range functions {
		full := runtime.FuncForPC(reflect.ValueOf(function).Pointer()).Name()
		name := full[strings.LastIndex(full, ".")+1:]
		suite.names = append(suite.names, name)
		suite.tests[name] = function
	}
	return suite
}

// Names is the export `names`: the tests, in the order given to NewSuite.
func (s *Suite) Names() []string {
	parigot.AtExportEntry()
	return s.names
}

// Run is the export `run`: runs one test and reports how it went.
func (s *Suite) Run(name string) witTypes.Result[witTypes.Unit, tests.Failure] {
	parigot.AtExportEntry()
	test, ok := s.tests[name]
	if !ok {
		return witTypes.Err[witTypes.Unit](tests.Failure{Message: "no test " + name})
	}
	t := &T{name: name}
	runTest(test, t)
	if !t.Failed() {
		return witTypes.Ok[witTypes.Unit, tests.Failure](witTypes.Unit{})
	}
	return witTypes.Err[witTypes.Unit](tests.Failure{
		Message:  strings.Join(t.failures, "; "),
		Expected: t.expected,
		Actual:   t.actual,
		Location: t.location,
	})
}

// runTest calls test, ending quietly at a Fatalf; any other panic is the test's crash.
func runTest(test func(*T), t *T) {
	defer func() {
		if reason := recover(); reason != nil {
			if _, ended := reason.(fatal); !ended {
				panic(reason)
			}
		}
	}()
	test(t)
}
