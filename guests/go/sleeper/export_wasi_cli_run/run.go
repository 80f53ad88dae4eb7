// Package export_wasi_cli_run is a test program in Go (world sleeper): it runs its arguments
// in order, like the Rust faults driver: `ping` and `sleep:MS` call the faults service,
// `nap:MS` sleeps in the program itself.
package export_wasi_cli_run

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	witTypes "go.bytecodealliance.org/pkg/wit/types"

	"wit_component/parigot"
	"wit_component/parigot_testing_faults"
)

// Run runs every argument; an argument it does not know fails the run.
func Run() witTypes.Result[witTypes.Unit, witTypes.Unit] {
	parigot.AtExportEntry()
	for _, arg := range os.Args[1:] {
		verb, value, _ := strings.Cut(arg, ":")
		ms, _ := strconv.ParseUint(value, 10, 32)
		switch verb {
		case "ping":
			fmt.Printf("%s -> %d\n", arg, parigot_testing_faults.Ping())
		case "sleep":
			fmt.Printf("%s -> %d\n", arg, parigot_testing_faults.Sleep(uint32(ms)))
		case "nap":
			time.Sleep(time.Duration(ms) * time.Millisecond)
			fmt.Printf("%s -> %d\n", arg, ms)
		default:
			fmt.Fprintf(os.Stderr, "unknown command `%s`: use ping, sleep:MS or nap:MS\n", verb)
			return witTypes.Err[witTypes.Unit, witTypes.Unit](witTypes.Unit{})
		}
	}
	return witTypes.Ok[witTypes.Unit, witTypes.Unit](witTypes.Unit{})
}
