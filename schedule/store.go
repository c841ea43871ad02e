package schedule

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Record types written by the service.
const (
	RecordSchedule        = "Schedule"
	RecordAppointmentType = "AppointmentType"
	RecordAppointment     = "Appointment"
	RecordWaitlist        = "WaitlistEntry"
	RecordReminder        = "AppointmentReminder"
	RecordLedger          = "ScheduleLedger"
)

func timeKey(t time.Time) string { return storage.UpdatedKey(t) }

func actorKey(r ehrkit.Reference) string { return r.Type + ":" + r.ID }

var schedules = storage.Kind[Schedule]{
	Type: RecordSchedule,
	Meta: func(s *Schedule) storage.Meta {
		return storage.Meta{ID: actorKey(s.Actor), Terms: []storage.Term{{Name: "actor", Value: s.Actor.String()}}}
	},
}

var apptTypes = storage.Kind[AppointmentType]{
	Type: RecordAppointmentType,
	Meta: func(t *AppointmentType) storage.Meta { return storage.Meta{ID: t.ID} },
}

var appointments = storage.Kind[Appointment]{
	Type: RecordAppointment,
	Meta: func(a *Appointment) storage.Meta {
		terms := []storage.Term{
			{Name: "status", Value: string(a.Status)},
			{Name: "type", Value: a.Type},
			{Name: "start", Value: timeKey(a.Start)},
		}
		for _, r := range a.Resources {
			terms = append(terms, storage.Term{Name: "actor", Value: r.String()})
		}
		if a.Status == Proposed {
			terms = append(terms, storage.Term{Name: "hold", Value: timeKey(a.HoldUntil)})
		}
		return storage.Meta{ID: a.ID, Compartment: string(a.Patient), Terms: terms}
	},
}

var waitlist = storage.Kind[WaitlistEntry]{
	Type: RecordWaitlist,
	Meta: func(w *WaitlistEntry) storage.Meta {
		return storage.Meta{ID: w.ID, Compartment: string(w.Patient), Terms: []storage.Term{
			{Name: "state", Value: string(w.State)},
			{Name: "type", Value: w.Type},
			{Name: "created", Value: timeKey(w.Created)},
		}}
	},
}

// reminder is a reminder waiting for its due time (the outbox entry).
type reminder struct {
	ID       string `json:"id"`
	Notice   Notice `json:"notice"`
	Released bool   `json:"released,omitempty"`
}

var reminders = storage.Kind[reminder]{
	Type: RecordReminder,
	Meta: func(r *reminder) storage.Meta {
		state := "pending"
		if r.Released {
			state = "released"
		}
		return storage.Meta{ID: r.ID, Compartment: string(r.Notice.Patient), Terms: []storage.Term{
			{Name: "state", Value: state},
			{Name: "due", Value: timeKey(r.Notice.Due)},
		}}
	},
}

// ledger lists the bookings of one resource that touch one UTC day. Every
// booking, move and cancellation rewrites the ledgers it affects with the
// version it read, which serialises writers competing for a resource's time.
type ledger struct {
	Resource ehrkit.Reference `json:"resource"`
	Day      string           `json:"day"` // YYYY-MM-DD, UTC
	Bookings []entry          `json:"bookings,omitempty"`
}

// entry is a Booking as a ledger stores it: times in Unix nanoseconds, which
// decode several times faster than RFC 3339 text (slot searches read many
// ledgers).
type entry struct {
	Appointment string `json:"a"`
	Type        string `json:"t"`
	Start       int64  `json:"s"`
	BusyStart   int64  `json:"b"`
	BusyEnd     int64  `json:"e"`
	HoldUntil   int64  `json:"h,omitempty"`
}

func toEntry(b Booking) entry {
	e := entry{Appointment: b.Appointment, Type: b.Type, Start: b.Start.UnixNano(), BusyStart: b.BusyStart.UnixNano(), BusyEnd: b.BusyEnd.UnixNano()}
	if !b.HoldUntil.IsZero() {
		e.HoldUntil = b.HoldUntil.UnixNano()
	}
	return e
}

