// Package export_wasi_cli_run is the `{{service}}` program: `parigot-host run` runs it once
// the services have started. It greets every name the wos gives it in `args`
// (`[services.{{service}}] args`).
package export_wasi_cli_run

import (
	"fmt"
	"log/slog"
	"os"

	"wit_component/parigot"
	"wit_component/parigot/plog"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

func init() { plog.Install() } // log/slog goes to the host's log

// Run greets every argument.
func Run() witTypes.Result[witTypes.Unit, witTypes.Unit] {
	parigot.AtExportEntry()
	names := os.Args[1:]
	slog.Info("greeting", "names", len(names))
	for _, name := range names {
		fmt.Printf("Hello, %s!\n", name)
	}
	return witTypes.Ok[witTypes.Unit, witTypes.Unit](witTypes.Unit{})
}
