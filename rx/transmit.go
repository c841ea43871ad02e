package rx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// TopicPrescription is the change-feed topic of a signed prescription to
// transmit. Its payload names the order; its Key is the transmission's
// idempotency key, "rx.prescription/" and the order id, which the Dispatcher
// derives from the order rather than take from the event.
const TopicPrescription = "rx.prescription"

// TransmissionType is the storage record type of transmissions.
const TransmissionType = "RxTransmission"

// TransmissionStatus is where a prescription is on its way to the pharmacy.
type TransmissionStatus string

// Transmission statuses.
const (
	Queued   TransmissionStatus = "queued"   // signed or requeued, waiting for the dispatcher
	Sent     TransmissionStatus = "sent"     // the pharmacy received it and has not answered yet
	Accepted TransmissionStatus = "accepted" // the pharmacy accepted it
	Rejected TransmissionStatus = "rejected" // the pharmacy refused it
	// DeadLetter: it will not be delivered as it is (see Transmission.Cause);
	// Service.Requeue queues it again.
	DeadLetter TransmissionStatus = "dead-letter"
)

// Transmission tracks the delivery of one signed prescription. Its ID is the
// order's.
type Transmission struct {
	ID      string             `json:"id"`
	Patient patient.ID         `json:"patient"`
	Key     string             `json:"key"`
	Status  TransmissionStatus `json:"status"`
	// Attempts counts deliveries tried; LastError is the last failure.
	Attempts  int    `json:"attempts"`
	LastError string `json:"lastError,omitempty"`
	Reference string `json:"reference,omitempty"` // the pharmacy's id for it
	Reason    string `json:"reason,omitempty"`    // why it was rejected
	// Cause says why it was dead-lettered: ids and codes only.
	Cause   string    `json:"cause,omitempty"`
	Queued  time.Time `json:"queued"`
	Updated time.Time `json:"updated"`
}

var transmissions = storage.Kind[Transmission]{Type: TransmissionType, Version: 1, Meta: func(t *Transmission) storage.Meta {
	return storage.Meta{ID: t.ID, Compartment: string(t.Patient), Terms: []storage.Term{{Name: TermStatus, Value: string(t.Status)}}}
}}

type prescriptionEvent struct {
	Order string `json:"order"`
}

// queue emits the outbox event of a signed prescription in tx. The
// transmission record itself is written by the Dispatcher, so a prescriber
// needs no access to it.
func queue(ctx context.Context, tx storage.Tx, o Order) error {
	payload, err := json.Marshal(prescriptionEvent{Order: o.ID})
	if err != nil {
		return err
	}
	return tx.Emit(ctx, storage.Event{Topic: TopicPrescription, Key: TopicPrescription + "/" + o.ID, Compartment: string(o.Patient), Payload: payload})
}

// Transmission returns the transmission of a signed medication order; before
// the Dispatcher has seen it, it is reported queued.
func (s *Service) Transmission(ctx context.Context, orderID string) (Transmission, error) {
	t, _, err := transmissions.Get(ctx, s.store, orderID)
	if !errors.Is(err, ehrkit.ErrNotFound) {
		return t, err
	}
	o, err := s.Get(ctx, orderID)
	if err != nil {
		return Transmission{}, err
	}
	if o.Kind != KindMedication || o.Signed.IsZero() {
		return Transmission{}, fmt.Errorf("rx: order %s was never signed for transmission: %w", orderID, ehrkit.ErrNotFound)
	}
	return Transmission{ID: o.ID, Patient: o.Patient, Key: TopicPrescription + "/" + o.ID, Status: Queued, Queued: o.Signed, Updated: o.Signed}, nil
}

