package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// Service books appointments in a storage.Store. Safe for concurrent use, also
// by several processes sharing one store.
type Service struct {
	store   storage.Store
	clock   ehrkit.Clock
	ids     ehrkit.IDGenerator
	log     *slog.Logger
	offsets []time.Duration
	hold    time.Duration
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (default: the real clock). A nil clock keeps the system clock.
func WithClock(c ehrkit.Clock) Option { return func(s *Service) { s.clock = ehrkit.OrRealClock(c) } }

// WithIDs sets the generator of appointment and waitlist ids (default ehrkit.IDs).
func WithIDs(g ehrkit.IDGenerator) Option { return func(s *Service) { s.ids = g } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithReminders sets how long before an appointment reminders are sent
// (default 24 hours). No offsets means no reminders.
func WithReminders(offsets ...time.Duration) Option {
	return func(s *Service) { s.offsets = offsets }
}

// WithHold sets how long a waitlist offer holds a slot (default 2 hours).
func WithHold(d time.Duration) Option { return func(s *Service) { s.hold = d } }

// NewService returns a service over store.
func NewService(store storage.Store, opts ...Option) *Service {
	s := &Service{
		store:   store,
		clock:   ehrkit.RealClock{},
		log:     slog.New(slog.DiscardHandler),
		offsets: []time.Duration{24 * time.Hour},
		hold:    2 * time.Hour,
	}
	for _, o := range opts {
		o(s)
	}
	if s.ids == nil {
		s.ids = ehrkit.NewIDs(s.clock)
	}
	return s
}

// maxAttempts bounds how often a transaction is retried after a version
// conflict with a concurrent writer.
const maxAttempts = 100

// update runs fn in a transaction, retrying it (ehrkit.Retry) when a
// concurrent writer made it conflict.
func (s *Service) update(ctx context.Context, fn func(tx storage.Tx) error) error {
	return ehrkit.Retry(ctx, maxAttempts, func() error { return s.store.Update(ctx, fn) })
}

// PutType creates or replaces an appointment type.
func (s *Service) PutType(ctx context.Context, t AppointmentType) error {
	if err := t.Validate(); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx storage.Tx) error {
		_, err := apptTypes.Put(ctx, tx, &t, storage.Any)
		return err
	})
}

// Type returns an appointment type.
func (s *Service) Type(ctx context.Context, id string) (AppointmentType, error) {
	t, _, err := apptTypes.Get(ctx, s.store, id)
	return t, err
}

// PutSchedule creates or replaces the schedule of its actor. Bookings already
// made stay as they are.
func (s *Service) PutSchedule(ctx context.Context, sc Schedule) error {
	if err := sc.Validate(); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx storage.Tx) error {
		_, err := schedules.Put(ctx, tx, &sc, storage.Any)
		return err
	})
}

// Schedule returns the schedule of a resource.
func (s *Service) Schedule(ctx context.Context, actor ehrkit.Reference) (Schedule, error) {
	sc, _, err := schedules.Get(ctx, s.store, actorKey(actor))
	return sc, err
}

// Appointment returns an appointment.
func (s *Service) Appointment(ctx context.Context, id string) (Appointment, error) {
	a, _, err := appointments.Get(ctx, s.store, id)
	return a, err
}

// loadType reads an appointment type, reporting an unknown one at path.
func loadType(ctx context.Context, r storage.Reader, id, path string) (AppointmentType, error) {
	t, _, err := apptTypes.Get(ctx, r, id)
	if errors.Is(err, ehrkit.ErrNotFound) {
		var v ehrkit.Issues
		v.Add(path, ehrkit.IssueValue, "unknown appointment type")
		return t, v.Err()
	}
	return t, err
}

