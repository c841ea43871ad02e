package schedule

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// saveIn runs SaveAppointment in a transaction of its own.
func saveIn(t *testing.T, f fixture, a Appointment) (storage.Outcome, error) {
	t.Helper()
	var out storage.Outcome
	err := f.store.Update(bg, func(tx storage.Tx) error {
		var err error
		out, err = f.svc.SaveAppointment(bg, tx, a)
		return err
	})
	return out, err
}

// requireIssue fails unless err is a *ehrkit.ValidationError with the issue.
func requireIssue(t *testing.T, err error, path string, code ehrkit.IssueCode) {
	t.Helper()
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.True(t, ve.Has(path, code), "missing %s (%s) in %v", path, code, ve.Issues)
}

// TestSaveAppointment: an appointment stored as given (an import) takes its
// slot in the day ledger, so the slot is neither offered nor booked again; a
// conflicting one is refused; moving or cancelling it releases the old time,
// and its reminders follow it.
func TestSaveAppointment(t *testing.T) {
	run(t, func(t *testing.T, f fixture) {
		free := func() []time.Time {
			slots, err := f.svc.FreeSlots(bg, SlotQuery{Type: "visit", Resources: []ehrkit.Reference{drA}, Start: monday, End: monday.Add(24 * time.Hour)})
			require.NoError(t, err)
			return starts(slots)
		}
		a := Appointment{ID: "imp-1", Status: Booked, Type: "visit", Patient: "p1", Resources: []ehrkit.Reference{drA},
			Start: at(monday, "09:30"), End: at(monday, "10:00"), Revision: 1, Created: start0}
		out, err := saveIn(t, f, a)
		require.NoError(t, err)
		assert.Equal(t, storage.Created, out)
		assert.NotContains(t, free(), at(monday, "09:30"))
		_, err = f.svc.Book(bg, book("visit", "p2", at(monday, "09:30")))
		require.ErrorIs(t, err, ErrSlotUnavailable)

		out, err = saveIn(t, f, a)
		require.NoError(t, err)
		assert.Equal(t, storage.Unchanged, out)

		other := a
		other.ID, other.Patient = "imp-2", "p3"
		_, err = saveIn(t, f, other)
		require.ErrorIs(t, err, ErrSlotUnavailable, "the session is full")
		_, err = f.store.Get(bg, RecordAppointment, other.ID)
		require.ErrorIs(t, err, ehrkit.ErrNotFound)

		reminder := func() reminder {
			r, _, err := reminders.Get(bg, f.store, reminderID(a, 24*time.Hour))
			require.NoError(t, err)
			return r
		}
		assert.Equal(t, a.Start, reminder().Notice.Start)

		// Moved within its revision: the old time is free, the reminder follows.
		a.Start, a.End = at(monday, "10:00"), at(monday, "10:30")
		out, err = saveIn(t, f, a)
		require.NoError(t, err)
		assert.Equal(t, storage.Updated, out)
		assert.Contains(t, free(), at(monday, "09:30"))
		assert.NotContains(t, free(), at(monday, "10:00"))
		assert.Equal(t, a.Start, reminder().Notice.Start)

		a.Status = Cancelled
		_, err = saveIn(t, f, a)
		require.NoError(t, err)
		assert.Contains(t, free(), at(monday, "10:00"))
		_, _, err = reminders.Get(bg, f.store, reminderID(a, 24*time.Hour))
		require.ErrorIs(t, err, ehrkit.ErrNotFound, "a cancelled appointment has no reminder")
		changes, err := f.store.Changes(bg, 0, 1000)
		require.NoError(t, err)
		freedEvents := 0
		for _, c := range changes {
			if c.Kind == storage.ChangeEvent && c.Topic == TopicSlotFreed {
				freedEvents++
			}
		}
		assert.Equal(t, 2, freedEvents, "the move and the cancellation free a slot ahead")
	})
}

// TestSaveAppointmentRefuses: the referential and domain rules of the
// service also hold for appointments stored as given.
func TestSaveAppointmentRefuses(t *testing.T) {
	run(t, func(t *testing.T, f fixture) {
		a := Appointment{ID: "imp-1", Status: Booked, Type: "visit", Patient: "p1", Resources: []ehrkit.Reference{drA},
			Start: at(monday, "09:30"), End: at(monday, "10:00")}
		with := func(edit func(a *Appointment)) Appointment {
			b := a
			edit(&b)
			return b
		}
		_, err := saveIn(t, f, with(func(a *Appointment) { a.Patient = "nobody" }))
		requireIssue(t, err, "patient", ehrkit.IssueValue)
		_, err = saveIn(t, f, with(func(a *Appointment) { a.Patient = mergedAway }))
		requireIssue(t, err, "patient", ehrkit.IssueBusinessRule)
		_, err = saveIn(t, f, with(func(a *Appointment) { a.End = a.Start.Add(-time.Minute) }))
		requireIssue(t, err, "end", ehrkit.IssueInvariant)
		_, err = saveIn(t, f, with(func(a *Appointment) { a.End = a.Start.Add(25 * time.Hour) }))
		requireIssue(t, err, "end", ehrkit.IssueBusinessRule)

		_, err = saveIn(t, f, a)
		require.NoError(t, err)
		_, err = saveIn(t, f, with(func(a *Appointment) { a.Patient = "p2" }))
		requireIssue(t, err, "patient", ehrkit.IssueInvariant)
		got, err := f.svc.Appointment(bg, a.ID)
		require.NoError(t, err)
		assert.Equal(t, patient.ID("p1"), got.Patient)

		_, err = f.svc.JoinWaitlist(bg, WaitlistEntry{Patient: "nobody", Type: "visit"})
		requireIssue(t, err, "patient", ehrkit.IssueValue)
	})
}

// TestSaveSchedule: a schedule stored as given is validated and keyed by its
// actor.
func TestSaveSchedule(t *testing.T) {
	run(t, func(t *testing.T, f fixture) {
		drB := ehrkit.Ref(Practitioner, "dr-b")
		save := func(sc Schedule) (storage.Outcome, error) {
			var out storage.Outcome
			err := f.store.Update(bg, func(tx storage.Tx) error {
				var err error
				out, err = f.svc.SaveSchedule(bg, tx, sc)
				return err
			})
			return out, err
		}
		_, err := save(sched(drB, "Mars/Olympus", weekdays("09:00", "12:00")))
		requireIssue(t, err, "timeZone", ehrkit.IssueValue)
		out, err := save(sched(drB, "UTC", weekdays("09:00", "12:00")))
		require.NoError(t, err)
		assert.Equal(t, storage.Created, out)
		out, err = save(sched(drB, "UTC", weekdays("09:00", "12:00")))
		require.NoError(t, err)
		assert.Equal(t, storage.Unchanged, out)
		_, err = f.svc.Book(bg, book("visit", "p1", at(monday, "09:00"), drB))
		require.NoError(t, err, "the saved schedule is bookable")
	})
}
