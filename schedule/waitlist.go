package schedule

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Change-feed topics of the events the service emits.
const (
	TopicSlotFreed = "schedule.slot-freed" // a booked or held slot was released
	TopicOffer     = "schedule.offer"      // a waitlist offer was made (payload: Notice)
	TopicReminder  = "schedule.reminder"   // a reminder fell due (payload: Notice)
)

// Feed consumer names; each keeps its position in the store.
const (
	waitlistConsumer = "schedule.waitlist"
	noticeConsumer   = "schedule.notices"
)

// freed is the payload of a slot-freed event.
type freed struct {
	Appointment string             `json:"appointment"`
	Revision    int                `json:"revision"`
	Type        string             `json:"type"`
	Start       time.Time          `json:"start"`
	Resources   []ehrkit.Reference `json:"resources"`
}

// emitFreed announces, in tx, that the slot of a is free again, unless it has
// already begun.
func (s *Service) emitFreed(ctx context.Context, tx storage.Tx, a Appointment) error {
	if !a.Start.After(s.clock.Now()) {
		return nil
	}
	b, err := json.Marshal(freed{Appointment: a.ID, Revision: a.Revision, Type: a.Type, Start: a.Start, Resources: a.Resources})
	if err != nil {
		return err
	}
	return tx.Emit(ctx, storage.Event{
		Topic: TopicSlotFreed, Key: "freed:" + a.ID + ":" + strconv.Itoa(a.Revision),
		Compartment: string(a.Patient), Payload: b,
	})
}

// JoinWaitlist puts a patient on the waitlist and returns the stored entry.
// A patient who does not exist or was merged away is refused with a
// *ehrkit.ValidationError on "patient".
func (s *Service) JoinWaitlist(ctx context.Context, e WaitlistEntry) (WaitlistEntry, error) {
	if err := e.Validate(); err != nil {
		return WaitlistEntry{}, err
	}
	e.ID, e.State, e.Offer = s.ids.NewID(), Waiting, ""
	err := s.store.Update(ctx, func(tx storage.Tx) error {
		if err := checkPatient(ctx, tx, e.Patient); err != nil {
			return err
		}
		if _, err := loadType(ctx, tx, e.Type, "type"); err != nil {
			return err
		}
		e.Created = s.clock.Now()
		_, err := waitlist.Put(ctx, tx, &e, 0)
		return err
	})
	if err != nil {
		return WaitlistEntry{}, err
	}
	return e, nil
}

// WaitlistEntry returns a waitlist entry.
func (s *Service) WaitlistEntry(ctx context.Context, id string) (WaitlistEntry, error) {
	e, _, err := waitlist.Get(ctx, s.store, id)
	return e, err
}

