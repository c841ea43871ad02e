package pgstore

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// SQLSTATE codes pgstore classifies (PostgreSQL Appendix A).
const (
	codeUniqueViolation          = "23505"
	codeSerializationFailure     = "40001"
	codeDeadlockDetected         = "40P01"
	codeLockNotAvailable         = "55P03"
	codeQueryCanceled            = "57014"
	codeCharacterNotInRepertoire = "22021"
	codeUntranslatableChar       = "22P05"
	codeProgramLimitExceeded     = "54000"
	codeStringDataTruncation     = "22001"
	codeInvalidParameterValue    = "22023"
)

// fail turns a driver error into a *storage.Error classified by SQLSTATE code,
// keeping the driver error as the cause. Errors that already are
// *storage.Error pass through unchanged.
func (s *Store) fail(ctx context.Context, op, typ, id string, err error) error {
	var se *storage.Error
	if errors.As(err, &se) {
		return err
	}
	if s.closed.Load() {
		return &storage.Error{Op: op, Type: typ, ID: id, Kind: storage.ErrClosed, Cause: err}
	}
	return &storage.Error{Op: op, Type: typ, ID: id, Kind: classify(ctx, err), Cause: err}
}

// classify maps an error to an ehrkit sentinel or a context error:
//
//   - unique_violation (a create racing another, or expect 0 on an existing
//     record), serialization_failure, deadlock_detected and
//     lock_not_available are ehrkit.ErrConflict: retrying may succeed;
//   - query_canceled, or any failure while ctx is done, is ctx's error;
//   - character_not_in_repertoire, untranslatable_character,
//     string_data_right_truncation, invalid_parameter_value and
//     program_limit_exceeded (input PostgreSQL cannot store, such as a NUL
//     byte in an event topic) are ehrkit.ErrInvalid;
//   - everything else (a lost connection, a full disk, a missing table) is
//     ehrkit.ErrFailedPrecondition: the store cannot work in its present
//     state.
func classify(ctx context.Context, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case codeUniqueViolation, codeSerializationFailure, codeDeadlockDetected, codeLockNotAvailable:
			return ehrkit.ErrConflict
		case codeCharacterNotInRepertoire, codeUntranslatableChar, codeProgramLimitExceeded, codeStringDataTruncation, codeInvalidParameterValue:
			return ehrkit.ErrInvalid
		case codeQueryCanceled:
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	switch {
	case errors.Is(err, context.Canceled):
		return context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	}
	return ehrkit.ErrFailedPrecondition
}
