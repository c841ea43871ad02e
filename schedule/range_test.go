package schedule

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
)

// TestFarFutureBookings: the ledgers keep Unix nanoseconds, which end on
// 2262-04-11. Inside the span a slot is booked once and FreeSlots leaves it
// out; past it, bookings and searches are refused with the field named
// instead of wrapping around (two bookings of one slot both succeeded and
// FreeSlots returned nothing).
func TestFarFutureBookings(t *testing.T) {
	lastMonday := time.Date(2262, 4, 7, 0, 0, 0, 0, time.UTC)
	beyond := time.Date(2262, 4, 14, 0, 0, 0, 0, time.UTC) // a Monday after the span
	run(t, func(t *testing.T, f fixture) {
		_, err := f.svc.Book(bg, book("visit", "p1", at(lastMonday, "09:30")))
		require.NoError(t, err)
		_, err = f.svc.Book(bg, book("visit", "p2", at(lastMonday, "09:30")))
		require.ErrorIs(t, err, ErrSlotUnavailable)
		slots, err := f.svc.FreeSlots(bg, SlotQuery{Type: "visit", Resources: []ehrkit.Reference{drA}, Start: lastMonday, End: lastMonday.Add(24 * time.Hour)})
		require.NoError(t, err)
		assert.Equal(t, []time.Time{at(lastMonday, "09:00"), at(lastMonday, "10:00"), at(lastMonday, "10:30"), at(lastMonday, "11:00"), at(lastMonday, "11:30")}, starts(slots))

		_, err = f.svc.Book(bg, book("visit", "p1", at(beyond, "09:30")))
		requireIssue(t, err, "start", ehrkit.IssueValue)
		_, err = f.svc.Book(bg, book("visit", "p1", time.Date(1600, 1, 3, 9, 30, 0, 0, time.UTC)))
		requireIssue(t, err, "start", ehrkit.IssueValue)
		_, err = f.svc.FreeSlots(bg, SlotQuery{Type: "visit", Resources: []ehrkit.Reference{drA}, Start: lastMonday, End: beyond})
		requireIssue(t, err, "end", ehrkit.IssueValue)
		a, err := f.svc.Book(bg, book("visit", "p3", at(monday, "09:00")))
		require.NoError(t, err)
		_, err = f.svc.Reschedule(bg, a.ID, at(beyond, "09:00"))
		requireIssue(t, err, "start", ehrkit.IssueValue)
		got, err := f.svc.Appointment(bg, a.ID)
		require.NoError(t, err)
		assert.Equal(t, at(monday, "09:00"), got.Start, "a refused move leaves the appointment where it was")
	})
	_, err := FreeSlots(SlotRequest{Type: visit(30 * time.Minute), Start: lastMonday, End: beyond, Now: start0},
		[]Calendar{{Schedule: sched(drA, "UTC", weekdays("09:00", "12:00"))}})
	requireIssue(t, err, "end", ehrkit.IssueValue)
}

// TestAppointmentTypeDurationOverflow: durations whose sum overflows int64
// wrapped to a negative block and passed the one-day bound.
func TestAppointmentTypeDurationOverflow(t *testing.T) {
	half := time.Duration(math.MaxInt64/2 + 1)
	for name, typ := range map[string]AppointmentType{
		"duration and buffer after": {ID: "x", Duration: half, BufferAfter: half, Requires: []string{Practitioner}},
		"buffers":                   {ID: "x", Duration: time.Minute, BufferBefore: half, BufferAfter: half, Requires: []string{Practitioner}},
		"longest duration":          {ID: "x", Duration: math.MaxInt64, BufferAfter: time.Nanosecond, Requires: []string{Practitioner}},
	} {
		t.Run(name, func(t *testing.T) {
			requireIssue(t, typ.Validate(), "duration", ehrkit.IssueBusinessRule)
		})
	}
	run(t, func(t *testing.T, f fixture) {
		err := f.svc.PutType(bg, AppointmentType{ID: "huge", Duration: half, BufferAfter: half, Requires: []string{Practitioner}})
		requireIssue(t, err, "duration", ehrkit.IssueBusinessRule)
		_, err = f.svc.Type(bg, "huge")
		require.ErrorIs(t, err, ehrkit.ErrNotFound)
	})
}
