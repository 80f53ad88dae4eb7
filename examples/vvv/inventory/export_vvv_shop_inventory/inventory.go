// Package export_vvv_shop_inventory is the inventory of Vinny's Vintage Vinyl (Go): stock per
// item in the service's own SQLite database, through the typed queries of db/queries.sql.
package export_vvv_shop_inventory

import (
	"fmt"

	queries "wit_component/vvv_inventory_db_queries"
	. "wit_component/vvv_shop_inventory"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

// must returns a query's value; a failed query is a broken database, not an answer, so the
// call traps with SQLite's message.
func must[T any](result witTypes.Result[T, queries.DbError], what string) T {
	if result.IsErr() {
		panic(fmt.Sprintf("the inventory cannot %s: %v", what, result.Err()))
	}
	return result.Ok()
}

// OnHand is how many of item are on the shelf (zero for an item it does not carry).
func OnHand(item uint64) uint32 {
	found := must(queries.OnHand(int64(item)), "read the stock")
	if found.IsNone() {
		return 0
	}
	return uint32(found.Some())
}

// Reserve takes count of item off the shelf, all or none.
func Reserve(item uint64, count uint32) witTypes.Result[witTypes.Unit, StockError] {
	if must(queries.Take(int64(count), int64(item)), "take stock") == 1 {
		return witTypes.Ok[witTypes.Unit, StockError](witTypes.Unit{})
	}
	found := must(queries.OnHand(int64(item)), "read the stock")
	if found.IsNone() {
		return witTypes.Err[witTypes.Unit](MakeStockErrorUnknownItem(item))
	}
	return witTypes.Err[witTypes.Unit](MakeStockErrorOutOfStock(uint32(found.Some())))
}

// Release puts count of item back on the shelf; never more than went out.
func Release(item uint64, count uint32) witTypes.Result[witTypes.Unit, StockError] {
	if must(queries.PutBack(int64(count), int64(item)), "put stock back") == 1 {
		return witTypes.Ok[witTypes.Unit, StockError](witTypes.Unit{})
	}
	if must(queries.OnHand(int64(item)), "read the stock").IsNone() {
		return witTypes.Err[witTypes.Unit](MakeStockErrorUnknownItem(item))
	}
	return witTypes.Err[witTypes.Unit](MakeStockErrorOverRelease(item))
}

// InStock lists the items with at least one on the shelf, by item id.
func InStock() []Shelf {
	var shelves []Shelf
	for _, row := range must(queries.InStock(), "list the stock") {
		shelves = append(shelves, Shelf{Item: uint64(row.Item), OnHand: uint32(row.OnHand)})
	}
	return shelves
}
