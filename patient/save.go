package patient

import (
	"context"
	"errors"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Save stores p as given inside the caller's transaction: the entry point of
// importers and feeds (FHIR, HL7 ADT) that compose several domain writes in
// one transaction. It runs the rules every registry write runs: p is
// validated, its identifiers are claimed in step (an identifier held by
// another patient refuses it, naming identifier[i]; identifiers the replaced
// version no longer carries are released), and TopicRegistered or
// TopicUpdated is emitted. The record is created, replaced when it differs,
// or left (storage.Kind.Save); no MRN is assigned and no duplicate check runs:
// the caller brings the patient's identity. Merge links are kept as sent.
func (s *Service) Save(ctx context.Context, tx storage.Tx, p Patient) (storage.Outcome, error) {
	if err := ehrkit.Tolerate(ctx, s.validate(p)); err != nil {
		return "", err
	}
	p.Version = 0
	outcome, err := patients.Save(ctx, tx, &p, func(previous *Patient) error {
		err := claimIdentifiers(ctx, tx, p, previous)
		var inUse *IdentifierInUseError
		if errors.As(err, &inUse) {
			var v ehrkit.Issues
			v.Add(ehrkit.Index("identifier", inUse.Index), ehrkit.IssueDuplicate, "belongs to another patient")
			return v.Err()
		}
		return err
	})
	if err != nil || outcome == storage.Unchanged {
		return outcome, err
	}
	cur, err := tx.Get(ctx, RecordType, string(p.ID))
	if err != nil {
		return "", err
	}
	topic := TopicUpdated
	if outcome == storage.Created {
		topic = TopicRegistered
	}
	return outcome, emit(ctx, tx, topic, p.ID, cur.Version, "")
}

// Records is the read-only view of patient records, for packages that read
// them in their own transactions (an exporter, a report); writes go through
// the Service.
var Records = patients.View()
