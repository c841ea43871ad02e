package schedule

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Resource kinds: the FHIR resource types a schedule can belong to.
const (
	Practitioner = "Practitioner"
	Location     = "Location" // a room
	Device       = "Device"
)

// maxResourceID bounds resource ids so that ledger record ids stay valid.
const maxResourceID = 96

// maxBlock bounds an appointment with its buffers, so that bookings that may
// overlap a window are found within a day of it.
const maxBlock = 24 * time.Hour

// The day ledgers keep times as Unix nanoseconds, which span 1677-09-21 to
// 2262-04-11. Schedule times (starts, ends, holds, searched windows) must lie
// two days inside that span, so that every block with its buffers and every
// searched window fits; checkTime refuses the others, which would otherwise
// wrap around and double-book.
var (
	earliestTime = time.Unix(0, math.MinInt64).Add(2 * maxBlock).UTC()
	latestTime   = time.Unix(0, math.MaxInt64).Add(-2 * maxBlock).UTC()
)

// checkTime reports a non-zero time outside the span schedules cover.
func checkTime(v *ehrkit.Issues, path string, t time.Time) {
	v.Check(t.IsZero() || (!t.Before(earliestTime) && !t.After(latestTime)), path, ehrkit.IssueValue,
		"must lie between %s and %s", earliestTime.Format(time.DateOnly), latestTime.Format(time.DateOnly))
}

// Schedule is the availability of one resource (FHIR Schedule).
type Schedule struct {
	// Actor is the resource: a Practitioner, a Location or a Device.
	Actor ehrkit.Reference `json:"actor"`
	// TimeZone is the IANA zone the opening times are in, e.g. "Europe/Berlin".
	TimeZone string `json:"timeZone"`
	// Availability lists the recurring opening blocks.
	Availability []Availability `json:"availability,omitempty"`
	// Exceptions are periods without availability (holidays, leave).
	Exceptions []ehrkit.Period `json:"exceptions,omitempty"`
	// Extras are one-time periods of additional availability.
	Extras []ehrkit.Period `json:"extras,omitempty"`
	// Overbook is how many patients beyond a session's capacity the resource
	// accepts when a booking explicitly asks to overbook; 0 allows none.
	Overbook int `json:"overbook,omitempty"`
}

// Availability is a recurring opening block: the days an RFC 5545 RRULE
// selects, from From on, each open from Open to Close local time.
type Availability struct {
	// Rule is an RRULE without DTSTART, e.g. "FREQ=WEEKLY;BYDAY=MO,WE,FR".
	// FREQ must be DAILY or coarser and BYHOUR, BYMINUTE and BYSECOND are not
	// allowed (the times come from Open and Close). UNTIL names the last day,
	// inclusive. A rule without COUNT or UNTIL never ends.
	Rule string `json:"rule"`
	// From is the first day the rule applies (its DTSTART), a full date.
	From ehrkit.Date `json:"from"`
	// Open and Close are local times of day "HH:MM"; Close may be "24:00".
	Open  string `json:"open"`
	Close string `json:"close"`
}

// AppointmentType describes a kind of appointment.
type AppointmentType struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// Duration is the length of the appointment itself.
	Duration time.Duration `json:"duration"`
	// BufferBefore and BufferAfter are times the resources stay reserved before
	// and after the appointment (preparation, cleaning, notes).
	BufferBefore time.Duration `json:"bufferBefore,omitempty"`
	BufferAfter  time.Duration `json:"bufferAfter,omitempty"`
	// Capacity is how many patients share one session (group sessions); 0 means 1.
	Capacity int `json:"capacity,omitempty"`
	// Requires lists the resource kinds the appointment needs, all at once,
	// e.g. {Practitioner, Location}. A booking names one resource per entry.
	Requires []string `json:"requires"`
}

// capacity returns the effective capacity.
func (t AppointmentType) capacity() int { return max(t.Capacity, 1) }

// block returns the span a session starting at start occupies, buffers included.
func (t AppointmentType) block(start time.Time) (time.Time, time.Time) {
	return start.Add(-t.BufferBefore), start.Add(t.Duration + t.BufferAfter)
}

