package schedule

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

// NoticeKind says what a Notice announces.
type NoticeKind string

// Notice kinds.
const (
	ReminderNotice NoticeKind = "reminder" // an appointment is coming up
	OfferNotice    NoticeKind = "offer"    // a waitlist slot is held for the patient
)

// Notice is a message for a patient about an appointment, handed to a Notifier.
// It holds opaque ids and times only.
type Notice struct {
	// Key is the idempotency key: a notice may be delivered more than once (after
	// a crash) and always with the same Key, so a Notifier can drop duplicates.
	Key         string     `json:"key"`
	Kind        NoticeKind `json:"kind"`
	Appointment string     `json:"appointment"`
	Patient     patient.ID `json:"patient"`
	Start       time.Time  `json:"start"`
	// Revision is the appointment revision the notice was made for.
	Revision int `json:"revision"`
	// Before and Due are, for reminders, the offset before the start and the
	// time the reminder is due.
	Before time.Duration `json:"before,omitempty"`
	Due    time.Time     `json:"due,omitzero"`
	// HoldUntil is, for offers, when the hold lapses.
	HoldUntil time.Time `json:"holdUntil,omitzero"`
}

// Notifier sends notices (text message, e-mail, portal, ...). Notify may be
// called more than once with one Key; a nil error acknowledges the notice.
type Notifier interface {
	Notify(ctx context.Context, n Notice) error
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, n Notice) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, n Notice) error { return f(ctx, n) }

func reminderID(a Appointment, before time.Duration) string {
	return fmt.Sprintf("rem-%s-%d-%d", a.ID, a.Revision, int64(before/time.Second))
}

// writeReminders writes, in tx, a pending reminder for each configured offset
// that still lies ahead.
func (s *Service) writeReminders(ctx context.Context, tx storage.Tx, a Appointment) error {
	now := s.clock.Now()
	for _, before := range s.offsets {
		due := a.Start.Add(-before)
		if !due.After(now) {
			continue
		}
		r := reminder{ID: reminderID(a, before), Notice: Notice{
			Key: "reminder:" + reminderID(a, before), Kind: ReminderNotice, Appointment: a.ID,
			Patient: a.Patient, Start: a.Start, Revision: a.Revision, Before: before, Due: due,
		}}
		// Save creates the reminder, also over one dropped before; one already
		// released for this revision is not sent again.
		_, err := reminders.Save(ctx, tx, &r, func(previous *reminder) error {
			if previous != nil && previous.Released {
				return errReleased
			}
			return nil
		})
		if err != nil && !errors.Is(err, errReleased) {
			return err
		}
	}
	return nil
}

// errReleased stops writeReminders from replacing a reminder already released.
var errReleased = errors.New("schedule: reminder already released")

// dropReminders deletes, in tx, the pending reminders of a's current revision.
func (s *Service) dropReminders(ctx context.Context, tx storage.Tx, a Appointment) error {
	for _, before := range s.offsets {
		r, version, err := reminders.Get(ctx, tx, reminderID(a, before))
		if errors.Is(err, ehrkit.ErrNotFound) || (err == nil && r.Released) {
			continue
		}
		if err != nil {
			return err
		}
		if err := tx.Delete(ctx, RecordReminder, r.ID, version); err != nil {
			return err
		}
	}
	return nil
}

func emitNotice(ctx context.Context, tx storage.Tx, topic string, n Notice) error {
	b, err := json.Marshal(n)
	if err != nil {
		return err
	}
	return tx.Emit(ctx, storage.Event{Topic: topic, Key: n.Key, Compartment: string(n.Patient), Payload: b})
}

// ReleaseReminders emits a change-feed event for every pending reminder that
// is due, marking it released in the same transaction. It returns how many it
// released.
func (s *Service) ReleaseReminders(ctx context.Context) (int, error) {
	q := storage.Query{Filters: []storage.Filter{
		{Term: "state", Op: storage.Eq, Value: "pending"},
		{Term: "due", Op: storage.Le, Value: timeKey(s.clock.Now())},
	}, SortBy: "due"}
	n := 0
	for {
		due, _, err := reminders.Query(ctx, s.store, q)
		if err != nil || len(due) == 0 {
			return n, err
		}
		for _, r := range due {
			err := s.update(ctx, func(tx storage.Tx) error {
				r, version, err := reminders.Get(ctx, tx, r.ID)
				if err != nil || r.Released {
					return err
				}
				r.Released = true
				if _, err := reminders.Put(ctx, tx, &r, version); err != nil {
					return err
				}
				return emitNotice(ctx, tx, TopicReminder, r.Notice)
			})
			if err != nil {
				return n, err
			}
			n++
		}
	}
}

// Deliver hands the reminder and offer events of the change feed to notifier,
// in order, and returns how many notices it handed over. A notice whose
// appointment was cancelled, moved or already started (reminders) or whose
// hold has lapsed or been settled (offers) is dropped. The feed position is
// saved only after notifier succeeded, so after a failure or a crash the
// notices not acknowledged are handed over again, with the same Key.
func (s *Service) Deliver(ctx context.Context, notifier Notifier) (int, error) {
	return s.consume(ctx, noticeConsumer, func(ctx context.Context, c storage.Change) (bool, error) {
		if c.Kind != storage.ChangeEvent || (c.Topic != TopicReminder && c.Topic != TopicOffer) {
			return false, nil
		}
		var n Notice
		if err := json.Unmarshal(c.Payload, &n); err != nil {
			return false, storage.Errorf("deliver", "", "", ehrkit.ErrInvalid, "notice payload: %w", err)
		}
		current, err := s.current(ctx, n)
		if err != nil || !current {
			if err == nil {
				s.log.DebugContext(ctx, "schedule: dropped a stale notice", "key", n.Key)
			}
			return false, err
		}
		return true, notifier.Notify(ctx, n)
	})
}

// current reports whether a notice still matches its appointment.
func (s *Service) current(ctx context.Context, n Notice) (bool, error) {
	a, err := s.Appointment(ctx, n.Appointment)
	if errors.Is(err, ehrkit.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	now := s.clock.Now()
	if n.Kind == OfferNotice {
		return a.Status == Proposed && now.Before(a.HoldUntil), nil
	}
	return a.Status == Booked && a.Revision == n.Revision && now.Before(a.Start), nil
}
