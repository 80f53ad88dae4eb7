// Package psim runs a test's operations under a simulation's faults (`parigot-host test
// --sim`): [Attempt] runs an operation whose calls to services may fail and returns the
// failure as an error instead of failing the test; [Injected] tells which faults the host
// injected so far.
//
//	before := inventory.OnHand(7)
//	sale, err := psim.Attempt(func() witTypes.Result[store.Sale, store.SaleError] { return store.Sell(7) })
//	if err != nil {
//		// A call of the sale failed (a fault the simulation injected, say): the stock is
//		// unchanged. (The store's own refusal, sold out, is in sale, not in err.)
//		ptest.Equal(t, inventory.OnHand(7), before)
//	}
//
// A test component's world includes parigot:test/test-component@0.1.0, which imports
// parigot:test/sim.
package psim

import (
	sim "wit_component/parigot_test_sim"
)

// Fault is a fault the simulation injected: its step, kind (`call-trap`...), service, where,
// and trace.
type Fault = sim.Fault

// CallFailed is the error of an operation one of whose calls to a service failed: where the
// failure began, its kind (`trap`, `deadline`, `unavailable`...) and the host's message.
type CallFailed struct {
	sim.CallFailure
}

// Error is the host's message.
func (failed *CallFailed) Error() string {
	return failed.Message
}

// Attempt runs operation; when one of the calls it makes to a service fails (a trap, a
// deadline, a fault the simulation injected...), it returns that failure as a *CallFailed
// instead of failing the test. The calls operation makes after that one are not made (they
// answer placeholders, which Attempt drops with operation's value).
func Attempt[T any](operation func() T) (T, error) {
	sim.CatchFailures()
	value := operation()
	if caught := sim.Caught(); caught.IsSome() {
		var zero T
		return zero, &CallFailed{caught.Some()}
	}
	return value, nil
}

// Injected returns the faults the simulation injected so far in this run, oldest first; none
// outside --sim.
func Injected() []Fault {
	return sim.Injected()
}
