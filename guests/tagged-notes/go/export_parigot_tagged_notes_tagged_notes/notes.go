// Package export_parigot_tagged_notes_tagged_notes is the Go test service of
// parigot:tagged-notes: notes with tags through the typed queries the host generates from
// db/queries.sql (package notes_db_queries), and the SDK's transactions.
package export_parigot_tagged_notes_tagged_notes

import (
	"errors"
	"fmt"

	queries "wit_component/notes_db_queries"
	"wit_component/parigot"
	"wit_component/parigot/sqlite"
	. "wit_component/parigot_tagged_notes_tagged_notes"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

// queryError is a failed typed query, as `kind: message`.
type queryError struct{ text string }

func (e *queryError) Error() string { return e.text }

func failed(failure queries.DbError) error {
	switch failure.Tag() {
	case queries.DbError_Constraint:
		return &queryError{"constraint: " + failure.Constraint()}
	case queries.DbError_Busy:
		return &queryError{"busy: " + failure.Busy()}
	case queries.DbError_Full:
		return &queryError{"full: " + failure.Full()}
	case queries.DbError_Limit:
		return &queryError{"limit: " + failure.Limit()}
	default:
		return &queryError{"sql: " + failure.Sql()}
	}
}

// check turns a query's result into Go's (value, error).
func check[T any](result witTypes.Result[T, queries.DbError]) (T, error) {
	if result.IsErr() {
		var zero T
		return zero, failed(result.Err())
	}
	return result.Ok(), nil
}

func describe(err error) string {
	var query *queryError
	if errors.As(err, &query) {
		return query.text
	}
	return fmt.Sprintf("transaction: %v", err)
}

func withTags(id int64, title string, body witTypes.Option[string]) (Note, error) {
	tags, err := check(queries.TagsOf(id))
	if err != nil {
		return Note{}, err
	}
	return Note{Id: id, Title: title, Body: body, Tags: tags}, nil
}

// Add adds a note with its tags in one transaction; returns its id.
func Add(title string, body witTypes.Option[string], tags []string) witTypes.Result[int64, string] {
	parigot.AtExportEntry()
	var id int64
	err := sqlite.InTransaction(func() error {
		var err error
		if id, err = check(queries.AddNote(title, body)); err != nil {
			return err
		}
		for _, tag := range tags {
			if _, err := check(queries.TagNote(id, tag)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return witTypes.Err[int64, string](describe(err))
	}
	return witTypes.Ok[int64, string](id)
}

// Get returns one note.
func Get(id int64) witTypes.Result[witTypes.Option[Note], string] {
	parigot.AtExportEntry()
	found, err := check(queries.GetNote(id))
	if err != nil {
		return witTypes.Err[witTypes.Option[Note], string](describe(err))
	}
	if found.IsNone() {
		return witTypes.Ok[witTypes.Option[Note], string](witTypes.None[Note]())
	}
	row := found.Some()
	note, err := withTags(row.Id, row.Title, row.Body)
	if err != nil {
		return witTypes.Err[witTypes.Option[Note], string](describe(err))
	}
	return witTypes.Ok[witTypes.Option[Note], string](witTypes.Some(note))
}

// Tagged returns the notes with tag, oldest first.
func Tagged(tag string) witTypes.Result[[]Note, string] {
	parigot.AtExportEntry()
	rows, err := check(queries.NotesTagged(tag))
	if err != nil {
		return witTypes.Err[[]Note, string](describe(err))
	}
	notes := make([]Note, 0, len(rows))
	for _, row := range rows {
		note, err := withTags(row.Id, row.Title, row.Body)
		if err != nil {
			return witTypes.Err[[]Note, string](describe(err))
		}
		notes = append(notes, note)
	}
	return witTypes.Ok[[]Note, string](notes)
}

// Remove removes a note; it returns whether there was one.
func Remove(id int64) witTypes.Result[bool, string] {
	parigot.AtExportEntry()
	removed, err := check(queries.DeleteNote(id))
	if err != nil {
		return witTypes.Err[bool, string](describe(err))
	}
	return witTypes.Ok[bool, string](removed > 0)
}

// TagCounts returns every tag with its number of notes, most used first.
func TagCounts() witTypes.Result[[]TagCount, string] {
	parigot.AtExportEntry()
	rows, err := check(queries.TagCounts())
	if err != nil {
		return witTypes.Err[[]TagCount, string](describe(err))
	}
	counts := make([]TagCount, 0, len(rows))
	for _, row := range rows {
		counts = append(counts, TagCount{Tag: row.Tag, Notes: row.Notes})
	}
	return witTypes.Ok[[]TagCount, string](counts)
}

// AddThenCrash adds a note inside a transaction and panics, for the host to roll back.
func AddThenCrash(title string) {
	parigot.AtExportEntry()
	if err := sqlite.Begin(); err != nil {
		panic(err)
	}
	if _, err := check(queries.AddNote(title, witTypes.None[string]())); err != nil {
		panic(err)
	}
	panic("crashing with a transaction open")
}
