package schedule

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// Read-only views of schedules and appointments, for packages that read them
// in their own transactions (an exporter, a report). Writes go through the
// Service.
var (
	AppointmentRecords = appointments.View()
	ScheduleRecords    = schedules.View()
)

// The Save methods below are the service's transaction-scoped entry points:
// importers and feeds (FHIR, HL7 SIU) store a record as given inside their
// own transaction, composed with other domain writes, and the rules of the
// service still run (see each method). The record is created, replaced when
// it differs, or left as it is (storage.Outcome); ids are the caller's.

// SaveSchedule stores a schedule as given (see the Save methods), after
// validating it. Bookings already made stay as they are.
func (s *Service) SaveSchedule(ctx context.Context, tx storage.Tx, sc Schedule) (storage.Outcome, error) {
	if err := sc.Validate(); err != nil {
		return "", err
	}
	return schedules.Save(ctx, tx, &sc, nil)
}

// SaveAppointment stores an appointment as given (see the Save methods). It
// is validated (Appointment.Validate); its patient must exist and not have
// been merged away; an update may not move it to another patient. Unless it
// is cancelled, the appointment takes its time in the day ledgers of its
// resources, so the slot is neither offered nor booked again; it is refused
// with ErrSlotUnavailable when another session holds a resource then, or its
// session is full (the type's capacity, 1 for a type the service does not
// know; an appointment that records it was overbooked may exceed it). The
// time of the replaced version is released, and offered to the waitlist when
// it lies ahead. A booked appointment gets its reminders. Availability and
// the clock are not checked: the sender's appointment is a fact, past or
// future, and its resources need no schedule here yet. A refusal writes
// nothing, so the caller's transaction may go on with other records.
func (s *Service) SaveAppointment(ctx context.Context, tx storage.Tx, a Appointment) (storage.Outcome, error) {
	if err := a.Validate(); err != nil {
		return "", err
	}
	a.Start, a.End, a.Created = a.Start.UTC(), a.End.UTC(), a.Created.UTC()
	if !a.HoldUntil.IsZero() {
		a.HoldUntil = a.HoldUntil.UTC()
	}
	if err := checkPatient(ctx, tx, a.Patient); err != nil {
		return "", err
	}
	return appointments.Save(ctx, tx, &a, func(previous *Appointment) error {
		if previous != nil && previous.Patient != a.Patient {
			var is ehrkit.Issues
			is.Add("patient", ehrkit.IssueInvariant, "cannot change")
			return is.Err()
		}
		return s.enter(ctx, tx, a, previous)
	})
}

// checkPatient refuses, with a *ehrkit.ValidationError on "patient", a
// patient who does not exist or was merged away (patient.CheckRef).
func checkPatient(ctx context.Context, r storage.Reader, id patient.ID) error {
	var is ehrkit.Issues
	if err := patient.CheckRef(ctx, r, id, "patient", &is); err != nil {
		return err
	}
	return is.Err()
}

// enter moves the ledger entries, reminders and freed-slot events from the
// stored version of an appointment (nil for none) to a, in tx.
func (s *Service) enter(ctx context.Context, tx storage.Tx, a Appointment, previous *Appointment) error {
	ls := newLedgerSet(tx)
	kept := previous != nil && previous.occupies() && a.occupies() &&
		previous.Start.Equal(a.Start) && slices.Equal(previous.Resources, a.Resources)
	// The ledgers change in memory until flush: a refusal writes nothing.
	if previous != nil && previous.occupies() {
		for _, res := range previous.Resources {
			if err := ls.remove(ctx, res, previous.booking()); err != nil {
				return err
			}
		}
	}
	if a.occupies() {
		if err := fits(ctx, tx, ls, a, s.clock.Now()); err != nil {
			return err
		}
		for _, res := range a.Resources {
			if err := ls.add(ctx, res, a.booking()); err != nil {
				return err
			}
		}
	}
	if err := ls.flush(ctx, tx); err != nil {
		return err
	}
	if previous != nil && previous.occupies() && !kept {
		if err := s.emitFreed(ctx, tx, *previous); err != nil {
			return err
		}
	}
	wasBooked := previous != nil && previous.Status == Booked
	same := wasBooked && a.Status == Booked && previous.Start.Equal(a.Start) && previous.Revision == a.Revision
	if wasBooked && !same {
		if err := s.dropReminders(ctx, tx, *previous); err != nil {
			return err
		}
	}
	if a.Status == Booked && !same {
		return s.writeReminders(ctx, tx, a)
	}
	return nil
}

// fits checks that the resources of a have room for it at its time, as the
// day ledgers in ls list their bookings: every other booking active at now
// that overlaps a is the same session (type and start), and the session is
// not full (see SaveAppointment).
func fits(ctx context.Context, r storage.Reader, ls *ledgerSet, a Appointment, now time.Time) error {
	capacity := 1
	t, _, err := apptTypes.Get(ctx, r, a.Type)
	switch {
	case err == nil:
		capacity = t.capacity()
	case !errors.Is(err, ehrkit.ErrNotFound):
		return err
	}
	b := a.booking()
	for _, res := range a.Resources {
		others, err := ls.bookings(ctx, res, b.BusyStart, b.BusyEnd)
		if err != nil {
			return err
		}
		same := 0
		for _, o := range others {
			if o.Appointment == a.ID || !o.activeAt(now) {
				continue
			}
			if o.Type != a.Type || !o.Start.Equal(a.Start) {
				return ErrSlotUnavailable
			}
			same++
		}
		if same >= capacity && !a.Overbooked {
			return ErrSlotUnavailable
		}
	}
	return nil
}
