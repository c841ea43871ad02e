package schedule

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/teambition/rrule-go"

	"github.com/ehrkit/ehrkit"
)

// TestRuleDaysMatchesRRule checks that moving DTSTART forward for long
// open-ended rules selects exactly the days the rule selects from its start.
func TestRuleDaysMatchesRRule(t *testing.T) {
	loc, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	rules := []string{
		"FREQ=DAILY",
		"FREQ=DAILY;INTERVAL=3",
		"FREQ=WEEKLY",
		"FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
		"FREQ=WEEKLY;INTERVAL=3;BYDAY=TU,FR;BYSETPOS=-1",
		"FREQ=WEEKLY;BYDAY=MO;BYMONTH=1,7",
		"FREQ=WEEKLY;BYDAY=SA;UNTIL=20261231",
		"FREQ=MONTHLY;BYDAY=1MO",
	}
	from := ehrkit.NewDate(2019, 11, 13)
	for _, text := range rules {
		t.Run(text, func(t *testing.T) {
			r, err := compileRule(text, from, loc)
			require.NoError(t, err)
			plain, err := rrule.NewRRule(r.opt)
			require.NoError(t, err)
			for lo := time.Date(2020, 1, 1, 0, 0, 0, 0, loc); lo.Year() < 2028; lo = lo.AddDate(0, 0, 37) {
				hi := lo.AddDate(0, 0, 10)
				assert.Equal(t, plain.Between(lo, hi, true), r.days(lo, hi), "window from %s", lo)
			}
		})
	}
}

func TestScheduleValidate(t *testing.T) {
	ok := Availability{Rule: "FREQ=WEEKLY;BYDAY=MO", From: ehrkit.NewDate(2026, 1, 5), Open: "09:00", Close: "17:00"}
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		mod  func(s *Schedule)
		want map[string]ehrkit.IssueCode
	}{
		{"valid", func(*Schedule) {}, nil},
		{"until the end of the day", func(s *Schedule) { s.Availability[0].Close = "24:00" }, nil},
		{"unknown zone", func(s *Schedule) { s.TimeZone = "Europe/Atlantis" }, map[string]ehrkit.IssueCode{"timeZone": ehrkit.IssueValue}},
		{"empty zone", func(s *Schedule) { s.TimeZone = "" }, map[string]ehrkit.IssueCode{"timeZone": ehrkit.IssueValue}},
		{"local zone", func(s *Schedule) { s.TimeZone = "Local" }, map[string]ehrkit.IssueCode{"timeZone": ehrkit.IssueValue}},
		{"rule does not parse", func(s *Schedule) { s.Availability[0].Rule = "FREQ=WEEKLY;BYDAY=XX" }, map[string]ehrkit.IssueCode{"availability[0].rule": ehrkit.IssueValue}},
		{"rule without FREQ", func(s *Schedule) { s.Availability[0].Rule = "BYDAY=MO" }, map[string]ehrkit.IssueCode{"availability[0].rule": ehrkit.IssueValue}},
		{"hourly rule", func(s *Schedule) { s.Availability[0].Rule = "FREQ=HOURLY" }, map[string]ehrkit.IssueCode{"availability[0].rule": ehrkit.IssueValue}},
		{"rule with hours", func(s *Schedule) { s.Availability[0].Rule = "FREQ=DAILY;BYHOUR=9" }, map[string]ehrkit.IssueCode{"availability[0].rule": ehrkit.IssueValue}},
		{"rule with DTSTART", func(s *Schedule) { s.Availability[0].Rule = "DTSTART:20260101T090000Z\nFREQ=DAILY" }, map[string]ehrkit.IssueCode{"availability[0].rule": ehrkit.IssueValue}},
		{"close before open", func(s *Schedule) { s.Availability[0].Close = "08:00" }, map[string]ehrkit.IssueCode{"availability[0].close": ehrkit.IssueInvariant}},
		{"malformed times", func(s *Schedule) { s.Availability[0].Open, s.Availability[0].Close = "9am", "24:30" }, map[string]ehrkit.IssueCode{"availability[0].open": ehrkit.IssueValue, "availability[0].close": ehrkit.IssueValue}},
		{"partial from", func(s *Schedule) { s.Availability[0].From = ehrkit.YearOnly(2026) }, map[string]ehrkit.IssueCode{"availability[0].from": ehrkit.IssueValue}},
		{"exception end before start", func(s *Schedule) { s.Exceptions = []ehrkit.Period{{Start: jan.Add(time.Hour), End: jan}} }, map[string]ehrkit.IssueCode{"exceptions[0].end": ehrkit.IssueInvariant}},
		{"extra without end", func(s *Schedule) { s.Extras = []ehrkit.Period{{Start: jan}} }, map[string]ehrkit.IssueCode{"extras[0].end": ehrkit.IssueRequired}},
		{"bad actor and overbook", func(s *Schedule) { s.Actor = ehrkit.Ref("Organization", "a/b"); s.Overbook = -1 }, map[string]ehrkit.IssueCode{"actor.type": ehrkit.IssueCodeInvalid, "actor.id": ehrkit.IssueValue, "overbook": ehrkit.IssueValue}},
		{"every problem at once", func(s *Schedule) {
			s.TimeZone = "Nowhere/Place"
			s.Availability = append(s.Availability, Availability{Rule: "nonsense", From: ehrkit.NewDate(2026, 1, 5), Open: "12:00", Close: "11:00"})
			s.Exceptions = []ehrkit.Period{{Start: jan, End: jan}}
		}, map[string]ehrkit.IssueCode{"timeZone": ehrkit.IssueValue, "availability[1].rule": ehrkit.IssueValue, "availability[1].close": ehrkit.IssueInvariant, "exceptions[0].end": ehrkit.IssueInvariant}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sched(drA, "Europe/Berlin", ok)
			tt.mod(&s)
			err := s.Validate()
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			var ve *ehrkit.ValidationError
			require.ErrorAs(t, err, &ve)
			require.ErrorIs(t, err, ehrkit.ErrInvalid)
			assert.Len(t, ve.Issues, len(tt.want), "%v", ve.Issues)
			for path, code := range tt.want {
				assert.True(t, ve.Has(path, code), "missing %s (%s) in %v", path, code, ve.Issues)
			}
		})
	}
}

