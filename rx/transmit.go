package rx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// TopicPrescription is the change-feed topic of a signed prescription to
// transmit. The event's Key is the transmission's idempotency key.
const TopicPrescription = "rx.prescription"

// TransmissionType is the storage record type of transmissions.
const TransmissionType = "RxTransmission"

// TransmissionStatus is where a prescription is on its way to the pharmacy.
type TransmissionStatus string

// Transmission statuses.
const (
	Queued   TransmissionStatus = "queued"   // signed, waiting for the dispatcher
	Sent     TransmissionStatus = "sent"     // the pharmacy received it and has not answered yet
	Accepted TransmissionStatus = "accepted" // the pharmacy accepted it
	Rejected TransmissionStatus = "rejected" // the pharmacy refused it, or it could not be delivered
)

// Transmission tracks the delivery of one signed prescription. Its ID is the
// order's.
type Transmission struct {
	ID      string             `json:"id"`
	Patient patient.ID         `json:"patient"`
	Key     string             `json:"key"`
	Status  TransmissionStatus `json:"status"`
	// Attempts counts deliveries tried; LastError is the last failure.
	Attempts  int       `json:"attempts"`
	LastError string    `json:"lastError,omitempty"`
	Reference string    `json:"reference,omitempty"` // the pharmacy's id for it
	Reason    string    `json:"reason,omitempty"`    // why it was rejected
	Queued    time.Time `json:"queued"`
	Updated   time.Time `json:"updated"`
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

// Prescription is what a Pharmacy receives: the order and its two encodings.
type Prescription struct {
	// Key identifies the prescription across retries: a pharmacy that sees a
	// Key again must answer as it did the first time and not dispense twice.
	Key   string
	Order Order
	HL7   []byte // HL7 v2.5.1 RDE^O11
	FHIR  []byte // FHIR R4 MedicationRequest JSON
}

// Ack is a pharmacy's answer to a transmission.
type Ack struct {
	// Status is Sent (received, answer later), Accepted or Rejected.
	Status    TransmissionStatus
	Reference string // the pharmacy's id
	Reason    string // why it was rejected
}

// Pharmacy delivers prescriptions: an e-prescribing network, a pharmacy
// system's interface engine, a test harness. An error means the delivery may
// or may not have happened and will be retried with the same Key.
type Pharmacy interface {
	Transmit(ctx context.Context, p Prescription) (Ack, error)
}

// DispatcherName is the change-feed consumer name of the Dispatcher.
const DispatcherName = "rx-dispatcher"

// Dispatcher transmits queued prescriptions: it reads the change feed (the
// outbox written by Sign), sends each prescription to the pharmacy, and records
// the answer. Delivery is at least once and, through the idempotency key, at
// most once at a pharmacy that honours it: a crash between sending and
// recording replays the prescription with the same Key.
type Dispatcher struct {
	store    storage.Store
	pharmacy Pharmacy
	feed     *storage.Feed
	cfg      config
}

// NewDispatcher returns a dispatcher of the prescriptions queued in store.
func NewDispatcher(store storage.Store, pharmacy Pharmacy, opts ...Option) (*Dispatcher, error) {
	cfg := newConfig(opts)
	if cfg.attempts < 1 {
		var v ehrkit.Issues
		v.Add("attempts", ehrkit.IssueValue, "must be at least 1")
		return nil, v.Err()
	}
	feed, err := storage.NewFeed(store, DispatcherName, 0)
	if err != nil {
		return nil, err
	}
	return &Dispatcher{store: store, pharmacy: pharmacy, feed: feed, cfg: cfg}, nil
}

// Poll handles the next batch of the feed and returns how many changes it
// read (0: nothing to do). A failed delivery that has attempts left stops the
// batch with its error; the next Poll tries again.
func (d *Dispatcher) Poll(ctx context.Context) (int, error) {
	return d.feed.Poll(ctx, func(ctx context.Context, changes []storage.Change) error {
		for _, c := range changes {
			if c.Kind != storage.ChangeEvent || c.Topic != TopicPrescription {
				continue
			}
			var ev prescriptionEvent
			if err := json.Unmarshal(c.Payload, &ev); err != nil {
				return fmt.Errorf("rx: prescription event %d: %w", c.Seq, ehrkit.ErrInvalid)
			}
			if err := d.deliver(ctx, c, ev.Order); err != nil {
				return err
			}
		}
		return nil
	})
}

// Run polls until ctx is done, waiting interval when there is nothing to do or
// a delivery failed.
func (d *Dispatcher) Run(ctx context.Context, interval time.Duration) error {
	for {
		n, err := d.Poll(ctx)
		if err != nil {
			// The cause stays in the transmission record: a pharmacy's error
			// text may quote the prescription.
			d.cfg.log.WarnContext(ctx, "rx dispatch failed; retrying")
		}
		if n == 0 || err != nil {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(interval):
			}
		}
	}
}

// deliver sends one prescription unless it was already delivered.
func (d *Dispatcher) deliver(ctx context.Context, c storage.Change, id string) error {
	t, version, err := transmissions.Get(ctx, d.store, id)
	switch {
	case errors.Is(err, ehrkit.ErrNotFound):
		t = Transmission{ID: id, Patient: patient.ID(c.Compartment), Key: c.Key, Status: Queued, Queued: c.Time}
	case err != nil:
		return err
	case t.Status != Queued:
		return nil // delivered before a crash or a replay: nothing to do
	}
	o, _, err := medicationRequests.Get(ctx, d.store, id)
	if err != nil {
		return err
	}
	p := Prescription{Key: t.Key, Order: o}
	if p.HL7, err = EncodeRDE(o, o.Signed); err != nil {
		return err
	}
	if p.FHIR, err = EncodeMedicationRequest(o); err != nil {
		return err
	}
	ack, sendErr := d.pharmacy.Transmit(ctx, p)
	if sendErr == nil && ack.Status != Sent && ack.Status != Accepted && ack.Status != Rejected {
		sendErr = fmt.Errorf("rx: pharmacy answered with unknown status %q: %w", ack.Status, ehrkit.ErrInvalid)
	}
	t.Attempts++
	t.Updated = d.cfg.now()
	retry := false
	switch {
	case sendErr == nil:
		t.Status, t.Reference, t.Reason, t.LastError = ack.Status, ack.Reference, ack.Reason, ""
	case t.Attempts < d.cfg.attempts:
		t.LastError, retry = sendErr.Error(), true
	default:
		t.Status, t.LastError = Rejected, sendErr.Error()
		t.Reason = fmt.Sprintf("not delivered after %d attempts", t.Attempts)
	}
	err = d.store.Update(ctx, func(tx storage.Tx) error {
		_, err := transmissions.Put(ctx, tx, &t, version)
		return err
	})
	if err != nil {
		return err
	}
	if retry {
		// The feed must not move past the prescription: the next Poll retries.
		return fmt.Errorf("rx: transmit %s: %w", id, sendErr)
	}
	return nil
}

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
