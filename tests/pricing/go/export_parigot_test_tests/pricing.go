// Package export_parigot_test_tests holds the tests of the pricing service in Go, run by
// parigot-host test: each in fresh instances, checked with the SDK's ptest.
package export_parigot_test_tests

import (
	"wit_component/parigot/ptest"
	pricing "wit_component/parigot_testing_pricing"
	tests "wit_component/parigot_test_tests"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

var suite = ptest.NewSuite(TestLinesAddUp, TestHalfCouponHalves, TestEmptyOrderIsRefused, TestInitial)

// Names lists the tests.
func Names() []string { return suite.Names() }

// Run runs one test.
func Run(name string) witTypes.Result[witTypes.Unit, tests.Failure] { return suite.Run(name) }

func order(lines []pricing.Line, coupon witTypes.Option[string]) pricing.Order {
	return pricing.Order{Customer: "ada", Currency: pricing.Currency_Usd, Lines: lines, Coupon: coupon}
}

func tea(quantity uint32) pricing.Line {
	return pricing.Line{Sku: "tea", Quantity: quantity, UnitCents: 250}
}

func TestLinesAddUp(t *ptest.T) {
	quote := pricing.Quote(order([]pricing.Line{tea(3), {Sku: "cake", Quantity: 1, UnitCents: 400}}, witTypes.None[string]()))
	if quote.IsErr() {
		t.Fatalf("the quote failed: %v", quote.Err())
	}
	ptest.Equal(t, quote.Ok().TotalCents, uint64(1150))
}

func TestHalfCouponHalves(t *ptest.T) {
	quote := pricing.Quote(order([]pricing.Line{tea(4)}, witTypes.Some("HALF")))
	if quote.IsErr() {
		t.Fatalf("the quote failed: %v", quote.Err())
	}
	ptest.Equal(t, quote.Ok().TotalCents, uint64(500))
}

func TestEmptyOrderIsRefused(t *ptest.T) {
	quote := pricing.Quote(order(nil, witTypes.None[string]()))
	if !quote.IsErr() {
		t.Fatalf("an empty order was priced: %v", quote.Ok())
	}
	ptest.Equal(t, quote.Err().Tag(), pricing.QuoteError_EmptyOrder)
}

func TestInitial(t *ptest.T) {
	ptest.Equal(t, pricing.Initial("Zoë"), witTypes.Some('Z'))
	if pricing.Initial("").IsSome() {
		t.Errorf("an empty name has an initial")
	}
}
