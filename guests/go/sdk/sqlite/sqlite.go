// Package sqlite gives a Go service of parigot its SQLite database (parigot:sqlite), granted in
// the wos with [services.NAME.sqlite].
//
//	res, err := sqlite.Exec("INSERT INTO notes (text) VALUES (?1)", text)
//	rows, err := sqlite.Query("SELECT id, text FROM notes")
//	for _, row := range rows.Values { id := row[0].(int64); ... }
//	err = sqlite.InTransaction(func() error { ... })
//
// Arguments and values are int64 (or any Go integer), float64, string, []byte, bool or nil.
// Failures are *Error values; errors.Is(err, ErrNotAllowed), ErrBusy, ErrFull and ErrLimit
// tell the kinds a service may want to handle. A service using this package imports
// parigot:sqlite/sqlite@0.1.0 in its world.
package sqlite

import (
	"errors"
	"fmt"

	wit "wit_component/parigot_sqlite_sqlite"
)

var (
	// ErrNotAllowed: the statement reaches past the service's own database (ATTACH, VACUUM,
	// a pragma that weakens durability...).
	ErrNotAllowed = errors.New("sqlite: not allowed")
	// ErrBusy: another writer held the database past the busy timeout, or the host's SQLite
	// threads were all busy: try again later.
	ErrBusy = errors.New("sqlite: busy")
	// ErrFull: the database reached its size limit (max-size-mib in the grant).
	ErrFull = errors.New("sqlite: full")
	// ErrLimit: the statement passed a limit of the host's (its length, a value's size, or
	// rows that need more memory than the service has left); the message names the wos key.
	ErrLimit = errors.New("sqlite: limit")
)

// Error is a failed statement: its kind (ErrNotAllowed, ErrBusy, ErrFull, ErrLimit, or nil
// for SQLite's own errors) and the message.
type Error struct {
	kind    error
	Message string
}

func (e *Error) Error() string {
	if e.kind != nil {
		return e.kind.Error() + ": " + e.Message
	}
	return "sqlite: " + e.Message
}

// Is lets errors.Is match ErrNotAllowed, ErrBusy, ErrFull and ErrLimit.
func (e *Error) Is(target error) bool { return e.kind != nil && target == e.kind }

func failed(failure wit.Error) error {
	switch failure.Tag() {
	case wit.Error_NotAllowed:
		return &Error{kind: ErrNotAllowed, Message: failure.NotAllowed()}
	case wit.Error_Busy:
		return &Error{kind: ErrBusy, Message: failure.Busy()}
	case wit.Error_Full:
		return &Error{kind: ErrFull, Message: failure.Full()}
	case wit.Error_Limit:
		return &Error{kind: ErrLimit, Message: failure.Limit()}
	case wit.Error_AccessDenied:
		return &Error{kind: ErrNotAllowed, Message: failure.AccessDenied()}
	default:
		return &Error{Message: failure.Sql()}
	}
}

// Result is what Exec did.
type Result struct {
	Changes      uint64
	LastInsertID int64
}

// Rows are a query's column names and rows of values.
type Rows struct {
	Columns []string
	Values  [][]any
}

func param(value any) (wit.Value, error) {
	switch v := value.(type) {
	case nil:
		return wit.MakeValueNull(), nil
	case int64:
		return wit.MakeValueInteger(v), nil
	case int:
		return wit.MakeValueInteger(int64(v)), nil
	case int32:
		return wit.MakeValueInteger(int64(v)), nil
	case uint32:
		return wit.MakeValueInteger(int64(v)), nil
	case bool:
		if v {
			return wit.MakeValueInteger(1), nil
		}
		return wit.MakeValueInteger(0), nil
	case float64:
		return wit.MakeValueReal(v), nil
	case string:
		return wit.MakeValueText(v), nil
	case []byte:
		return wit.MakeValueBlob(v), nil
	default:
		return wit.Value{}, fmt.Errorf("sqlite: a parameter is an integer, float64, string, []byte, bool or nil, not %T", value)
	}
}

func params(args []any) ([]wit.Value, error) {
	values := make([]wit.Value, 0, len(args))
	for _, arg := range args {
		value, err := param(arg)
		if err != nil {
			return nil, err
		}
		values = append(values, value)
	}
	return values, nil
}

func value(v wit.Value) any {
	switch v.Tag() {
	case wit.Value_Integer:
		return v.Integer()
	case wit.Value_Real:
		return v.Real()
	case wit.Value_Text:
		return v.Text()
	case wit.Value_Blob:
		return v.Blob()
	default:
		return nil
	}
}

// Exec runs one statement that returns no rows, with args bound to ?1, ?2...
func Exec(statement string, args ...any) (Result, error) {
	values, err := params(args)
	if err != nil {
		return Result{}, err
	}
	done := wit.Execute(statement, values)
	if done.IsErr() {
		return Result{}, failed(done.Err())
	}
	return Result{Changes: done.Ok().Changes, LastInsertID: done.Ok().LastInsertId}, nil
}

// Query runs one statement and returns its rows, with args bound to ?1, ?2...
func Query(statement string, args ...any) (Rows, error) {
	values, err := params(args)
	if err != nil {
		return Rows{}, err
	}
	found := wit.Query(statement, values)
	if found.IsErr() {
		return Rows{}, failed(found.Err())
	}
	rows := Rows{Columns: found.Ok().Columns}
	for _, row := range found.Ok().Rows {
		converted := make([]any, len(row))
		for i, v := range row {
			converted[i] = value(v)
		}
		rows.Values = append(rows.Values, converted)
	}
	return rows, nil
}

// Begin begins a transaction; the host rolls it back if the call ends without Commit.
func Begin() error {
	if begun := wit.Begin(); begun.IsErr() {
		return failed(begun.Err())
	}
	return nil
}

// Commit commits the transaction under way.
func Commit() error {
	if done := wit.Commit(); done.IsErr() {
		return failed(done.Err())
	}
	return nil
}

// Rollback rolls the transaction under way back.
func Rollback() error {
	if done := wit.Rollback(); done.IsErr() {
		return failed(done.Err())
	}
	return nil
}

// InTransaction runs fn in a transaction: committed if fn returns nil, else rolled back (and
// fn's error returned).
func InTransaction(fn func() error) error {
	if err := Begin(); err != nil {
		return err
	}
	if err := fn(); err != nil {
		if rollback := Rollback(); rollback != nil {
			return errors.Join(err, rollback)
		}
		return err
	}
	return Commit()
}
