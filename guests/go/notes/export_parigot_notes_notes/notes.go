// Package export_parigot_notes_notes is the Go test service of parigot:notes: notes in its
// SQLite database through the SDK's package sqlite, and statements the host must refuse,
// attempted on request.
package export_parigot_notes_notes

import (
	"errors"
	"fmt"

	"wit_component/parigot"
	"wit_component/parigot/sqlite"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

func describe(err error) string {
	var failure *sqlite.Error
	switch {
	case errors.Is(err, sqlite.ErrNotAllowed) && errors.As(err, &failure):
		return "not-allowed: " + failure.Message
	case errors.Is(err, sqlite.ErrBusy) && errors.As(err, &failure):
		return "busy: " + failure.Message
	case errors.Is(err, sqlite.ErrFull) && errors.As(err, &failure):
		return "full: " + failure.Message
	case errors.Is(err, sqlite.ErrLimit) && errors.As(err, &failure):
		return "limit: " + failure.Message
	case errors.As(err, &failure):
		return "sql: " + failure.Message
	default:
		return "sql: " + err.Error()
	}
}

// Add adds a note and returns its id.
func Add(text string) witTypes.Result[int64, string] {
	parigot.AtExportEntry()
	done, err := sqlite.Exec("INSERT INTO notes (text) VALUES (?1)", text)
	if err != nil {
		return witTypes.Err[int64, string](describe(err))
	}
	return witTypes.Ok[int64, string](done.LastInsertID)
}

// All returns every note, oldest first.
func All() witTypes.Result[[]string, string] {
	parigot.AtExportEntry()
	rows, err := sqlite.Query("SELECT text FROM notes ORDER BY id")
	if err != nil {
		return witTypes.Err[[]string, string](describe(err))
	}
	texts := []string{}
	for _, row := range rows.Values {
		if text, ok := row[0].(string); ok {
			texts = append(texts, text)
		}
	}
	return witTypes.Ok[[]string, string](texts)
}

// AddInTransaction adds a note in a transaction, committed only if commit is true (else left
// open, for the host to roll back when the call ends).
func AddInTransaction(text string, commit bool) witTypes.Result[witTypes.Unit, string] {
	parigot.AtExportEntry()
	insert := func() error {
		_, err := sqlite.Exec("INSERT INTO notes (text) VALUES (?1)", text)
		return err
	}
	var err error
	if commit {
		err = sqlite.InTransaction(insert)
	} else if err = sqlite.Begin(); err == nil {
		err = insert()
	}
	if err != nil {
		return witTypes.Err[witTypes.Unit, string](describe(err))
	}
	return witTypes.Ok[witTypes.Unit, string](witTypes.Unit{})
}

// Attempt runs statement; it returns "ok" or the error.
func Attempt(statement string) string {
	parigot.AtExportEntry()
	if _, err := sqlite.Exec(statement); err != nil {
		return describe(err)
	}
	return "ok"
}

// AttemptQuery runs statement as a query; it returns "N row(s)" or the error.
func AttemptQuery(statement string) string {
	parigot.AtExportEntry()
	rows, err := sqlite.Query(statement)
	if err != nil {
		return describe(err)
	}
	return fmt.Sprintf("%d row(s)", len(rows.Values))
}