// CheckPrescription returns nil if o may go to a pharmacy: a signed, active
// medication order; otherwise a *ehrkit.ValidationError naming each field
// that stops it (kind, medication, signed, status). The Dispatcher checks the
// order it reads before sending it, and encoders check what they are given.
func CheckPrescription(o Order) error {
	var v ehrkit.Issues
	v.Check(o.Kind == KindMedication, "kind", ehrkit.IssueNotSupported, "only medication orders are prescriptions")
	v.Check(o.Kind != KindMedication || o.Medication != nil, "medication", ehrkit.IssueRequired, "a prescription names its medication")
	v.Check(!o.Signed.IsZero(), "signed", ehrkit.IssueBusinessRule, "the order was never signed")
	v.Check(o.Status == Active, "status", ehrkit.IssueBusinessRule, "the order is %s, not active", o.Status)
	return v.Err()
}

// Encoder renders a prescription in the wire format a pharmacy takes. rx
// holds no wire format: the program that wires the Dispatcher gives it one,
// such as interop/fhir's PrescriptionEncoder (FHIR R4 MedicationRequest) or
// interop/hl7v2's RDEEncoder (HL7 v2.5.1 RDE^O11). An encoder is
// deterministic, so a replay sends the same bytes; its errors name fields and
// ids only, never values, and the Dispatcher dead-letters the order.
type Encoder interface {
	// Encode renders a signed, active medication order and returns the bytes
	// and their media type.
	Encode(o Order) (data []byte, contentType string, err error)
}

// Prescription is what a Pharmacy receives: the order and its encoding.
type Prescription struct {
	// Key identifies the prescription across retries: a pharmacy that sees a
	// Key again must answer as it did the first time and not dispense twice.
	Key         string
	Order       Order
	Message     []byte // the order as the Dispatcher's Encoder rendered it
	ContentType string // the media type of Message
}

// Ack is a pharmacy's answer to a transmission.
type Ack struct {
	// Status is Sent (received, answer later), Accepted or Rejected.
	Status    TransmissionStatus
	Reference string // the pharmacy's id
	Reason    string // why it was rejected
}

// Pharmacy delivers prescriptions: an e-prescribing network, a pharmacy
// system's interface engine, a test harness.
//
// An error means the delivery may or may not have happened. By default it is
// transient: the Dispatcher tries again with the same Key, waiting longer
// after each failure, and dead-letters the prescription when its attempts are
// used up. An error wrapped with Permanent (a request the pharmacy will never
// take, such as an unknown pharmacy or a message it cannot parse) is
// dead-lettered at once. The text of the error is logged and kept with the
// dead letter, so it must hold ids and codes only, never PHI.
type Pharmacy interface {
	Transmit(ctx context.Context, p Prescription) (Ack, error)
}

// ErrPermanent is matched (errors.Is) by the errors Permanent returns.
var ErrPermanent = errors.New("permanent delivery failure")

// Permanent marks err as a delivery failure that trying again cannot fix:
// the Dispatcher dead-letters the prescription without retrying. The result
// matches both ErrPermanent and err with errors.Is and errors.As. Permanent(nil)
// is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

type permanentError struct{ err error }

func (e permanentError) Error() string   { return e.err.Error() }
func (e permanentError) Unwrap() []error { return []error{ErrPermanent, e.err} }

// DispatcherName is the change-feed consumer name of the Dispatcher.
const DispatcherName = "rx-dispatcher"

// Dispatcher transmits queued prescriptions: it reads the change feed (the
// outbox written by Sign), reads the order each event names and sends it only
// if it is a signed, active medication order of the event's patient, encodes
// it, sends it to the pharmacy and records the answer. Delivery is at least
// once and, through the idempotency key, at most once at a pharmacy that
// honours it: a crash between sending and recording replays the prescription
// with the same Key.
//
// A prescription that cannot be delivered (an order no longer active, an
// encoding error, a permanent pharmacy error, or transient errors beyond the
// attempts allowed) is dead-lettered, with its cause, and the Dispatcher moves
// on to later prescriptions; Service.DeadLetters lists them and
// Service.Requeue sends one again. An event that names no signed medication
// order of its patient is dropped and logged with the reason.
//
// A prescription whose patient was merged into another after signing goes
// out as the order reads when it is sent: under the surviving patient, whose
// record the merge moved it to and which holds both records' identifiers, so
// the pharmacy files it with the patient's current record rather than with
// one that is no longer in use. Its transmission is the survivor's.
type Dispatcher struct {
	store    storage.Store
	encoder  Encoder
	pharmacy Pharmacy
	feed     *storage.Feed
	cfg      config
}