// calendars reads the schedules of resources and their bookings that overlap
// [from, to), reporting a resource without a schedule at resources[i].
func calendars(ctx context.Context, r storage.Reader, ls *ledgerSet, resources []ehrkit.Reference, from, to time.Time) ([]Calendar, error) {
	var v ehrkit.Issues
	out := make([]Calendar, len(resources))
	for i, res := range resources {
		sc, _, err := schedules.Get(ctx, r, actorKey(res))
		if errors.Is(err, ehrkit.ErrNotFound) {
			v.Add(ehrkit.Index("resources", i), ehrkit.IssueValue, "has no schedule")
			continue
		}
		if err != nil {
			return nil, err
		}
		b, err := ls.bookings(ctx, res, from, to)
		if err != nil {
			return nil, err
		}
		out[i] = Calendar{Schedule: sc, Bookings: b}
	}
	return out, v.Err()
}

// SlotQuery asks the service for free slots.
type SlotQuery struct {
	Type      string             // appointment type id
	Resources []ehrkit.Reference // one per entry of the type's Requires
	// Start and End bound the appointment starts searched: Start <= start < End.
	Start, End time.Time
	// Overbook counts the schedules' overbooking allowance as free room.
	Overbook bool
}

// Validate checks the query's fields.
func (q SlotQuery) Validate() error {
	var v ehrkit.Issues
	v.Check(storage.ValidID(q.Type), "type", ehrkit.IssueValue, "missing or malformed type id")
	v.Required("resources", len(q.Resources) > 0)
	for i, res := range q.Resources {
		validateActor(&v, ehrkit.Index("resources", i), res)
	}
	v.Check(q.End.After(q.Start), "end", ehrkit.IssueInvariant, "must be after start")
	checkTime(&v, "start", q.Start)
	checkTime(&v, "end", q.End)
	return v.Err()
}

// FreeSlots returns the free slots of a type on resources, not before now. See
// the package function FreeSlots for the rules.
func (s *Service) FreeSlots(ctx context.Context, q SlotQuery) ([]Slot, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	t, err := loadType(ctx, s.store, q.Type, "type")
	if err != nil {
		return nil, err
	}
	cals, err := calendars(ctx, s.store, newLedgerSet(s.store), q.Resources, q.Start.Add(-t.BufferBefore), q.End.Add(t.Duration+t.BufferAfter))
	if err != nil {
		return nil, err
	}
	return FreeSlots(SlotRequest{Type: t, Start: q.Start, End: q.End, Now: s.clock.Now(), Overbook: q.Overbook}, cals)
}

// BookRequest asks for an appointment.
type BookRequest struct {
	Type      string             // appointment type id
	Patient   patient.ID         // the patient
	Resources []ehrkit.Reference // one per entry of the type's Requires
	Start     time.Time          // the appointment start
	// Overbook allows using the schedules' overbooking allowance when the
	// session is otherwise full.
	Overbook bool
}

// Validate checks the request's fields.
func (r BookRequest) Validate() error {
	var v ehrkit.Issues
	v.Check(storage.ValidID(r.Type), "type", ehrkit.IssueValue, "missing or malformed type id")
	v.Check(storage.ValidID(string(r.Patient)), "patient", ehrkit.IssueValue, "missing or malformed patient id")
	v.Required("resources", len(r.Resources) > 0)
	for i, res := range r.Resources {
		validateActor(&v, ehrkit.Index("resources", i), res)
	}
	v.Required("start", !r.Start.IsZero())
	checkTime(&v, "start", r.Start)
	return v.Err()
}

