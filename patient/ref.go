package patient

import (
	"context"
	"errors"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// CheckRef checks, in r (the transaction of the caller's write, so the answer
// holds when it commits), that the patient id exists and has not been merged
// into another record. A problem is added to is at path ("patient",
// "subject"); only a storage failure is returned. Domain packages above
// patient call it before they write a record that names a patient, so no
// record is stored for a patient who does not exist or was merged away.
func CheckRef(ctx context.Context, r storage.Reader, id ID, path string, is *ehrkit.Issues) error {
	if !storage.ValidID(string(id)) {
		is.Add(path, ehrkit.IssueRequired, "needs a patient id")
		return nil
	}
	p, _, err := patients.Get(ctx, r, string(id))
	switch {
	case errors.Is(err, ehrkit.ErrNotFound):
		is.Add(path, ehrkit.IssueValue, "no such patient")
		return nil
	case err != nil:
		return err
	case p.ReplacedBy() != "":
		is.Add(path, ehrkit.IssueBusinessRule, "the patient record was merged into Patient/%s", p.ReplacedBy())
	}
	return nil
}

// BirthDate returns, read in r, the birth date of the patient with the id
// (zero when not recorded); ehrkit.ErrNotFound when there is no such patient.
// Domain packages above patient use it for age-dependent rules (vital-sign
// ranges, dose limits) within the transaction of their write.
func BirthDate(ctx context.Context, r storage.Reader, id ID) (ehrkit.Date, error) {
	p, _, err := patients.Get(ctx, r, string(id))
	if err != nil {
		return ehrkit.Date{}, err
	}
	return p.BirthDate, nil
}
