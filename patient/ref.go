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
//
// The answer is read from the record's index terms (TermStatus), without
// decoding the record, except for a merged record, whose successor the
// problem names.
func CheckRef(ctx context.Context, r storage.Reader, id ID, path string, is *ehrkit.Issues) error {
	if !storage.ValidID(string(id)) {
		is.Add(path, ehrkit.IssueRequired, "needs a patient id")
		return nil
	}
	rec, err := r.Get(ctx, RecordType, string(id))
	switch {
	case errors.Is(err, ehrkit.ErrNotFound):
		is.Add(path, ehrkit.IssueValue, "no such patient")
		return nil
	case err != nil:
		return err
	}
	if status, ok := term(rec, TermStatus); ok && status == StatusCurrent {
		return nil
	}
	p, err := patients.Decode(rec)
	if err != nil {
		return err
	}
	if p.ReplacedBy() != "" {
		is.Add(path, ehrkit.IssueBusinessRule, "the patient record was merged into Patient/%s", p.ReplacedBy())
	}
	return nil
}

// BirthDate returns, read in r, the birth date of the patient with the id
// (zero when not recorded); ehrkit.ErrNotFound when there is no such patient.
// Domain packages above patient use it for age-dependent rules (vital-sign
// ranges, dose limits) within the transaction of their write. It reads the
// date from the record's index terms (TermBirthDate) without decoding it.
func BirthDate(ctx context.Context, r storage.Reader, id ID) (ehrkit.Date, error) {
	rec, err := r.Get(ctx, RecordType, string(id))
	if err != nil {
		return ehrkit.Date{}, err
	}
	if _, indexed := term(rec, TermStatus); indexed {
		s, ok := term(rec, TermBirthDate)
		if !ok || s == "" {
			return ehrkit.Date{}, nil
		}
		return ehrkit.ParseDate(s)
	}
	p, err := patients.Decode(rec)
	if err != nil {
		return ehrkit.Date{}, err
	}
	return p.BirthDate, nil
}

// term returns the value of the first index term of rec called name.
func term(rec storage.Record, name string) (string, bool) {
	for _, t := range rec.Terms {
		if t.Name == name {
			return t.Value, true
		}
	}
	return "", false
}
