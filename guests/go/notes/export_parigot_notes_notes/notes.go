// Package export_parigot_notes_notes is the Go test service of parigot:notes: notes in its
// SQLite database, and statements the host must refuse, attempted on request.
package export_parigot_notes_notes

import (
	"wit_component/parigot"
	db "wit_component/parigot_sqlite_sqlite"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

func describe(failure db.Error) string {
	switch failure.Tag() {
	case db.Error_AccessDenied:
		return "access-denied: " + failure.AccessDenied()
	case db.Error_NotAllowed:
		return "not-allowed: " + failure.NotAllowed()
	case db.Error_Busy:
		return "busy: " + failure.Busy()
	default:
		return "sql: " + failure.Sql()
	}
}

// Add adds a note and returns its id.
func Add(text string) witTypes.Result[int64, string] {
	parigot.AtExportEntry()
	done := db.Execute("INSERT INTO notes (text) VALUES (?1)", []db.Value{db.MakeValueText(text)})
	if done.IsErr() {
		return witTypes.Err[int64, string](describe(done.Err()))
	}
	return witTypes.Ok[int64, string](done.Ok().LastInsertId)
}

// All returns every note, oldest first.
func All() witTypes.Result[[]string, string] {
	parigot.AtExportEntry()
	found := db.Query("SELECT text FROM notes ORDER BY id", nil)
	if found.IsErr() {
		return witTypes.Err[[]string, string](describe(found.Err()))
	}
	texts := []string{}
	for _, row := range found.Ok().Rows {
		if len(row) > 0 && row[0].Tag() == db.Value_Text {
			texts = append(texts, row[0].Text())
		}
	}
	return witTypes.Ok[[]string, string](texts)
}

// AddInTransaction adds a note in a transaction, committed only if commit is true.
func AddInTransaction(text string, commit bool) witTypes.Result[witTypes.Unit, string] {
	parigot.AtExportEntry()
	if begun := db.Begin(); begun.IsErr() {
		return witTypes.Err[witTypes.Unit, string](describe(begun.Err()))
	}
	if done := db.Execute("INSERT INTO notes (text) VALUES (?1)", []db.Value{db.MakeValueText(text)}); done.IsErr() {
		return witTypes.Err[witTypes.Unit, string](describe(done.Err()))
	}
	if commit {
		if committed := db.Commit(); committed.IsErr() {
			return witTypes.Err[witTypes.Unit, string](describe(committed.Err()))
		}
	}
	return witTypes.Ok[witTypes.Unit, string](witTypes.Unit{})
}

// Attempt runs statement; it returns "ok" or the error.
func Attempt(statement string) string {
	parigot.AtExportEntry()
	done := db.Execute(statement, nil)
	if done.IsErr() {
		return describe(done.Err())
	}
	return "ok"
}
