// Package export_example_hello_greeter implements the greeter of the hello example (world
// greeter-service): it builds a greeting and has the Python decorator dress it up.
package export_example_hello_greeter

import (
	"log/slog"
	"unicode"
	"unicode/utf8"

	"wit_component/example_hello_decorator"
	"wit_component/example_hello_types"
	"wit_component/parigot"
	"wit_component/parigot/pctx"
	"wit_component/parigot/plog"
)

func init() { plog.Install() }

// hop is the greeter's entry in a trail.
const hop = "greeter (go)"

// Greet returns "Hello, <Name>" as decorated and signed further down the chain, with the
// greeter first in the trail. The name greeted goes down the chain as baggage.
func Greet(req example_hello_types.GreetingRequest) example_hello_types.Stamped {
	parigot.AtExportEntry()
	ctx := pctx.Current()
	if err := pctx.SetBaggage("greeted", req.Name); err != nil {
		slog.Warn("cannot hand the name down the chain", "error", err.Error())
	}
	slog.Info("greeting", "name", req.Name, "excitement", int(req.Excitement), "span", ctx.SpanID, "parent", ctx.ParentSpanID)
	decorated := example_hello_decorator.Decorate("Hello, "+capitalize(req.Name), req.Excitement)
	decorated.Trail = append([]string{hop}, decorated.Trail...)
	return decorated
}

// capitalize upper-cases the first letter of name.
func capitalize(name string) string {
	first, size := utf8.DecodeRuneInString(name)
	if first == utf8.RuneError {
		return name
	}
	return string(unicode.ToUpper(first)) + name[size:]
}
