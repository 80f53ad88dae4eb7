// Package export_parigot_files_test_files is the Go test service of parigot:files-test: the
// folders its wos grants it (WASI preopens), through package os.
package export_parigot_files_test_files

import (
	"os"
	"sort"

	"wit_component/parigot"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

// Read returns the text of the file at path.
func Read(path string) witTypes.Result[string, string] {
	parigot.AtExportEntry()
	bytes, err := os.ReadFile(path)
	if err != nil {
		return witTypes.Err[string, string](err.Error())
	}
	return witTypes.Ok[string, string](string(bytes))
}

// Write writes text to the file at path, creating or replacing it.
func Write(path string, text string) witTypes.Result[witTypes.Unit, string] {
	parigot.AtExportEntry()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return witTypes.Err[witTypes.Unit, string](err.Error())
	}
	return witTypes.Ok[witTypes.Unit, string](witTypes.Unit{})
}

// List returns the names in the folder at path, sorted.
func List(path string) witTypes.Result[[]string, string] {
	parigot.AtExportEntry()
	entries, err := os.ReadDir(path)
	if err != nil {
		return witTypes.Err[[]string, string](err.Error())
	}
	names := make([]string, 0, len(entries))
	for _, entry := range entries {
		names = append(names, entry.Name())
	}
	sort.Strings(names)
	return witTypes.Ok[[]string, string](names)
}
