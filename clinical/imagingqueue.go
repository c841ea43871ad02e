package clinical

import (
	"context"
	"errors"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// ImagingQueueType is the record type of the imaging reconciliation queue.
const ImagingQueueType = "ImagingStudyQueue"

// IncomingStudy is an imaging study whose patient the modality names by
// identifiers and demographics (DICOM Patient ID, birth date, sex) rather
// than by ehrkit id.
type IncomingStudy struct {
	Study ImagingStudy `json:"study"`
	patient.Named
}

// QueuedStudy is an imaging study that matched no patient confidently,
// waiting for a person to say whose it is (Service.ResolveImagingStudy). Its
// id is the study's.
type QueuedStudy struct {
	ID       string        `json:"id"`
	Incoming IncomingStudy `json:"incoming"`
	patient.Reconciliation
}

var imagingQueue = storage.Kind[QueuedStudy]{Type: ImagingQueueType, Version: 1, Meta: func(q *QueuedStudy) storage.Meta {
	var t terms
	t.add(termStatus, string(q.Status))
	t.add("uid", q.Incoming.Study.UID)
	return meta(q.ID, "", t)
}}

// Filing says where ReceiveImagingStudy put a study: in the chart of Patient
// (with storage's Outcome), or in the reconciliation queue under Queue, for
// Reason.
type Filing struct {
	Patient patient.ID
	Outcome storage.Outcome
	Queue   string
	Reason  string
}

// ReceiveImagingStudy files an arriving study in tx: to the patient its
// identifiers and demographics name with confidence (patient.Identify),
// through SaveImagingStudy; otherwise into the reconciliation queue, never
// dropped and never attached to a patient it is not sure of. The study is
// checked by every rule but its patient before it is queued. More of a
// study a person has already resolved goes to the patient they chose.
func (s *Service) ReceiveImagingStudy(ctx context.Context, tx storage.Tx, in IncomingStudy) (Filing, error) {
	st := in.Study
	p, reason, err := s.resolvedPatient(ctx, tx, st.ID)
	if err == nil && p == "" {
		p, reason, err = patient.Identify(ctx, tx, in.Named)
	}
	if err != nil {
		return Filing{}, err
	}
	if reason == "" {
		st.Patient = p
		out, err := s.SaveImagingStudy(ctx, tx, st)
		return Filing{Patient: p, Outcome: out}, err
	}
	st.deriveCounts()
	probe := st
	probe.Patient = "queued" // the one rule a queued study cannot meet yet
	var is ehrkit.Issues
	is.Check(storage.ValidID(st.ID), "study.id", ehrkit.IssueValue, "malformed id")
	is.Merge("study", ehrkit.Tolerate(ctx, probe.Validate()))
	if err := is.Err(); err != nil {
		return Filing{}, err
	}
	st.Patient = ""
	in.Study = st
	q := QueuedStudy{ID: st.ID, Incoming: in, Reconciliation: patient.Reconciliation{Reason: reason, Status: patient.QueueOpen, Received: s.now()}}
	_, err = imagingQueue.Save(ctx, tx, &q, func(previous *QueuedStudy) error {
		if previous != nil {
			q.Received = previous.Received
		}
		return nil
	})
	return Filing{Queue: q.ID, Reason: reason}, err
}

// resolvedPatient returns the patient a person filed the queued study id to,
// or "" when the study was never queued or is still waiting.
func (s *Service) resolvedPatient(ctx context.Context, tx storage.Tx, id string) (patient.ID, string, error) {
	if !storage.ValidID(id) {
		return "", "", nil // Validate names the id
	}
	q, _, err := imagingQueue.Get(ctx, tx, id)
	if errors.Is(err, ehrkit.ErrNotFound) || err == nil && q.Status != patient.QueueResolved {
		return "", "", nil
	}
	return q.Patient, "", err
}

// ImagingQueue lists the open entries of the imaging reconciliation queue.
func (s *Service) ImagingQueue(ctx context.Context) ([]QueuedStudy, error) {
	var out []QueuedStudy
	for q, err := range imagingQueue.All(ctx, s.store, storage.Query{Filters: []storage.Filter{{Term: termStatus, Op: storage.Eq, Value: string(patient.QueueOpen)}}, Limit: storage.MaxLimit}) {
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}

// ResolveImagingStudy files the queued study id to patient p in tx through
// SaveImagingStudy and closes the entry, audited as "imaging.reconcile"; it
// returns the study as stored, so that the caller can complete its order in
// the same transaction. An entry already resolved is refused with
// ehrkit.ErrFailedPrecondition.
func (s *Service) ResolveImagingStudy(ctx context.Context, tx storage.Tx, id string, p patient.ID) (ImagingStudy, error) {
	pr, ok := access.PrincipalFrom(ctx)
	if !ok {
		return ImagingStudy{}, &access.DeniedError{Action: "imaging.reconcile", Reason: access.ReasonUnauthenticated}
	}
	q, version, err := imagingQueue.Get(ctx, tx, id)
	if err != nil {
		return ImagingStudy{}, err
	}
	if err := q.Resolve(p, pr.ID, s.now()); err != nil {
		return ImagingStudy{}, err
	}
	st := q.Incoming.Study
	st.Patient = p
	if _, err := s.SaveImagingStudy(ctx, tx, st); err != nil {
		return ImagingStudy{}, err
	}
	if _, err := imagingQueue.Put(ctx, tx, &q, version); err != nil {
		return ImagingStudy{}, err
	}
	return st, access.Note(ctx, tx, "imaging.reconcile", string(p), ImagingQueueType+"/"+q.ID)
}