// NewDispatcher returns a dispatcher of the prescriptions queued in store,
// which it encodes with enc and sends to pharmacy.
func NewDispatcher(store storage.Store, enc Encoder, pharmacy Pharmacy, opts ...Option) (*Dispatcher, error) {
	cfg := newConfig(opts)
	var v ehrkit.Issues
	v.Required("encoder", enc != nil)
	v.Required("pharmacy", pharmacy != nil)
	v.Check(cfg.attempts >= 1, "attempts", ehrkit.IssueValue, "must be at least 1")
	v.Check(cfg.maxBackoff >= 0, "maxBackoff", ehrkit.IssueValue, "must not be negative")
	if err := v.Err(); err != nil {
		return nil, err
	}
	feed, err := storage.NewFeed(store, DispatcherName, 0)
	if err != nil {
		return nil, err
	}
	return &Dispatcher{store: store, encoder: enc, pharmacy: pharmacy, feed: feed, cfg: cfg}, nil
}

// Poll handles the next batch of the feed and returns how many changes it
// read (0: nothing to do). A transient delivery failure with attempts left
// stops the batch with its error, so that prescriptions go out in order; the
// next Poll tries again.
func (d *Dispatcher) Poll(ctx context.Context) (int, error) {
	return d.feed.Poll(ctx, func(ctx context.Context, changes []storage.Change) error {
		for _, c := range changes {
			if c.Kind != storage.ChangeEvent || c.Topic != TopicPrescription {
				continue
			}
			var ev prescriptionEvent
			if err := json.Unmarshal(c.Payload, &ev); err != nil || !storage.ValidID(ev.Order) {
				d.drop(ctx, c, "", "malformed payload")
				continue
			}
			if err := d.deliver(ctx, c, ev.Order); err != nil {
				return err
			}
		}
		return nil
	})
}

