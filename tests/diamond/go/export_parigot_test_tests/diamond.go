// Package export_parigot_test_tests holds the tests of the diamond's top service in Go: left
// is real, right a mock whose answers each test queues; the mocked pricing answers by
// arguments and records typed calls.
package export_parigot_test_tests

import (
	"errors"

	"wit_component/parigot/psim"
	"wit_component/parigot/ptest"
	pricingMock "wit_component/parigot_mock_parigot_testing_pricing"
	rightMock "wit_component/parigot_mock_parigot_testing_right"
	mocks "wit_component/parigot_test_mocks"
	session "wit_component/parigot_test_session"
	tests "wit_component/parigot_test_tests"
	pricing "wit_component/parigot_testing_pricing"
	faults "wit_component/parigot_testing_faults"
	top "wit_component/parigot_testing_top"
	users "wit_component/parigot_testing_users"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

const right = "parigot:testing/right"

var suite = ptest.NewSuite(
	TestBothAddsTheRealLeftAndTheMockedRight,
	TestEveryTestStartsClean,
	TestWaveAnswersAndCallsSteerTheSameMock,
	TestATypedMockAnswersByArgumentsThenInOrder,
	TestATypedMockRecordsEachCallWithItsArguments,
	TestCallsRunAsTheUserTheTestLogsInAs,
	TestAFailedCallIsCaughtAndTheCallsAfterItAreNotMade,
	TestFaultsTheSimulationInjectsAreCaughtAndNamed,
)

// Names lists the tests.
func Names() []string { return suite.Names() }

// Run runs one test.
func Run(name string) witTypes.Result[witTypes.Unit, tests.Failure] { return suite.Run(name) }

func TestBothAddsTheRealLeftAndTheMockedRight(t *ptest.T) {
	rightMock.WhenViaRight(40)
	ptest.Equal(t, top.Both(), uint32(41))
	ptest.Equal(t, rightMock.ViaRightCalls(), uint32(1))
}

func TestEveryTestStartsClean(t *ptest.T) {
	ptest.Equal(t, rightMock.ViaRightCalls(), uint32(0))
	ptest.Equal(t, len(pricingMock.QuoteCalls()), 0)
}

func TestWaveAnswersAndCallsSteerTheSameMock(t *ptest.T) {
	if queued := mocks.Answer(right, "via-right", "2"); queued.IsErr() {
		t.Fatalf("cannot queue an answer: %s", queued.Err())
	}
	ptest.Equal(t, top.Both(), uint32(3))
	ptest.Equal(t, mocks.Calls(right, "via-right"), []string{"()"})
	ptest.Equal(t, rightMock.ViaRightCalls(), uint32(1))
}

func order(customer string) pricing.Order {
	return pricing.Order{Customer: customer, Currency: pricing.Currency_Eur, Coupon: witTypes.None[string]()}
}

func TestATypedMockAnswersByArgumentsThenInOrder(t *ptest.T) {
	quotation := pricing.Quotation{TotalCents: 1250, Currency: pricing.Currency_Eur, Notes: []string{"mocked"}, Reference: []uint8{1, 2}}
	pricingMock.WhenQuoteWith(order("vinny"), witTypes.Err[pricing.Quotation](pricing.MakeQuoteErrorUnknownCoupon("NOPE")))
	pricingMock.WhenQuote(witTypes.Ok[pricing.Quotation, pricing.QuoteError](quotation))
	ptest.Equal(t, pricing.Quote(order("ada")).Ok().TotalCents, uint64(1250))
	for range 2 {
		refused := pricing.Quote(order("vinny"))
		if !refused.IsErr() {
			t.Fatalf("vinny's order was priced: %v", refused.Ok())
		}
		ptest.Equal(t, refused.Err().UnknownCoupon(), "NOPE")
	}
	pricingMock.WhenInitialWith("zoë", witTypes.Some('Z'))
	ptest.Equal(t, pricing.Initial("zoë"), witTypes.Some('Z'))
}

func TestATypedMockRecordsEachCallWithItsArguments(t *ptest.T) {
	pricingMock.WhenQuote(witTypes.Err[pricing.Quotation](pricing.MakeQuoteErrorEmptyOrder()))
	pricingMock.WhenQuote(witTypes.Err[pricing.Quotation](pricing.MakeQuoteErrorTooLarge(7)))
	pricing.Quote(order("ada"))
	pricing.Quote(order("bob"))
	var customers []string
	for _, call := range pricingMock.QuoteCalls() {
		customers = append(customers, call.Order.Customer)
	}
	ptest.Equal(t, customers, []string{"ada", "bob"})
}

func TestCallsRunAsTheUserTheTestLogsInAs(t *ptest.T) {
	ptest.Equal(t, users.Whoami(), witTypes.None[string]())
	session.LogInAs(witTypes.Some("vinny"))
	ptest.Equal(t, users.Whoami(), witTypes.Some("vinny"))
	ptest.Equal(t, users.MembersOnly().Ok(), "vinny")
	session.LogInAs(witTypes.None[string]())
	ptest.Equal(t, users.Whoami(), witTypes.None[string]())
}

func TestAFailedCallIsCaughtAndTheCallsAfterItAreNotMade(t *ptest.T) {
	_, err := psim.Attempt(func() uint32 {
		faults.Crash("on purpose")
		return top.Both()
	})
	var failed *psim.CallFailed
	if !errors.As(err, &failed) {
		t.Fatalf("the crash was not caught: %v", err)
	}
	ptest.Equal(t, []string{failed.Service, failed.Function, failed.Kind}, []string{"d", "parigot:testing/faults@0.1.0#crash", "trap"})
	// Both was not called: it would have asked the mocked right.
	ptest.Equal(t, rightMock.ViaRightCalls(), uint32(0))
	// The test goes on, and d answers again, from a fresh instance.
	pings, err := psim.Attempt(faults.Ping)
	if err != nil {
		t.Fatalf("ping failed: %v", err)
	}
	ptest.Equal(t, pings, uint32(1))
	ptest.Equal(t, len(psim.Injected()), 0)
}

func TestFaultsTheSimulationInjectsAreCaughtAndNamed(t *ptest.T) {
	// Under --sim (the wos's [sim] traps calls into d: b's, on the way left), some of these
	// calls fail.
	for i := 0; i < 8; i++ {
		rightMock.WhenViaRight(1)
		_, err := psim.Attempt(top.Both)
		var failed *psim.CallFailed
		if !errors.As(err, &failed) {
			continue
		}
		injected := psim.Injected()
		if len(injected) == 0 {
			t.Fatalf("%v, with no fault injected", err)
		}
		last := injected[len(injected)-1]
		ptest.Equal(t, []string{last.Kind, last.Service}, []string{"call-trap", "d"})
		ptest.Equal(t, []string{failed.Kind, failed.Service}, []string{"trap", "d"})
	}
}
