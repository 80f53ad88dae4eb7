// Package parigot is the small runtime helper every Go guest of parigot uses.
//
// xtask copies this folder into each Go guest's module, so guests import it as
// "wit_component/parigot".
//
// # Garbage collection
//
// A Go garbage collection that happens to finish while the host is allocating memory in the
// guest (inside cabi_realloc) reads the clock, which the component model forbids there: the
// call traps with "cannot leave component instance" (wasmtime issue #14318). It happens only
// under load, so it is easy to miss in tests.
//
// This package therefore turns the automatic collector off when the guest starts, and collects
// only at safe points instead: every export function calls [AtExportEntry] first,
//
//	func Greet(req Request) Stamped {
//		parigot.AtExportEntry()
//		...
//	}
//
// and a loop that calls imports many times within one export call can call [SafePoint] on each
// iteration. Both are cheap: they look at the heap only once every [checkInterval] calls, and
// collect only when the heap has grown by as much as the live data after the previous
// collection (at least [minGrowth]), much like Go's default GOGC=100.
package parigot

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"

	witRuntime "go.bytecodealliance.org/pkg/wit/runtime"
)

const (
	// checkInterval is how many safe points pass between two looks at the heap. Looking
	// costs about a microsecond; a call to a guest costs several.
	checkInterval = 32
	// minGrowth is the least growth of the heap, in bytes, that triggers a collection.
	minGrowth = 4 << 20
)

const (
	allocatedMetric = "/gc/heap/allocs:bytes" // bytes allocated since the guest started
	liveMetric      = "/gc/heap/live:bytes"   // bytes the previous collection found alive
)

var (
	// safePoints counts calls to AtExportEntry and SafePoint.
	safePoints uint32
	// allocatedAtCollection is the allocation count at the end of the previous collection.
	allocatedAtCollection uint64
	// growthBudget is how many bytes may be allocated before the next collection.
	growthBudget uint64 = minGrowth
	// samples is reused to read the runtime's metrics without allocating.
	samples = []metrics.Sample{{Name: allocatedMetric}, {Name: liveMetric}}
)

func init() {
	// Collect at safe points only (see the package documentation).
	debug.SetGCPercent(-1)
}

// AtExportEntry must be the first thing every export function does: it collects garbage if
// the heap has grown enough since the previous collection. At the start of an export call
// nothing is being handed between host and guest, so collecting there is safe.
func AtExportEntry() {
	maybeCollect()
}

// SafePoint lets a long-running export call reclaim memory: call it, for example, once per
// iteration of a loop that calls imports. The bindings keep the memory of every import result
// pinned (never collected) until a later export call releases it; SafePoint releases it now,
// then collects garbage if the heap has grown enough. Values the Go code still references
// stay valid, since the collector sees those references.
func SafePoint() {
	witRuntime.Unpin()
	maybeCollect()
}

// maybeCollect runs a collection when one is due; it looks at the heap only every
// checkInterval calls.
func maybeCollect() {
	safePoints++
	if safePoints%checkInterval != 0 {
		return
	}
	metrics.Read(samples[:1])
	if samples[0].Value.Uint64()-allocatedAtCollection < growthBudget {
		return
	}
	// Import results of earlier calls that nothing references any more can go too.
	witRuntime.Unpin()
	runtime.GC()
	metrics.Read(samples)
	allocatedAtCollection = samples[0].Value.Uint64()
	growthBudget = max(samples[1].Value.Uint64(), minGrowth)
}