func (e entry) booking() Booking {
	b := Booking{Appointment: e.Appointment, Type: e.Type, Start: time.Unix(0, e.Start).UTC(), BusyStart: time.Unix(0, e.BusyStart).UTC(), BusyEnd: time.Unix(0, e.BusyEnd).UTC()}
	if e.HoldUntil != 0 {
		b.HoldUntil = time.Unix(0, e.HoldUntil).UTC()
	}
	return b
}

var ledgers = storage.Kind[ledger]{
	Type: RecordLedger,
	Meta: func(l *ledger) storage.Meta { return storage.Meta{ID: actorKey(l.Resource) + ":" + l.Day} },
}

// utcDays returns the UTC days the span [from, to) touches.
func utcDays(from, to time.Time) []string {
	var out []string
	y, m, d := from.UTC().Date()
	for day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC); day.Before(to); day = day.AddDate(0, 0, 1) {
		out = append(out, day.Format(time.DateOnly))
	}
	return out
}

type ledgerState struct {
	l       ledger
	version int64
	dirty   bool
}

// ledgerSet reads the ledgers a transaction needs once, changes them in memory
// and writes the changed ones back, each expecting the version it read.
type ledgerSet struct {
	r storage.Reader
	m map[string]*ledgerState
}

func newLedgerSet(r storage.Reader) *ledgerSet {
	return &ledgerSet{r: r, m: map[string]*ledgerState{}}
}

func (s *ledgerSet) get(ctx context.Context, res ehrkit.Reference, day string) (*ledgerState, error) {
	id := actorKey(res) + ":" + day
	if st, ok := s.m[id]; ok {
		return st, nil
	}
	l, v, err := ledgers.Get(ctx, s.r, id)
	if errors.Is(err, ehrkit.ErrNotFound) {
		l, v, err = ledger{Resource: res, Day: day}, 0, nil
	}
	if err != nil {
		return nil, err
	}
	st := &ledgerState{l: l, version: v}
	s.m[id] = st
	return st, nil
}

// bookings returns the bookings of res that overlap [from, to), each once. A
// booking is listed in the ledger of every day it touches, so the ledgers of
// the days of [from, to) hold all of them.
func (s *ledgerSet) bookings(ctx context.Context, res ehrkit.Reference, from, to time.Time) ([]Booking, error) {
	var out []Booking
	seen := map[string]bool{}
	for _, day := range utcDays(from, to) {
		st, err := s.get(ctx, res, day)
		if err != nil {
			return nil, err
		}
		for _, e := range st.l.Bookings {
			if !seen[e.Appointment] && e.BusyEnd > from.UnixNano() && e.BusyStart < to.UnixNano() {
				seen[e.Appointment] = true
				out = append(out, e.booking())
			}
		}
	}
	return out, nil
}

// add records b in the ledgers of res for every day it touches.
func (s *ledgerSet) add(ctx context.Context, res ehrkit.Reference, b Booking) error {
	for _, day := range utcDays(b.BusyStart, b.BusyEnd) {
		st, err := s.get(ctx, res, day)
		if err != nil {
			return err
		}
		st.l.Bookings = append(st.l.Bookings, toEntry(b))
		st.dirty = true
	}
	return nil
}

// remove deletes b from the ledgers of res.
func (s *ledgerSet) remove(ctx context.Context, res ehrkit.Reference, b Booking) error {
	for _, day := range utcDays(b.BusyStart, b.BusyEnd) {
		st, err := s.get(ctx, res, day)
		if err != nil {
			return err
		}
		st.l.Bookings = slices.DeleteFunc(st.l.Bookings, func(e entry) bool { return e.Appointment == b.Appointment })
		st.dirty = true
	}
	return nil
}

// flush writes the changed ledgers in tx.
func (s *ledgerSet) flush(ctx context.Context, tx storage.Tx) error {
	ids := make([]string, 0, len(s.m))
	for id, st := range s.m {
		if st.dirty {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids) // a fixed write order keeps backends that lock rows from deadlocking
	for _, id := range ids {
		st := s.m[id]
		if _, err := ledgers.Put(ctx, tx, &st.l, st.version); err != nil {
			return err
		}
	}
	return nil
}