// LeaveWaitlist withdraws a waiting entry.
func (s *Service) LeaveWaitlist(ctx context.Context, id string) error {
	return s.update(ctx, func(tx storage.Tx) error {
		e, version, err := waitlist.Get(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.State != Waiting {
			return fmt.Errorf("schedule: waitlist entry %s is %s: %w", id, e.State, ehrkit.ErrFailedPrecondition)
		}
		e.State = Withdrawn
		_, err = waitlist.Put(ctx, tx, &e, version)
		return err
	})
}

// settleEntry records in tx what became of the offer made to a waitlist entry.
func settleEntry(ctx context.Context, tx storage.Tx, id string, to Status) error {
	if id == "" {
		return nil
	}
	e, version, err := waitlist.Get(ctx, tx, id)
	if err != nil {
		return err
	}
	e.State = Lapsed
	if to == Booked {
		e.State = Accepted
	}
	_, err = waitlist.Put(ctx, tx, &e, version)
	return err
}

// ProcessWaitlist reads slot-freed events from the change feed and offers each
// freed slot to the first waiting entry that matches it (type, resource,
// window; oldest entry first), holding the slot for that patient until the
// hold expires. It returns how many events it handled. Handling an event twice
// (after a crash) makes no second offer.
func (s *Service) ProcessWaitlist(ctx context.Context) (int, error) {
	return s.consume(ctx, waitlistConsumer, func(ctx context.Context, c storage.Change) (bool, error) {
		if c.Kind != storage.ChangeEvent || c.Topic != TopicSlotFreed {
			return false, nil
		}
		var f freed
		if err := json.Unmarshal(c.Payload, &f); err != nil {
			return false, storage.Errorf("waitlist", "", "", ehrkit.ErrInvalid, "slot-freed payload: %w", err)
		}
		return true, s.offer(ctx, c.Key, f)
	})
}

// consume polls a named feed consumer until it is up to date, handing each
// change to handle; it returns how many changes handle reported as handled.
func (s *Service) consume(ctx context.Context, name string, handle func(ctx context.Context, c storage.Change) (bool, error)) (int, error) {
	feed, err := storage.NewFeed(s.store, name, 0)
	if err != nil {
		return 0, err
	}
	total := 0
	for {
		handled := 0
		n, err := feed.Poll(ctx, func(ctx context.Context, changes []storage.Change) error {
			for _, c := range changes {
				ok, err := handle(ctx, c)
				if err != nil {
					return err
				}
				if ok {
					handled++
				}
			}
			return nil
		})
		if err != nil || n == 0 {
			return total, err
		}
		total += handled
	}
}

// offer holds the freed slot for the first matching waiting entry.
func (s *Service) offer(ctx context.Context, key string, f freed) error {
	sum := sha256.Sum256([]byte(key))
	holdID := "hold-" + hex.EncodeToString(sum[:13])
	return s.update(ctx, func(tx storage.Tx) error {
		if _, err := tx.Get(ctx, RecordAppointment, holdID); !errors.Is(err, ehrkit.ErrNotFound) {
			return err // nil: offered before
		}
		now := s.clock.Now()
		q := storage.Query{Filters: []storage.Filter{
			{Term: "type", Op: storage.Eq, Value: f.Type},
			{Term: "state", Op: storage.Eq, Value: string(Waiting)},
		}, SortBy: "created"}
		for e, err := range waitlist.All(ctx, tx, q) {
			if err != nil {
				return err
			}
			if !e.matches(f.Type, f.Start, f.Resources) {
				continue
			}
			a := Appointment{
				ID: holdID, Status: Proposed, Type: f.Type, Patient: e.Patient, Resources: f.Resources,
				Start: f.Start, HoldUntil: now.Add(s.hold), Waitlist: e.ID, Created: now,
			}
			ls := newLedgerSet(tx)
			err := s.place(ctx, tx, ls, &a, false)
			if errors.Is(err, ErrSlotUnavailable) || errors.Is(err, ehrkit.ErrInvalid) {
				return nil // the slot was taken again, or is no longer available
			}
			if err != nil {
				return err
			}
			if err := save(ctx, tx, ls, &a, 0); err != nil {
				return err
			}
			e, version, err := waitlist.Get(ctx, tx, e.ID)
			if err != nil {
				return err
			}
			e.State, e.Offer = Offered, a.ID
			if _, err := waitlist.Put(ctx, tx, &e, version); err != nil {
				return err
			}
			n := Notice{
				Key: "offer:" + a.ID, Kind: OfferNotice, Appointment: a.ID, Patient: a.Patient,
				Start: a.Start, Revision: a.Revision, HoldUntil: a.HoldUntil,
			}
			return emitNotice(ctx, tx, TopicOffer, n)
		}
		return nil
	})
}

// ExpireOffers cancels the waitlist offers whose hold has lapsed, which offers
// their slots to the next waiting entries. It returns how many it cancelled.
func (s *Service) ExpireOffers(ctx context.Context) (int, error) {
	q := storage.Query{Filters: []storage.Filter{
		{Term: "status", Op: storage.Eq, Value: string(Proposed)},
		{Term: "hold", Op: storage.Le, Value: timeKey(s.clock.Now())},
	}}
	var ids []string
	for a, err := range appointments.All(ctx, s.store, q) {
		if err != nil {
			return 0, err
		}
		ids = append(ids, a.ID)
	}
	n := 0
	for _, id := range ids {
		_, err := s.move(ctx, id, Cancelled, "") // the worker's act, not the patient's
		if errors.Is(err, ehrkit.ErrFailedPrecondition) {
			continue // accepted or cancelled meanwhile
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