// Run polls until ctx is done. It waits interval when there is nothing to do;
// after a failed Poll it waits interval, doubled after each further failure
// in a row up to the limit WithMaxBackoff sets.
func (d *Dispatcher) Run(ctx context.Context, interval time.Duration) error {
	failures := 0
	for {
		n, err := d.Poll(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := interval
		switch {
		case err != nil:
			failures++
			wait = backoff(interval, d.cfg.maxBackoff, failures)
			d.cfg.log.WarnContext(ctx, "rx dispatch failed; retrying", "cause", err.Error(), "failures", failures, "wait", wait)
		case n > 0:
			failures = 0
			continue
		default:
			failures = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// backoff is the wait after the given number of failures in a row: interval
// doubled per failure after the first, at most limit (but never less than
// interval).
func backoff(interval, limit time.Duration, failures int) time.Duration {
	limit = max(limit, interval)
	wait := interval
	for i := 1; i < failures && wait < limit; i++ {
		wait *= 2
	}
	return min(wait, limit)
}

// drop logs an event the Dispatcher will not act on.
func (d *Dispatcher) drop(ctx context.Context, c storage.Change, order, reason string) {
	d.cfg.log.WarnContext(ctx, "rx prescription event dropped", "seq", c.Seq, "order", order, "reason", reason)
}

// deliver sends one prescription unless it was already delivered or
// dead-lettered.
func (d *Dispatcher) deliver(ctx context.Context, c storage.Change, id string) error {
	o, _, err := medicationRequests.Get(ctx, d.store, id)
	switch {
	case errors.Is(err, ehrkit.ErrNotFound):
		d.drop(ctx, c, id, "no such medication order")
		return nil
	case errors.Is(err, ehrkit.ErrInvalid):
		// A stored order that cannot be decoded does not heal by waiting.
		t, version, done, terr := d.pending(ctx, c, id, patient.ID(c.Compartment))
		if terr != nil || done {
			return terr
		}
		return d.deadLetter(ctx, &t, version, "order: "+err.Error())
	case err != nil:
		return err
	case o.Signed.IsZero():
		d.drop(ctx, c, id, "the order was never signed")
		return nil
	}
	if string(o.Patient) != c.Compartment {
		mine, err := d.wasPatients(ctx, id, c.Compartment)
		if err != nil {
			return err
		}
		if !mine {
			d.drop(ctx, c, id, "the event's patient is not the order's")
			return nil
		}
	}
	t, version, done, err := d.pending(ctx, c, id, o.Patient)
	if err != nil || done {
		return err
	}
	if err := CheckPrescription(o); err != nil {
		return d.deadLetter(ctx, &t, version, "order: "+err.Error())
	}
	p := Prescription{Key: t.Key, Order: o}
	if p.Message, p.ContentType, err = d.encoder.Encode(o); err != nil {
		return d.deadLetter(ctx, &t, version, "encode: "+err.Error())
	}
	ack, sendErr := d.pharmacy.Transmit(ctx, p)
	t.Attempts++
	t.Updated = d.cfg.now()
	switch {
	case sendErr == nil && ack.Status != Sent && ack.Status != Accepted && ack.Status != Rejected:
		return d.deadLetter(ctx, &t, version, fmt.Sprintf("pharmacy: answered with unknown status %q", ack.Status))
	case sendErr == nil:
		t.Status, t.Reference, t.Reason, t.LastError = ack.Status, ack.Reference, ack.Reason, ""
		return d.save(ctx, &t, version)
	case errors.Is(sendErr, ErrPermanent):
		return d.deadLetter(ctx, &t, version, "pharmacy: "+sendErr.Error())
	case t.Attempts >= d.cfg.attempts:
		return d.deadLetter(ctx, &t, version, fmt.Sprintf("pharmacy: not delivered after %d attempts: %v", t.Attempts, sendErr))
	}
	t.LastError = sendErr.Error()
	if err := d.save(ctx, &t, version); err != nil {
		return err
	}
	// The feed must not move past the prescription: the next Poll retries.
	return fmt.Errorf("rx: transmit %s (attempt %d of %d): %w", id, t.Attempts, d.cfg.attempts, sendErr)
}

// wasPatients reports whether a version of order id was in the compartment of
// the given patient: a merge after signing moves the order, and re-points it,
// to the surviving patient, while the event keeps the patient the order was
// signed for. It reads only the order's own history, so a dispatcher needs no
// access to patient records.
func (d *Dispatcher) wasPatients(ctx context.Context, id, compartment string) (bool, error) {
	hist, err := d.store.History(ctx, MedicationRequestType, id)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(hist, func(r storage.Record) bool { return r.Compartment == compartment }), nil
}

// pending returns the transmission of order id, a new one if there is none
// (version 0); done reports that it is no longer queued: delivered before a
// crash, a replay, or dead-lettered.
func (d *Dispatcher) pending(ctx context.Context, c storage.Change, id string, p patient.ID) (t Transmission, version int64, done bool, err error) {
	t, version, err = transmissions.Get(ctx, d.store, id)
	switch {
	case errors.Is(err, ehrkit.ErrNotFound):
		return Transmission{ID: id, Patient: p, Key: TopicPrescription + "/" + id, Status: Queued, Queued: c.Time}, 0, false, nil
	case err != nil:
		return t, 0, false, err
	}
	return t, version, t.Status != Queued, nil
}

// deadLetter records that t will not be delivered, and why, and logs it.
func (d *Dispatcher) deadLetter(ctx context.Context, t *Transmission, version int64, cause string) error {
	t.Status, t.Cause, t.Updated = DeadLetter, cause, d.cfg.now()
	if err := d.save(ctx, t, version); err != nil {
		return err
	}
	d.cfg.log.WarnContext(ctx, "rx prescription dead-lettered", "order", t.ID, "attempts", t.Attempts, "cause", cause)
	return nil
}

// save writes t in the compartment its order is in when the write commits:
// a merge that moved the order while it was being sent moved the patient the
// transmission belongs to as well.
func (d *Dispatcher) save(ctx context.Context, t *Transmission, version int64) error {
	return d.store.Update(ctx, func(tx storage.Tx) error {
		if o, err := tx.Get(ctx, MedicationRequestType, t.ID); err == nil {
			t.Patient = patient.ID(o.Compartment)
		} else if !errors.Is(err, ehrkit.ErrNotFound) {
			return err
		}
		_, err := transmissions.Put(ctx, tx, t, version)
		return err
	})
}

// DeadLetters returns the transmissions in status DeadLetter, in order id
// order, with the cause of each.
func (s *Service) DeadLetters(ctx context.Context) ([]Transmission, error) {
	var out []Transmission
	q := storage.Query{Filters: []storage.Filter{{Term: TermStatus, Op: storage.Eq, Value: string(DeadLetter)}}, Limit: storage.MaxLimit}
	for t, err := range transmissions.All(ctx, s.store, q) {
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// Requeue queues a dead-lettered prescription again, with its attempts reset
// and the same idempotency key, once whatever stopped it is fixed (an order
// resumed, a pharmacy set up). The order must be a signed, active medication
// order, else Requeue fails with the *ehrkit.ValidationError of
// CheckPrescription; a transmission not dead-lettered fails with
// ehrkit.ErrFailedPrecondition. The act is audited as "rx.requeue".
func (s *Service) Requeue(ctx context.Context, orderID string) (Transmission, error) {
	var out Transmission
	err := s.store.Update(ctx, func(tx storage.Tx) error {
		t, version, err := transmissions.Get(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if t.Status != DeadLetter {
			return fmt.Errorf("rx: transmission %s is %s, not dead-lettered: %w", orderID, t.Status, ehrkit.ErrFailedPrecondition)
		}
		o, _, err := medicationRequests.Get(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if err := CheckPrescription(o); err != nil {
			return err
		}
		t.Status, t.Cause, t.LastError, t.Attempts, t.Updated = Queued, "", "", 0, s.cfg.now()
		if _, err := transmissions.Put(ctx, tx, &t, version); err != nil {
			return err
		}
		if err := access.Note(ctx, tx, ActionRequeue, string(t.Patient), "order "+orderID); err != nil {
			return err
		}
		out = t
		return queue(ctx, tx, o)
	})
	if err != nil {
		return Transmission{}, err
	}
	s.cfg.log.InfoContext(ctx, "rx prescription requeued", "order", orderID)
	return out, nil
}

// ActionRequeue is the audit action of Service.Requeue.
const ActionRequeue = "rx.requeue"

// RecordPharmacyAnswer records a later answer of the pharmacy (accepted or
// rejected) to a transmission in status sent.
func (s *Service) RecordPharmacyAnswer(ctx context.Context, orderID string, ack Ack) (Transmission, error) {
	if ack.Status != Accepted && ack.Status != Rejected {
		var v ehrkit.Issues
		v.Add("status", ehrkit.IssueCodeInvalid, "an answer is accepted or rejected")
		return Transmission{}, v.Err()
	}
	var out Transmission
	err := s.store.Update(ctx, func(tx storage.Tx) error {
		t, version, err := transmissions.Get(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if t.Status != Sent {
			return fmt.Errorf("rx: transmission %s is %s: %w", orderID, t.Status, ehrkit.ErrFailedPrecondition)
		}
		t.Status, t.Reason, t.Updated = ack.Status, ack.Reason, s.cfg.now()
		if ack.Reference != "" {
			t.Reference = ack.Reference
		}
		if _, err := transmissions.Put(ctx, tx, &t, version); err != nil {
			return err
		}
		out = t
		return nil
	})
	return out, err
}
