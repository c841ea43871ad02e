package schedule

import (
	"testing"
	"time"
	_ "time/tzdata" // DST tests must not depend on the host's zone database

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
)

var (
	drA   = ehrkit.Ref(Practitioner, "dr-a")
	roomA = ehrkit.Ref(Location, "room-a")
	// monday is Monday 2026-03-02, 00:00 UTC.
	monday = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
)

func at(day time.Time, hhmm string) time.Time {
	m, ok := parseClock(hhmm)
	if !ok {
		panic(hhmm)
	}
	return day.Add(time.Duration(m) * time.Minute)
}

func weekdays(open, closing string) Availability {
	return Availability{Rule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", From: ehrkit.NewDate(2026, 1, 5), Open: open, Close: closing}
}

func sched(actor ehrkit.Reference, tz string, avail ...Availability) Schedule {
	return Schedule{Actor: actor, TimeZone: tz, Availability: avail}
}

func visit(d time.Duration) AppointmentType {
	return AppointmentType{ID: "visit", Duration: d, Requires: []string{Practitioner}}
}

func booking(id, typ string, start time.Time, d time.Duration) Booking {
	return Booking{Appointment: id, Type: typ, Start: start, BusyStart: start, BusyEnd: start.Add(d)}
}

func starts(slots []Slot) []time.Time {
	out := make([]time.Time, len(slots))
	for i, s := range slots {
		out[i] = s.Start.UTC()
	}
	return out
}

func TestFreeSlots(t *testing.T) {
	buffered := AppointmentType{ID: "proc", Duration: 30 * time.Minute, BufferBefore: 5 * time.Minute, BufferAfter: 10 * time.Minute, Requires: []string{Practitioner}}
	group := AppointmentType{ID: "group", Duration: time.Hour, Capacity: 3, Requires: []string{Practitioner}}
	withRoom := AppointmentType{ID: "visit", Duration: 30 * time.Minute, Requires: []string{Practitioner, Location}}
	overbookable := sched(drA, "UTC", weekdays("09:00", "10:00"))
	overbookable.Overbook = 1
	holiday := sched(drA, "UTC", weekdays("09:00", "10:00"))
	holiday.Exceptions = []ehrkit.Period{{Start: monday, End: monday.Add(24 * time.Hour)}}
	holiday.Extras = []ehrkit.Period{{Start: at(monday, "14:00"), End: at(monday, "15:00")}}
	day := func(d int) time.Time { return monday.AddDate(0, 0, d) }

	tests := []struct {
		name      string
		req       SlotRequest
		cals      []Calendar
		want      []time.Time
		remaining []int
	}{
		{
			name: "grid of the duration",
			req:  SlotRequest{Type: visit(30 * time.Minute), Start: monday, End: day(1)},
			cals: []Calendar{{Schedule: sched(drA, "UTC", weekdays("09:00", "10:00"))}},
			want: []time.Time{at(monday, "09:00"), at(monday, "09:30")},
		},
		{
			name: "buffers are kept inside availability and step the grid",
			req:  SlotRequest{Type: buffered, Start: monday, End: day(1)},
			cals: []Calendar{{Schedule: sched(drA, "UTC", weekdays("09:00", "11:00"))}},
			want: []time.Time{at(monday, "09:05"), at(monday, "09:50")},
		},
		{
			name: "a booking blocks the slots it overlaps",
			req:  SlotRequest{Type: visit(30 * time.Minute), Start: monday, End: day(1)},
			cals: []Calendar{{Schedule: sched(drA, "UTC", weekdays("09:00", "11:00")), Bookings: []Booking{booking("x", "other", at(monday, "09:15"), 30*time.Minute)}}},
			want: []time.Time{at(monday, "10:00"), at(monday, "10:30")},
		},
		{
			name: "a booking's buffers block too",
			req:  SlotRequest{Type: visit(30 * time.Minute), Start: monday, End: day(1)},
			cals: []Calendar{{Schedule: sched(drA, "UTC", weekdays("09:00", "10:30")), Bookings: []Booking{{Appointment: "x", Type: "proc", Start: at(monday, "09:35"), BusyStart: at(monday, "09:30"), BusyEnd: at(monday, "10:15")}}}},
			want: []time.Time{at(monday, "09:00")},
		},
		{
			name:      "group session has room until capacity",
			req:       SlotRequest{Type: group, Start: monday, End: day(1)},
			cals:      []Calendar{{Schedule: sched(drA, "UTC", weekdays("09:00", "11:00")), Bookings: []Booking{booking("x", "group", at(monday, "09:00"), time.Hour), booking("y", "group", at(monday, "09:00"), time.Hour), booking("z", "group", at(monday, "10:00"), time.Hour), booking("w", "group", at(monday, "10:00"), time.Hour), booking("v", "group", at(monday, "10:00"), time.Hour)}}},
			want:      []time.Time{at(monday, "09:00")},
			remaining: []int{1},
		},
		{
			name: "full session without overbooking",
			req:  SlotRequest{Type: visit(time.Hour), Start: monday, End: day(1)},
			cals: []Calendar{{Schedule: overbookable, Bookings: []Booking{booking("x", "visit", at(monday, "09:00"), time.Hour)}}},
			want: nil,
		},
		{
			name:      "overbooking allowance when asked for",
			req:       SlotRequest{Type: visit(time.Hour), Start: monday, End: day(1), Overbook: true},
			cals:      []Calendar{{Schedule: overbookable, Bookings: []Booking{booking("x", "visit", at(monday, "09:00"), time.Hour)}}},
			want:      []time.Time{at(monday, "09:00")},
			remaining: []int{1},
		},
		{
			name: "overbooking never joins a different session",
			req:  SlotRequest{Type: visit(time.Hour), Start: monday, End: day(1), Overbook: true},
			cals: []Calendar{{Schedule: overbookable, Bookings: []Booking{booking("x", "other", at(monday, "09:00"), time.Hour)}}},
			want: nil,
		},
		{
			name: "all resources must be available and free",
			req:  SlotRequest{Type: withRoom, Start: monday, End: day(1)},
			cals: []Calendar{
				{Schedule: sched(drA, "UTC", weekdays("09:00", "12:00"))},
				{Schedule: sched(roomA, "UTC", weekdays("10:00", "12:00")), Bookings: []Booking{booking("x", "other", at(monday, "10:30"), 30*time.Minute)}},
			},
			want: []time.Time{at(monday, "10:00"), at(monday, "11:00"), at(monday, "11:30")},
		},
		{
			name: "exceptions remove days and extras add time",
			req:  SlotRequest{Type: visit(30 * time.Minute), Start: monday, End: day(2)},
			cals: []Calendar{{Schedule: holiday}},
			want: []time.Time{at(monday, "14:00"), at(monday, "14:30"), at(day(1), "09:00"), at(day(1), "09:30")},
		},
		{
			name: "an open-ended rule from years ago still applies",
			req:  SlotRequest{Type: visit(time.Hour), Start: monday, End: day(1)},
			cals: []Calendar{{Schedule: sched(drA, "UTC", Availability{Rule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", From: ehrkit.NewDate(2019, 12, 30), Open: "09:00", Close: "10:00"})}},
			want: []time.Time{at(monday, "09:00")}, // 322 weeks after From
		},
		{
			name: "interval weeks are skipped",
			req:  SlotRequest{Type: visit(time.Hour), Start: day(7), End: day(8)},
			cals: []Calendar{{Schedule: sched(drA, "UTC", Availability{Rule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", From: ehrkit.NewDate(2019, 12, 30), Open: "09:00", Close: "10:00"})}},
			want: nil,
		},
		{
			name: "UNTIL names the last day inclusive",
			req:  SlotRequest{Type: visit(time.Hour), Start: monday, End: day(7)},
			cals: []Calendar{{Schedule: sched(drA, "UTC", Availability{Rule: "FREQ=DAILY;UNTIL=20260303", From: ehrkit.NewDate(2026, 3, 1), Open: "09:00", Close: "10:00"})}},
			want: []time.Time{at(monday, "09:00"), at(day(1), "09:00")},
		},
		{
			name: "COUNT ends the rule",
			req:  SlotRequest{Type: visit(time.Hour), Start: monday, End: day(7)},
			cals: []Calendar{{Schedule: sched(drA, "UTC", Availability{Rule: "FREQ=DAILY;COUNT=3", From: ehrkit.NewDate(2026, 3, 2), Open: "09:00", Close: "10:00"})}},
			want: []time.Time{at(monday, "09:00"), at(day(1), "09:00"), at(day(2), "09:00")},
		},
		{
			name: "a lapsed hold frees the slot, a live one does not",
			req:  SlotRequest{Type: visit(30 * time.Minute), Start: monday, End: day(1), Now: at(monday, "08:00")},
			cals: []Calendar{{Schedule: sched(drA, "UTC", weekdays("09:00", "10:00")), Bookings: []Booking{
				{Appointment: "h1", Type: "visit", Start: at(monday, "09:00"), BusyStart: at(monday, "09:00"), BusyEnd: at(monday, "09:30"), HoldUntil: at(monday, "07:00")},
				{Appointment: "h2", Type: "visit", Start: at(monday, "09:30"), BusyStart: at(monday, "09:30"), BusyEnd: at(monday, "10:00"), HoldUntil: at(monday, "09:00")},
			}}},
			want: []time.Time{at(monday, "09:00")},
		},
		{
			name: "no slot before now or outside the window",
			req:  SlotRequest{Type: visit(30 * time.Minute), Start: at(monday, "09:00"), End: at(monday, "10:30"), Now: at(monday, "09:10")},
			cals: []Calendar{{Schedule: sched(drA, "UTC", weekdays("09:00", "11:00"))}},
			want: []time.Time{at(monday, "09:30"), at(monday, "10:00")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slots, err := FreeSlots(tt.req, tt.cals)
			require.NoError(t, err)
			assert.Equal(t, tt.want, []time.Time(nilIfEmpty(starts(slots))))
			for i, n := range tt.remaining {
				assert.Equal(t, n, slots[i].Remaining, "remaining of slot %d", i)
			}
			for _, s := range slots {
				assert.Equal(t, tt.req.Type.Duration, s.End.Sub(s.Start))
			}
		})
	}
}

func nilIfEmpty(ts []time.Time) []time.Time {
	if len(ts) == 0 {
		return nil
	}
	return ts
}

// TestFreeSlotsDST checks that a daily 09:00 clinic opens at 09:00 local time
// on both sides of each daylight-saving change of 2026, in the US and the EU.
func TestFreeSlotsDST(t *testing.T) {
	tests := []struct {
		zone             string
		before, after    time.Time // first slot two days before and after the change, UTC
		changeDayOpening time.Time // first slot on the day of the change, UTC
	}{
		// US: DST starts Sunday 8 March 2026 (EST -5 -> EDT -4).
		{"America/New_York", time.Date(2026, 3, 6, 14, 0, 0, 0, time.UTC), time.Date(2026, 3, 10, 13, 0, 0, 0, time.UTC), time.Date(2026, 3, 8, 13, 0, 0, 0, time.UTC)},
		// US: DST ends Sunday 1 November 2026 (EDT -4 -> EST -5).
		{"America/New_York", time.Date(2026, 10, 30, 13, 0, 0, 0, time.UTC), time.Date(2026, 11, 3, 14, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 14, 0, 0, 0, time.UTC)},
		// EU: summer time starts Sunday 29 March 2026 (CET +1 -> CEST +2).
		{"Europe/Berlin", time.Date(2026, 3, 27, 8, 0, 0, 0, time.UTC), time.Date(2026, 3, 31, 7, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 7, 0, 0, 0, time.UTC)},
		// EU: summer time ends Sunday 25 October 2026 (CEST +2 -> CET +1).
		{"Europe/Berlin", time.Date(2026, 10, 23, 7, 0, 0, 0, time.UTC), time.Date(2026, 10, 27, 8, 0, 0, 0, time.UTC), time.Date(2026, 10, 25, 8, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.zone+"/"+tt.changeDayOpening.Format(time.DateOnly), func(t *testing.T) {
			loc, err := time.LoadLocation(tt.zone)
			require.NoError(t, err)
			s := sched(drA, tt.zone, Availability{Rule: "FREQ=DAILY", From: ehrkit.NewDate(2026, 1, 1), Open: "09:00", Close: "10:00"})
			slots, err := FreeSlots(SlotRequest{Type: visit(time.Hour), Start: tt.before.Add(-time.Hour), End: tt.after.Add(time.Hour)}, []Calendar{{Schedule: s}})
			require.NoError(t, err)
			require.Len(t, slots, 5)
			assert.Equal(t, tt.before, slots[0].Start.UTC())
			assert.Equal(t, tt.changeDayOpening, slots[2].Start.UTC())
			assert.Equal(t, tt.after, slots[4].Start.UTC())
			for _, sl := range slots {
				local := sl.Start.In(loc)
				assert.Equal(t, 9, local.Hour(), "slot %s", local)
				assert.Equal(t, 0, local.Minute())
			}
		})
	}
}

func TestFreeSlotsBadRequest(t *testing.T) {
	good := sched(drA, "UTC", weekdays("09:00", "10:00"))
	bad := sched(ehrkit.Ref("Patient", ""), "Mars/Olympus", Availability{Rule: "FREQ=SOMETIMES", From: ehrkit.NewDate(2026, 1, 5), Open: "10:00", Close: "09:00"})
	_, err := FreeSlots(SlotRequest{Type: AppointmentType{ID: "x", Requires: []string{Practitioner, Location}}, Start: monday, End: monday}, []Calendar{{Schedule: bad}, {Schedule: good}, {Schedule: good}})
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, err, &ve)
	for _, want := range []struct {
		path string
		code ehrkit.IssueCode
	}{
		{"type.duration", ehrkit.IssueValue},
		{"end", ehrkit.IssueInvariant},
		{"resources", ehrkit.IssueValue},
		{"resources[0].actor.type", ehrkit.IssueCodeInvalid},
		{"resources[0].actor.id", ehrkit.IssueValue},
		{"resources[0].timeZone", ehrkit.IssueValue},
		{"resources[0].availability[0].rule", ehrkit.IssueValue},
		{"resources[0].availability[0].close", ehrkit.IssueInvariant},
		{"resources[1].actor.type", ehrkit.IssueBusinessRule},
		{"resources[2].actor", ehrkit.IssueDuplicate},
	} {
		assert.True(t, ve.Has(want.path, want.code), "missing %s (%s) in %v", want.path, want.code, ve.Issues)
	}
}
