package ehrkit

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Callers classify failures with errors.Is, never with message
// text. ehrkit's typed errors wrap them as follows: *ValidationError (every
// Validate method and CheckCode) wraps ErrInvalid; *storage.Error wraps the
// sentinel of its Kind (ErrNotFound for a missing record, ErrConflict for a
// stale expected version, ...) or storage.ErrClosed; *access.DeniedError
// wraps ErrPermission, or ErrUnauthenticated without a principal; business
// refusals (patient.IdentifierInUseError, patient.DuplicateError,
// schedule.ErrSlotUnavailable, rx.AlertsError, InUseError, a state transition
// not allowed) wrap ErrFailedPrecondition. A failure of the store itself (a
// lost connection, a full disk) or a cancelled context may wrap none of them.
var (
	// ErrNotFound reports that a requested record or version does not exist.
	ErrNotFound = errors.New("ehrkit: not found")
	// ErrConflict reports a lost optimistic race: a write named a version
	// (none, for a create) that another writer had already replaced. It is
	// retryable, and it is the only error Retry runs its function again for;
	// a business refusal never wraps it.
	ErrConflict = errors.New("ehrkit: conflict")
	// ErrInvalid reports input that breaks a rule; see ValidationError for details.
	ErrInvalid = errors.New("ehrkit: invalid")
	// ErrFailedPrecondition reports an operation refused in the current state:
	// signing an order that is not a draft, an identifier that belongs to
	// another patient, a certain duplicate, a slot already taken. Running the
	// operation again gives the same answer until the state changes.
	ErrFailedPrecondition = errors.New("ehrkit: failed precondition")
	// ErrPermission reports that the principal may not perform the operation.
	ErrPermission = errors.New("ehrkit: permission denied")
	// ErrUnauthenticated reports that no principal was supplied.
	ErrUnauthenticated = errors.New("ehrkit: unauthenticated")
	// ErrUnsupported reports a feature or content that is not supported.
	ErrUnsupported = errors.New("ehrkit: unsupported")
)

// IssueCode classifies one validation problem. The values are FHIR
// OperationOutcome issue-type codes.
type IssueCode string

// Issue codes used across ehrkit (FHIR R4 IssueType value set).
const (
	IssueRequired     IssueCode = "required"
	IssueValue        IssueCode = "value"
	IssueInvariant    IssueCode = "invariant"
	IssueCodeInvalid  IssueCode = "code-invalid"
	IssueDuplicate    IssueCode = "duplicate"
	IssueBusinessRule IssueCode = "business-rule"
	IssueStructure    IssueCode = "structure"
	IssueTooLong      IssueCode = "too-long"
	IssueNotSupported IssueCode = "not-supported"
)

// Issue is one problem found while validating a value.
type Issue struct {
	// Path locates the offending field, e.g. "name[0].family".
	Path string
	// Code classifies the problem.
	Code IssueCode
	// Message explains the problem without repeating any PHI.
	Message string
}

// ValidationError lists every problem found in a value. It wraps ErrInvalid.
type ValidationError struct {
	Issues []Issue
}

// Error summarises the issues: paths and codes only, never values.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Issues))
	for i, is := range e.Issues {
		parts[i] = fmt.Sprintf("%s: %s (%s)", is.Path, is.Message, is.Code)
	}
	return "ehrkit: invalid: " + strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Has reports whether an issue with the given path and code is present.
func (e *ValidationError) Has(path string, code IssueCode) bool {
	for _, is := range e.Issues {
		if is.Path == path && is.Code == code {
			return true
		}
	}
	return false
}

// Issues collects validation problems. The zero value is ready to use.
//
//	var v ehrkit.Issues
//	v.Required("name", len(p.Name) > 0)
//	return v.Err()
type Issues struct {
	list []Issue
}

// Add records a problem.
func (v *Issues) Add(path string, code IssueCode, format string, args ...any) {
	v.list = append(v.list, Issue{Path: path, Code: code, Message: fmt.Sprintf(format, args...)})
}

// Required records a "required" problem at path unless ok.
func (v *Issues) Required(path string, ok bool) {
	if !ok {
		v.Add(path, IssueRequired, "is required")
	}
}

// Check records a problem with the given code at path unless ok.
func (v *Issues) Check(ok bool, path string, code IssueCode, format string, args ...any) {
	if !ok {
		v.Add(path, code, format, args...)
	}
}

// Merge adds the issues of err under the path prefix. err may be nil, a
// *ValidationError, or any other error (recorded as a value problem).
func (v *Issues) Merge(prefix string, err error) {
	if err == nil {
		return
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		v.Add(prefix, IssueValue, "%v", err)
		return
	}
	for _, is := range ve.Issues {
		is.Path = JoinPath(prefix, is.Path)
		v.list = append(v.list, is)
	}
}

// Len reports how many problems were recorded.
func (v *Issues) Len() int { return len(v.list) }

// Err returns nil when no problem was recorded and a *ValidationError otherwise.
func (v *Issues) Err() error {
	if len(v.list) == 0 {
		return nil
	}
	return &ValidationError{Issues: append([]Issue(nil), v.list...)}
}

// JoinPath joins a path prefix and a sub-path: JoinPath("name[0]", "family") is
// "name[0].family"; an index sub-path ("[2]") is appended without a dot.
func JoinPath(prefix, sub string) string {
	switch {
	case prefix == "":
		return sub
	case sub == "":
		return prefix
	case strings.HasPrefix(sub, "["):
		return prefix + sub
	}
	return prefix + "." + sub
}

// Index formats an indexed path element: Index("name", 0) is "name[0]".
func Index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }
