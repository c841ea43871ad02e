package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/ehrkit/ehrkit"
)

// ErrClosed reports use of a store after Close.
var ErrClosed = errors.New("storage: store is closed")

// Error carries a storage failure: the operation, the record concerned (opaque
// ids only, never values), the ehrkit sentinel classifying it, and the cause
// (a driver error, kept for errors.As).
type Error struct {
	Op    string // "get", "put", "query", ...
	Type  string
	ID    string
	Kind  error // one of the ehrkit sentinels or ErrClosed
	Cause error // the underlying error, may be nil
}

// Error renders the failure without PHI.
func (e *Error) Error() string {
	s := "storage: " + e.Op
	if e.Type != "" {
		s += " " + e.Type + "/" + e.ID
	}
	s += ": " + e.Kind.Error()
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap exposes both the classifying sentinel and the cause.
func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Cause}
}

// Errorf builds an *Error with a formatted cause.
func Errorf(op, typ, id string, kind error, format string, args ...any) error {
	return &Error{Op: op, Type: typ, ID: id, Kind: kind, Cause: fmt.Errorf(format, args...)}
}

// NotFound reports a missing record.
func NotFound(op, typ, id string) error {
	return &Error{Op: op, Type: typ, ID: id, Kind: ehrkit.ErrNotFound}
}

// Conflict reports a stale expected version: the caller expected one version
// and found another.
func Conflict(op, typ, id string, expected, found int64) error {
	return Errorf(op, typ, id, ehrkit.ErrConflict, "expected version %d, found %d", expected, found)
}

// Gone reports a Delete of a record that is missing or deleted: ErrConflict
// when the caller expected a version (the record was deleted or never held
// that version: a stale read, as for Put), ErrNotFound otherwise (expect Any
// or 0).
func Gone(op, typ, id string, expect int64) error {
	if expect > 0 {
		return Errorf(op, typ, id, ehrkit.ErrConflict, "expected version %d, found none", expect)
	}
	return NotFound(op, typ, id)
}

// Closed reports use after Close.
func Closed(op string) error { return &Error{Op: op, Kind: ErrClosed} }

// Ctx returns an error wrapping the context's error if ctx is done, else nil.
func Ctx(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return &Error{Op: op, Kind: err}
	}
	return nil
}
