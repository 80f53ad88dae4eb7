// Package export_parigot_test_tests holds the inventory's tests in Go: the real service on its
// seeded database, each test on a fresh one.
package export_parigot_test_tests

import (
	"wit_component/parigot/ptest"
	tests "wit_component/parigot_test_tests"
	inventory "wit_component/vvv_shop_inventory"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

var suite = ptest.NewSuite(
	TestOnHandComesFromTheSeed,
	TestReserveTakesAllOrNone,
	TestReleasePutsBackNoMoreThanWentOut,
	TestUnknownItemsAreNamed,
	TestInStockLeavesOutWhatIsSoldOut,
	TestEveryTestStartsFromTheSeed,
)

// Names lists the tests.
func Names() []string { return suite.Names() }

// Run runs one test.
func Run(name string) witTypes.Result[witTypes.Unit, tests.Failure] { return suite.Run(name) }

type stockResult = witTypes.Result[witTypes.Unit, inventory.StockError]

// refused fails the test unless result is the stock error with tag.
func refused(t *ptest.T, result stockResult, tag uint8) inventory.StockError {
	if !result.IsErr() {
		t.Fatalf("the change went through; want stock error %d", tag)
	}
	ptest.Equal(t, result.Err().Tag(), tag)
	return result.Err()
}

func ok(t *ptest.T, result stockResult) {
	if result.IsErr() {
		t.Fatalf("the change was refused: %v", result.Err())
	}
}

func TestOnHandComesFromTheSeed(t *ptest.T) {
	ptest.Equal(t, inventory.OnHand(1), uint32(3))
	ptest.Equal(t, inventory.OnHand(28), uint32(0))
	ptest.Equal(t, inventory.OnHand(999), uint32(0))
}

func TestReserveTakesAllOrNone(t *ptest.T) {
	ptest.Equal(t, refused(t, inventory.Reserve(1, 4), inventory.StockError_OutOfStock).OutOfStock(), uint32(3))
	ptest.Equal(t, inventory.OnHand(1), uint32(3))
	ok(t, inventory.Reserve(1, 3))
	ptest.Equal(t, inventory.OnHand(1), uint32(0))
	ptest.Equal(t, refused(t, inventory.Reserve(1, 1), inventory.StockError_OutOfStock).OutOfStock(), uint32(0))
}

func TestReleasePutsBackNoMoreThanWentOut(t *ptest.T) {
	ptest.Equal(t, refused(t, inventory.Release(4, 1), inventory.StockError_OverRelease).OverRelease(), uint64(4))
	ok(t, inventory.Reserve(4, 2))
	ok(t, inventory.Release(4, 2))
	ptest.Equal(t, inventory.OnHand(4), uint32(5))
	refused(t, inventory.Release(4, 1), inventory.StockError_OverRelease)
}

func TestUnknownItemsAreNamed(t *ptest.T) {
	ptest.Equal(t, refused(t, inventory.Reserve(999, 1), inventory.StockError_UnknownItem).UnknownItem(), uint64(999))
	ptest.Equal(t, refused(t, inventory.Release(999, 1), inventory.StockError_UnknownItem).UnknownItem(), uint64(999))
}

func TestInStockLeavesOutWhatIsSoldOut(t *ptest.T) {
	shelves := inventory.InStock()
	ptest.Equal(t, len(shelves), 34)
	ok(t, inventory.Reserve(2, 1))
	for _, shelf := range inventory.InStock() {
		if shelf.Item == 2 || shelf.Item == 28 || shelf.Item == 36 {
			t.Errorf("item %d is sold out but listed with %d on hand", shelf.Item, shelf.OnHand)
		}
	}
	ptest.Equal(t, len(inventory.InStock()), 33)
}

func TestEveryTestStartsFromTheSeed(t *ptest.T) {
	// TestReserveTakesAllOrNone emptied item 1 in its own database.
	ptest.Equal(t, inventory.OnHand(1), uint32(3))
}