// Book books an appointment. It fails with a *ehrkit.ValidationError naming
// the field for bad input (a patient who does not exist or was merged away,
// an unknown type, a resource without a schedule, a start outside
// availability or in the past) and with ErrSlotUnavailable when the slot is
// taken. Booking is an act (access.Act) of the permission
// access.PermScheduleBook for the patient: the appointment, the day ledgers
// and the reminders are written in one transaction, audited as the act, and no
// role needs to write them directly.
func (s *Service) Book(ctx context.Context, req BookRequest) (Appointment, error) {
	if err := req.Validate(); err != nil {
		return Appointment{}, err
	}
	id := s.ids.NewID()
	var a Appointment
	err := s.update(ctx, func(tx storage.Tx) error {
		tx, err := access.Act(ctx, tx, access.PermScheduleBook, string(req.Patient), "")
		if err != nil {
			return err
		}
		if err := checkPatient(ctx, tx, req.Patient); err != nil {
			return err
		}
		a = Appointment{
			ID: id, Status: Booked, Type: req.Type, Patient: req.Patient,
			Resources: req.Resources, Start: req.Start.UTC(), Created: s.clock.Now(),
		}
		ls := newLedgerSet(tx)
		if err := s.place(ctx, tx, ls, &a, req.Overbook); err != nil {
			return err
		}
		return save(ctx, tx, ls, &a, 0)
	})
	if err != nil {
		return Appointment{}, err
	}
	return a, nil
}

// save writes a, expecting version, and the ledgers changed with it.
func save(ctx context.Context, tx storage.Tx, ls *ledgerSet, a *Appointment, version int64) error {
	if _, err := appointments.Put(ctx, tx, a, version); err != nil {
		return err
	}
	return ls.flush(ctx, tx)
}

// modify runs edit on the current appointment id in a transaction (retried on
// conflicts), then saves it. With a permission, the change is an act of it
// for the appointment's patient (access.Act); without, a record write.
func (s *Service) modify(ctx context.Context, id string, perm access.Permission, edit func(tx storage.Tx, ls *ledgerSet, a *Appointment) error) (Appointment, error) {
	var a Appointment
	err := s.update(ctx, func(tx storage.Tx) error {
		var version int64
		var err error
		a, version, err = appointments.Get(ctx, tx, id)
		if err != nil {
			return err
		}
		if perm != "" {
			if tx, err = access.Act(ctx, tx, perm, string(a.Patient), ""); err != nil {
				return err
			}
		}
		ls := newLedgerSet(tx)
		if err := edit(tx, ls, &a); err != nil {
			return err
		}
		return save(ctx, tx, ls, &a, version)
	})
	if err != nil {
		return Appointment{}, err
	}
	return a, nil
}

// place checks that a fits at a.Start on its resources, fills in its end,
// buffers and revision, records it in the ledgers and writes its reminders.
func (s *Service) place(ctx context.Context, tx storage.Tx, ls *ledgerSet, a *Appointment, overbook bool) error {
	t, err := loadType(ctx, tx, a.Type, "type")
	if err != nil {
		return err
	}
	busyStart, busyEnd := t.block(a.Start)
	cals, err := calendars(ctx, tx, ls, a.Resources, busyStart, busyEnd)
	if err != nil {
		return err
	}
	req := SlotRequest{Type: t, Now: s.clock.Now()}
	err = checkSlot(req, cals, a.Start)
	a.Overbooked = false
	if errors.Is(err, ErrSlotUnavailable) && overbook {
		req.Overbook = true
		err = checkSlot(req, cals, a.Start)
		a.Overbooked = true
	}
	if err != nil {
		return err
	}
	a.End = a.Start.Add(t.Duration)
	a.BufferBefore, a.BufferAfter = t.BufferBefore, t.BufferAfter
	a.Revision++
	for _, res := range a.Resources {
		if err := ls.add(ctx, res, a.booking()); err != nil {
			return err
		}
	}
	if a.Status == Booked {
		return s.writeReminders(ctx, tx, *a)
	}
	return nil
}

// unplace removes a from the ledgers and drops its pending reminders.
func (s *Service) unplace(ctx context.Context, tx storage.Tx, ls *ledgerSet, a Appointment) error {
	for _, res := range a.Resources {
		if err := ls.remove(ctx, res, a.booking()); err != nil {
			return err
		}
	}
	return s.dropReminders(ctx, tx, a)
}

