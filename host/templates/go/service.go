// Package {{go_export}} implements the `{{service}}` service: the interface
// `{{package}}/{{service}}` of wit/{{service}}.wit. Exported functions go in this package,
// named after the interface (`export_NAMESPACE_PACKAGE_INTERFACE`).
package {{go_export}}

import (
	"log/slog"

	"wit_component/parigot"
	"wit_component/parigot/plog"
)

func init() { plog.Install() } // log/slog goes to the host's log

// Hello says hello to name.
func Hello(name string) string {
	parigot.AtExportEntry()
	slog.Info("saying hello", "greeted", name)
	return "Hello, " + name + "!"
}
