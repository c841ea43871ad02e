package patient

import (
	"context"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Reasons Identify gives for finding no confident patient; feeds that file
// unmatched results or studies in a reconciliation queue record them.
const (
	UnmatchedNone         = "no-match"
	UnmatchedAmbiguous    = "ambiguous"
	UnmatchedDemographics = "demographics-differ"
)

// Identify returns the patient a sender names by identifiers (an HL7 PID-3,
// a DICOM Patient ID) and demographics, read in r (a transaction, so that the
// match and the write it decides commit together): the one current patient
// every identifier points to, whose birth date and gender agree where both
// sides know them. Otherwise it returns "" and one of the Unmatched reasons,
// never a guess. Identifiers without a system or a value are ignored; merged
// records are skipped (the survivor carries their identifiers).
func Identify(ctx context.Context, r storage.Reader, identifiers []ehrkit.Identifier, birth ehrkit.Date, gender Gender) (ID, string, error) {
	var found ID
	for _, ident := range identifiers {
		if ident.System == "" || ident.Value == "" {
			continue
		}
		page, err := r.Query(ctx, storage.Query{Type: RecordType,
			Filters: []storage.Filter{{Term: TermIdentifier, Op: storage.Eq, Value: ident.Token()}}, Limit: 10})
		if err != nil {
			return "", "", err
		}
		for _, rec := range page.Records {
			p, err := Records.Decode(rec)
			if err != nil {
				return "", "", err
			}
			if p.ReplacedBy() != "" {
				continue
			}
			if found != "" && found != p.ID {
				return "", UnmatchedAmbiguous, nil
			}
			found = p.ID
			if !birth.IsZero() && !p.BirthDate.IsZero() && birth.Compare(p.BirthDate) != 0 || !sameGender(gender, p.Gender) {
				return "", UnmatchedDemographics, nil
			}
		}
	}
	if found == "" {
		return "", UnmatchedNone, nil
	}
	return found, "", nil
}

// sameGender reports whether two genders agree, an unknown one agreeing with
// any.
func sameGender(a, b Gender) bool {
	return a == "" || b == "" || a == GenderUnknown || b == GenderUnknown || a == b
}
