// Package export_parigot_testing_users is the Go test service's `users` interface: who the
// call runs as, through the SDK's pctx package.
package export_parigot_testing_users

import (
	"wit_component/parigot"
	"wit_component/parigot/pctx"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

// Whoami returns the user the call runs as, if the caller logged in.
func Whoami() witTypes.Option[string] {
	parigot.AtExportEntry()
	if ctx := pctx.Current(); ctx.LoggedIn() {
		return witTypes.Some(ctx.User)
	}
	return witTypes.None[string]()
}

// MembersOnly returns the user, for logged-in callers only.
func MembersOnly() witTypes.Result[string, string] {
	parigot.AtExportEntry()
	user, err := pctx.RequireUser()
	if err != nil {
		return witTypes.Err[string, string](err.Error())
	}
	return witTypes.Ok[string, string](user)
}
