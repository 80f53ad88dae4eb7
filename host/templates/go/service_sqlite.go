// Package {{go_export}} implements the `{{service}}` service: the interface
// `{{package}}/{{service}}` of wit/{{service}}.wit. It counts each name's visits in its own
// database, through the typed queries of db/queries.sql.
package {{go_export}}

import (
	"fmt"
	"log/slog"

	"wit_component/parigot"
	"wit_component/parigot/plog"
	queries "wit_component/{{go_db}}_queries"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

func init() { plog.Install() } // log/slog goes to the host's log

// Hello says hello to name, with how many times name has visited.
func Hello(name string) witTypes.Result[string, string] {
	parigot.AtExportEntry()
	if recorded := queries.RecordVisit(name); recorded.IsErr() {
		return witTypes.Err[string](fmt.Sprintf("cannot record the visit: %v", recorded.Err()))
	}
	counted := queries.CountVisits(name)
	if counted.IsErr() {
		return witTypes.Err[string](fmt.Sprintf("cannot count visits: %v", counted.Err()))
	}
	visits := int64(0)
	if counted.Ok().IsSome() {
		visits = counted.Ok().Some()
	}
	slog.Info("saying hello", "greeted", name, "visits", visits)
	return witTypes.Ok[string, string](fmt.Sprintf("Hello, %s! (visit %d)", name, visits))
}
