package sqlitestore

import (
	"context"
	"errors"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// wrap turns an error from database/sql or the driver into a *storage.Error
// classified by SQLite result code, keeping the driver error as the cause.
// Errors that already are *storage.Error pass through unchanged.
func (s *Store) wrap(ctx context.Context, op, typ, id string, err error) error {
	if err == nil {
		return nil
	}
	var se *storage.Error
	if errors.As(err, &se) {
		return err
	}
	if s.closed.Load() {
		return storage.Closed(op)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(err, ctxErr) {
			err = nil
		}
		return &storage.Error{Op: op, Type: typ, ID: id, Kind: ctxErr, Cause: err}
	}
	return &storage.Error{Op: op, Type: typ, ID: id, Kind: classify(err), Cause: err}
}

// classify maps a driver error to an ehrkit sentinel by its SQLite (extended)
// result code:
//
//   - a primary key or unique constraint, SQLITE_BUSY and SQLITE_LOCKED (another
//     writer holds the database) are ErrConflict;
//   - other constraints, SQLITE_TOOBIG, SQLITE_RANGE and SQLITE_MISMATCH are
//     ErrInvalid;
//   - everything else (I/O, a full disk, a read-only or corrupt file, a context
//     ended mid-statement, ...) is ErrFailedPrecondition: the store cannot do
//     the operation in its present state.
func classify(err error) error {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return ehrkit.ErrFailedPrecondition
	}
	switch code := e.Code(); code {
	case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
		return ehrkit.ErrConflict
	default:
		switch code & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return ehrkit.ErrConflict
		case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_RANGE, sqlite3.SQLITE_MISMATCH:
			return ehrkit.ErrInvalid
		}
	}
	return ehrkit.ErrFailedPrecondition
}

// invalid wraps a validation error from the storage package.
func invalid(op, typ, id string, err error) error {
	return &storage.Error{Op: op, Type: typ, ID: id, Kind: ehrkit.ErrInvalid, Cause: err}
}