// Reschedule moves a booked appointment to a new start on the same resources.
// Its old reminders are dropped and new ones written; the old slot is offered
// to the waitlist. Like Book, it is an act of access.PermScheduleBook.
func (s *Service) Reschedule(ctx context.Context, id string, start time.Time) (Appointment, error) {
	var v ehrkit.Issues
	v.Required("start", !start.IsZero())
	checkTime(&v, "start", start)
	if err := v.Err(); err != nil {
		return Appointment{}, err
	}
	return s.modify(ctx, id, access.PermScheduleBook, func(tx storage.Tx, ls *ledgerSet, a *Appointment) error {
		if a.Status != Booked {
			return fmt.Errorf("schedule: reschedule a %s appointment: %w", a.Status, ehrkit.ErrFailedPrecondition)
		}
		old := *a
		if err := s.unplace(ctx, tx, ls, old); err != nil {
			return err
		}
		a.Start = start.UTC()
		if err := s.place(ctx, tx, ls, a, old.Overbooked); err != nil {
			return err
		}
		return s.emitFreed(ctx, tx, old)
	})
}

// Cancel cancels a proposed or booked appointment; a declined waitlist offer is
// cancelled the same way. The freed slot is offered to the waitlist. Like
// Book, it is an act of access.PermScheduleBook.
func (s *Service) Cancel(ctx context.Context, id string) (Appointment, error) {
	return s.move(ctx, id, Cancelled, access.PermScheduleBook)
}

// CheckIn records that the patient of a booked appointment has arrived. It is
// a write of the Appointment record, checked as such.
func (s *Service) CheckIn(ctx context.Context, id string) (Appointment, error) {
	return s.move(ctx, id, CheckedIn, "")
}

// NoShow records that the patient did not come; only once the appointment has
// started. It is a write of the Appointment record, checked as such.
func (s *Service) NoShow(ctx context.Context, id string) (Appointment, error) {
	return s.move(ctx, id, NoShow, "")
}

// Complete records that a checked-in appointment took place. It is a write of
// the Appointment record, checked as such.
func (s *Service) Complete(ctx context.Context, id string) (Appointment, error) {
	return s.move(ctx, id, Fulfilled, "")
}

// AcceptOffer books a waitlist offer for its patient while the hold lasts.
// Like Book, it is an act of access.PermScheduleBook.
func (s *Service) AcceptOffer(ctx context.Context, id string) (Appointment, error) {
	return s.move(ctx, id, Booked, access.PermScheduleBook)
}

// move changes the status of an appointment, with the effects of the change,
// as an act of perm or, when perm is "", a record write (see modify).
func (s *Service) move(ctx context.Context, id string, to Status, perm access.Permission) (Appointment, error) {
	return s.modify(ctx, id, perm, func(tx storage.Tx, ls *ledgerSet, a *Appointment) error {
		from := a.Status
		if !CanMove(from, to) {
			return fmt.Errorf("schedule: appointment %s cannot move from %s to %s: %w", id, from, to, ehrkit.ErrFailedPrecondition)
		}
		now := s.clock.Now()
		switch {
		case to == NoShow && now.Before(a.Start):
			return fmt.Errorf("schedule: appointment %s has not started: %w", id, ehrkit.ErrFailedPrecondition)
		case to == Cancelled:
			if err := s.unplace(ctx, tx, ls, *a); err != nil {
				return err
			}
			if err := s.emitFreed(ctx, tx, *a); err != nil {
				return err
			}
		case to == Booked: // an accepted offer keeps its slot, no longer on hold
			if !now.Before(a.HoldUntil) {
				return fmt.Errorf("schedule: offer %s has lapsed: %w", id, ehrkit.ErrFailedPrecondition)
			}
			held := a.booking()
			a.HoldUntil = time.Time{}
			for _, res := range a.Resources {
				if err := ls.remove(ctx, res, held); err != nil {
					return err
				}
				if err := ls.add(ctx, res, a.booking()); err != nil {
					return err
				}
			}
			if err := s.writeReminders(ctx, tx, *a); err != nil {
				return err
			}
		}
		if from == Proposed {
			if err := settleEntry(ctx, tx, a.Waitlist, to); err != nil {
				return err
			}
		}
		a.Status = to
		return nil
	})
}