// Validate checks the type and reports every problem.
func (t AppointmentType) Validate() error {
	var v ehrkit.Issues
	v.Check(storage.ValidID(t.ID), "id", ehrkit.IssueValue, "missing or malformed id")
	v.Check(t.Duration > 0, "duration", ehrkit.IssueValue, "must be positive")
	v.Check(t.BufferBefore >= 0, "bufferBefore", ehrkit.IssueValue, "must not be negative")
	v.Check(t.BufferAfter >= 0, "bufferAfter", ehrkit.IssueValue, "must not be negative")
	// Each part is bounded first, so that their sum cannot overflow.
	v.Check(t.Duration <= maxBlock && t.BufferBefore <= maxBlock && t.BufferAfter <= maxBlock &&
		t.Duration+t.BufferBefore+t.BufferAfter <= maxBlock, "duration", ehrkit.IssueBusinessRule, "with buffers must not exceed %s", maxBlock)
	v.Check(t.Capacity >= 0, "capacity", ehrkit.IssueValue, "must not be negative")
	v.Check(len(t.Requires) > 0, "requires", ehrkit.IssueRequired, "needs at least one resource kind")
	for i, k := range t.Requires {
		v.Check(validKind(k), ehrkit.Index("requires", i), ehrkit.IssueCodeInvalid, "unknown resource kind")
	}
	return v.Err()
}

func validKind(k string) bool { return k == Practitioner || k == Location || k == Device }

// validateActor checks a resource reference.
func validateActor(v *ehrkit.Issues, path string, r ehrkit.Reference) {
	v.Check(validKind(r.Type), ehrkit.JoinPath(path, "type"), ehrkit.IssueCodeInvalid, "must be Practitioner, Location or Device")
	v.Check(storage.ValidID(r.ID) && len(r.ID) <= maxResourceID, ehrkit.JoinPath(path, "id"), ehrkit.IssueValue, "missing or malformed id")
}

// Validate checks the schedule and reports every problem: the actor, an
// unknown time zone, a rule that does not parse, a close before an open, an
// exception or extra whose end is not after its start.
func (s Schedule) Validate() error {
	_, err := s.compile()
	return err
}

// compiled is a validated schedule with its zone loaded and rules parsed.
type compiled struct {
	Schedule
	loc   *time.Location
	rules []compiledAvailability
}

type compiledAvailability struct {
	rule        rule
	open, close int // minutes after local midnight
}

// compile validates the schedule and prepares it for slot searches.
func (s Schedule) compile() (*compiled, error) {
	var v ehrkit.Issues
	validateActor(&v, "actor", s.Actor)
	loc, err := zone(s.TimeZone)
	if err != nil {
		v.Add("timeZone", ehrkit.IssueValue, "unknown time zone")
		loc = time.UTC
	}
	c := &compiled{Schedule: s, loc: loc}
	for i, a := range s.Availability {
		ca, err := a.compile(loc)
		v.Merge(ehrkit.Index("availability", i), err)
		c.rules = append(c.rules, ca)
	}
	for i, p := range s.Exceptions {
		validatePeriod(&v, ehrkit.Index("exceptions", i), p)
	}
	for i, p := range s.Extras {
		validatePeriod(&v, ehrkit.Index("extras", i), p)
	}
	v.Check(s.Overbook >= 0, "overbook", ehrkit.IssueValue, "must not be negative")
	if err := v.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

func validatePeriod(v *ehrkit.Issues, path string, p ehrkit.Period) {
	v.Required(ehrkit.JoinPath(path, "start"), !p.Start.IsZero())
	v.Required(ehrkit.JoinPath(path, "end"), !p.End.IsZero())
	if !p.Start.IsZero() && !p.End.IsZero() {
		v.Check(p.End.After(p.Start), ehrkit.JoinPath(path, "end"), ehrkit.IssueInvariant, "must be after start")
	}
}

func (a Availability) compile(loc *time.Location) (compiledAvailability, error) {
	var v ehrkit.Issues
	r, err := compileRule(a.Rule, a.From, loc)
	if err != nil {
		v.Add("rule", ehrkit.IssueValue, "%v", err)
	}
	v.Check(a.From.Precision() == ehrkit.PrecisionDay && a.From.Validate() == nil, "from", ehrkit.IssueValue, "must be a full date")
	open, okOpen := parseClock(a.Open)
	closing, okClose := parseClock(a.Close)
	v.Check(okOpen && open < 24*60, "open", ehrkit.IssueValue, "must be a time of day HH:MM")
	v.Check(okClose, "close", ehrkit.IssueValue, "must be a time of day HH:MM or 24:00")
	if okOpen && okClose {
		v.Check(closing > open, "close", ehrkit.IssueInvariant, "must be after open")
	}
	return compiledAvailability{rule: r, open: open, close: closing}, v.Err()
}

// parseClock parses "HH:MM" (00:00 to 24:00) into minutes after midnight.
func parseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	var h, m int
	for _, c := range s[:2] + s[3:] {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	h = int(s[0]-'0')*10 + int(s[1]-'0')
	m = int(s[3]-'0')*10 + int(s[4]-'0')
	if m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

var zones sync.Map // name -> *time.Location

// zone loads an IANA time zone, caching it. "" and "Local" are refused: a
// schedule's zone must be explicit.
func zone(name string) (*time.Location, error) {
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("time zone %q is not an IANA zone", name)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, l)
	return l, nil
}
