package patient

import (
	"context"
	"fmt"
	"time"

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

// Named is how a sender names a patient: by identifiers (an HL7 PID-3, a
// DICOM Patient ID) and demographics rather than by ehrkit id. Feeds embed it
// in what they receive.
type Named struct {
	Identifiers []ehrkit.Identifier `json:"identifiers,omitempty"`
	BirthDate   ehrkit.Date         `json:"birthDate,omitzero"`
	Gender      Gender              `json:"gender,omitempty"`
}

// Identify returns the patient a sender names, read in r (a transaction, so that the
// match and the write it decides commit together): the one current patient
// every identifier points to, whose birth date and gender agree where both
// sides know them. Otherwise it returns "" and one of the Unmatched reasons,
// never a guess. Identifiers without a system or a value are ignored; merged
// records are skipped (the survivor carries their identifiers).
func Identify(ctx context.Context, r storage.Reader, n Named) (ID, string, error) {
	var found ID
	for _, ident := range n.Identifiers {
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
			if !n.BirthDate.IsZero() && !p.BirthDate.IsZero() && n.BirthDate.Compare(p.BirthDate) != 0 || !sameGender(n.Gender, p.Gender) {
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

// QueueStatus is where an entry of a reconciliation queue is.
type QueueStatus string

// Queue statuses.
const (
	QueueOpen     QueueStatus = "open"
	QueueResolved QueueStatus = "resolved"
)

// Reconciliation is the state of an entry of a reconciliation queue (lab
// results, imaging studies whose patient Identify could not name): why, since
// when, and once resolved, to whom and by whom. Domain queues embed it.
type Reconciliation struct {
	Reason   string      `json:"reason"` // one of the Unmatched reasons
	Status   QueueStatus `json:"status"`
	Received time.Time   `json:"received"`
	Patient  ID          `json:"patient,omitempty"` // set when resolved
	By       string      `json:"by,omitempty"`
	Resolved time.Time   `json:"resolved,omitzero"`
}

// Resolve closes an open entry: filed to p by principal by at at. An entry
// already resolved is refused with ehrkit.ErrFailedPrecondition.
func (r *Reconciliation) Resolve(p ID, by string, at time.Time) error {
	if r.Status != QueueOpen {
		return fmt.Errorf("patient: queue entry already resolved to Patient/%s: %w", r.Patient, ehrkit.ErrFailedPrecondition)
	}
	r.Status, r.Patient, r.By, r.Resolved = QueueResolved, p, by, at
	return nil
}
