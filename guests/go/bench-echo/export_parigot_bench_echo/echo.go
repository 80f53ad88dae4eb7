// Package export_parigot_bench_echo is the benchmark callee in Go (world echo-service): as
// little work as the interface allows.
package export_parigot_bench_echo

import (
	"strconv"

	"wit_component/parigot"
	"wit_component/parigot_bench_echo"
)

// Describe returns "<label> (<x>, <y>)".
func Describe(p parigot_bench_echo.Point) string {
	parigot.AtExportEntry()
	buf := make([]byte, 0, len(p.Label)+24)
	buf = append(buf, p.Label...)
	buf = append(buf, " ("...)
	buf = strconv.AppendInt(buf, int64(p.X), 10)
	buf = append(buf, ", "...)
	buf = strconv.AppendInt(buf, int64(p.Y), 10)
	buf = append(buf, ')')
	return string(buf)
}

// EchoText returns text unchanged.
func EchoText(text string) string {
	parigot.AtExportEntry()
	return text
}
