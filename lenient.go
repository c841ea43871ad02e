package ehrkit

import (
	"context"
	"errors"
)

// LabelUnverifiedCode is the security label (storage.Record.Labels) of a
// record stored under leniency: its codes were kept as the sender gave them
// although they failed a terminology check. A later strict write of the
// record without such problems drops the label.
const LabelUnverifiedCode = "unverified-code"

type lenientKey struct{}

// Lenient returns a context under which domain services accept values whose
// only problems are terminology problems (issues with code
// IssueCodeInvalid: an unknown code in a required value set, a code failing
// its system's check digit), storing them as sent and labelled
// LabelUnverifiedCode. Importers use it for one resource at a time, when the
// user asked for a lenient import; structural problems are refused as
// always.
func Lenient(ctx context.Context) context.Context { return context.WithValue(ctx, lenientKey{}, true) }

// IsLenient reports whether ctx came from Lenient.
func IsLenient(ctx context.Context) bool { v, _ := ctx.Value(lenientKey{}).(bool); return v }

// Waivable reports whether err is a *ValidationError all of whose issues are
// terminology problems (IssueCodeInvalid).
func Waivable(err error) bool {
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Issues) == 0 {
		return false
	}
	for _, is := range ve.Issues {
		if is.Code != IssueCodeInvalid {
			return false
		}
	}
	return true
}

// Tolerate returns err, or nil when ctx is lenient and err is Waivable. A
// service's write entry points pass their validation result through it.
func Tolerate(ctx context.Context, err error) error {
	if err != nil && IsLenient(ctx) && Waivable(err) {
		return nil
	}
	return err
}