func TestAppointmentTypeValidate(t *testing.T) {
	tests := []struct {
		name string
		typ  AppointmentType
		want map[string]ehrkit.IssueCode
	}{
		{"valid", AppointmentType{ID: "x", Duration: time.Minute, Requires: []string{Practitioner, Location, Device}}, nil},
		{"empty", AppointmentType{}, map[string]ehrkit.IssueCode{"id": ehrkit.IssueValue, "duration": ehrkit.IssueValue, "requires": ehrkit.IssueRequired}},
		{"negative", AppointmentType{ID: "x", Duration: time.Hour, BufferBefore: -1, BufferAfter: -1, Capacity: -1, Requires: []string{"Patient"}}, map[string]ehrkit.IssueCode{"bufferBefore": ehrkit.IssueValue, "bufferAfter": ehrkit.IssueValue, "capacity": ehrkit.IssueValue, "requires[0]": ehrkit.IssueCodeInvalid}},
		{"too long", AppointmentType{ID: "x", Duration: 24 * time.Hour, BufferAfter: time.Minute, Requires: []string{Device}}, map[string]ehrkit.IssueCode{"duration": ehrkit.IssueBusinessRule}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.typ.Validate()
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			var ve *ehrkit.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Len(t, ve.Issues, len(tt.want), "%v", ve.Issues)
			for path, code := range tt.want {
				assert.True(t, ve.Has(path, code), "missing %s (%s) in %v", path, code, ve.Issues)
			}
		})
	}
}

func TestStatusTransitions(t *testing.T) {
	all := []Status{Proposed, Booked, CheckedIn, Fulfilled, Cancelled, NoShow}
	allowed := map[[2]Status]bool{
		{Proposed, Booked}: true, {Proposed, Cancelled}: true,
		{Booked, CheckedIn}: true, {Booked, NoShow}: true, {Booked, Cancelled}: true,
		{CheckedIn, Fulfilled}: true,
	}
	for _, from := range all {
		for _, to := range all {
			assert.Equal(t, allowed[[2]Status{from, to}], CanMove(from, to), "%s -> %s", from, to)
		}
	}
}

// FuzzSchedule feeds arbitrary rules and times to validation and, when they
// validate, to the slot search: nothing may panic and a valid schedule always
// yields slots inside its windows.
func FuzzSchedule(f *testing.F) {
	f.Add("FREQ=WEEKLY;BYDAY=MO,WE", "09:00", "12:00", "Europe/Berlin")
	f.Add("FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=4", "00:00", "24:00", "UTC")
	f.Add("FREQ=DAILY;UNTIL=20260301T000000Z", "23:30", "23:45", "America/New_York")
	f.Add("FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO", "08:00", "08:30", "Asia/Kolkata")
	f.Add("FREQ=WEEKLY;INTERVAL=0;BYSETPOS=1", "10:00", "11:00", "Australia/Lord_Howe")
	f.Fuzz(func(t *testing.T, rule, open, closing, tz string) {
		s := sched(drA, tz, Availability{Rule: rule, From: ehrkit.NewDate(2026, 1, 1), Open: open, Close: closing})
		if s.Validate() != nil {
			return
		}
		slots, err := FreeSlots(SlotRequest{Type: visit(15 * time.Minute), Start: monday, End: monday.AddDate(0, 0, 14)}, []Calendar{{Schedule: s}})
		if err != nil {
			t.Fatalf("valid schedule failed: %v", err)
		}
		for _, sl := range slots {
			if sl.Start.Before(monday) || sl.End.After(monday.AddDate(0, 0, 14).Add(15*time.Minute)) {
				t.Fatalf("slot %v outside the window", sl.Start)
			}
		}
	})
}
