package schedule

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/ehrkit/ehrkit"
)

// ErrSlotUnavailable reports that a slot is taken: a resource is busy or the
// session is full. It wraps ehrkit.ErrFailedPrecondition: a refusal, not a
// version race, so a retry loop ends on it.
var ErrSlotUnavailable = fmt.Errorf("schedule: slot unavailable: %w", ehrkit.ErrFailedPrecondition)

// Booking is one commitment of a resource as the slot rules see it: an
// appointment that is booked or checked in, or a waitlist offer held until
// HoldUntil.
type Booking struct {
	Appointment string    `json:"appointment"`
	Type        string    `json:"type"`  // appointment type id
	Start       time.Time `json:"start"` // start of the appointment
	// BusyStart and BusyEnd bound the time the resource is occupied, buffers
	// included.
	BusyStart time.Time `json:"busyStart"`
	BusyEnd   time.Time `json:"busyEnd"`
	// HoldUntil, when set, is when a held offer lapses; from then on the booking
	// no longer occupies the resource.
	HoldUntil time.Time `json:"holdUntil,omitzero"`
}

// activeAt reports whether the booking occupies its resource at time now.
func (b Booking) activeAt(now time.Time) bool {
	return b.HoldUntil.IsZero() || now.Before(b.HoldUntil)
}

// Calendar is what FreeSlots knows of one resource: its schedule and its
// bookings (any order; bookings outside the searched window are ignored).
type Calendar struct {
	Schedule Schedule
	Bookings []Booking
}

// SlotRequest asks for the free slots of a type within a window.
type SlotRequest struct {
	Type AppointmentType
	// Start and End bound the appointment starts searched: Start <= start < End.
	Start, End time.Time
	// Now is the current time: holds that lapsed by then are ignored and no slot
	// starts before it.
	Now time.Time
	// Overbook lets sessions take Schedule.Overbook patients beyond capacity.
	Overbook bool
}

// Slot is a free appointment time.
type Slot struct {
	Start, End time.Time
	// Remaining is how many more patients the session takes.
	Remaining int
}

// FreeSlots returns the free slots of req.Type on the resources of calendars,
// one calendar per entry of Type.Requires and in that order, in start order.
//
// Candidate starts lie on a grid: in every stretch of time all resources are
// available, the first appointment starts after BufferBefore and each next one
// a whole block (buffers and duration) later. A candidate is free when its
// block lies inside that stretch and, on every resource, every booking that
// overlaps the block is the same session (same type and start) and the session
// has room (Capacity, plus the smallest Schedule.Overbook of the resources when
// req.Overbook is set).
func FreeSlots(req SlotRequest, calendars []Calendar) ([]Slot, error) {
	p, err := plan(req, calendars)
	if err != nil {
		return nil, err
	}
	t := req.Type
	step := t.BufferBefore + t.Duration + t.BufferAfter
	n := 0
	for _, w := range p.avail {
		n += int(w.end.Sub(w.start) / step)
	}
	out := make([]Slot, 0, n)
	for _, w := range p.avail {
		for start := w.start.Add(t.BufferBefore); ; start = start.Add(step) {
			if _, end := t.block(start); end.After(w.end) || !start.Before(req.End) {
				break
			}
			if start.Before(req.Start) || start.Before(req.Now) {
				continue
			}
			if n := p.room(start); n > 0 {
				out = append(out, Slot{Start: start, End: start.Add(t.Duration), Remaining: n})
			}
		}
	}
	return out, nil
}

// checkSlot reports whether a session of req.Type can take one more patient at
// start: a *ehrkit.ValidationError on field "start" if the block is outside the
// availability of the resources, ErrSlotUnavailable if a resource is busy or
// the session is full.
func checkSlot(req SlotRequest, calendars []Calendar, start time.Time) error {
	busyStart, busyEnd := req.Type.block(start)
	req.Start, req.End = start, start.Add(time.Nanosecond)
	p, err := plan(req, calendars)
	if err != nil {
		return err
	}
	var v ehrkit.Issues
	v.Check(!start.Before(req.Now), "start", ehrkit.IssueBusinessRule, "is in the past")
	inside := slices.ContainsFunc(p.avail, func(w span) bool { return !w.start.After(busyStart) && !w.end.Before(busyEnd) })
	v.Check(inside, "start", ehrkit.IssueBusinessRule, "is outside the availability of the resources")
	if err := v.Err(); err != nil {
		return err
	}
	if p.room(start) == 0 {
		return ErrSlotUnavailable
	}
	return nil
}

// slotPlan is a slot search prepared for one request.
type slotPlan struct {
	req   SlotRequest
	avail []span   // joint availability of all resources
	busy  [][]busy // per resource, active bookings sorted by start
	next  []int    // per resource, the first booking that may overlap the next candidate
	limit int      // patients a session takes
}

// busy is a booking in Unix nanoseconds, for a fast overlap scan.
type busy struct {
	start, end int64 // occupied span
	session    int64 // appointment start
	typ        string
}

func plan(req SlotRequest, calendars []Calendar) (*slotPlan, error) {
	t := req.Type
	var v ehrkit.Issues
	v.Merge("type", t.Validate())
	v.Check(req.End.After(req.Start), "end", ehrkit.IssueInvariant, "must be after start")
	checkTime(&v, "start", req.Start)
	checkTime(&v, "end", req.End)
	checkTime(&v, "now", req.Now)
	v.Check(len(calendars) == len(t.Requires), "resources", ehrkit.IssueValue, "need one resource per required kind (%d)", len(t.Requires))
	scheds := make([]*compiled, len(calendars))
	for i, c := range calendars {
		p := ehrkit.Index("resources", i)
		var err error
		scheds[i], err = c.Schedule.compile()
		v.Merge(p, err)
		v.Check(i >= len(t.Requires) || c.Schedule.Actor.Type == t.Requires[i], p+".actor.type", ehrkit.IssueBusinessRule, "is not the kind the type requires")
		for j := range i {
			v.Check(calendars[j].Schedule.Actor != c.Schedule.Actor, p+".actor", ehrkit.IssueDuplicate, "names a resource twice")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	// A block may start BufferBefore ahead of the first start and end a whole
	// block after the last one.
	from, to := req.Start.Add(-t.BufferBefore), req.End.Add(t.Duration+t.BufferAfter)
	p := &slotPlan{req: req, limit: t.capacity(), busy: make([][]busy, len(calendars)), next: make([]int, len(calendars))}
	overbook := -1
	for i, c := range calendars {
		w := scheds[i].windows(from, to)
		if i == 0 {
			p.avail = w
		} else {
			p.avail = intersect(p.avail, w)
		}
		if overbook < 0 || c.Schedule.Overbook < overbook {
			overbook = c.Schedule.Overbook
		}
		p.busy[i] = make([]busy, 0, len(c.Bookings))
		for _, b := range c.Bookings {
			if b.activeAt(req.Now) && b.BusyEnd.After(from) && b.BusyStart.Before(to) {
				p.busy[i] = append(p.busy[i], busy{b.BusyStart.UnixNano(), b.BusyEnd.UnixNano(), b.Start.UnixNano(), b.Type})
			}
		}
		slices.SortFunc(p.busy[i], func(a, b busy) int { return cmp.Compare(a.start, b.start) })
	}
	if req.Overbook {
		p.limit += overbook
	}
	return p, nil
}

// room returns how many more patients the session at start takes on every
// resource, 0 if a resource is busy with something else. Successive calls must
// not go back in time.
func (p *slotPlan) room(start time.Time) int {
	t := p.req.Type
	session := start.UnixNano()
	from, to := session-int64(t.BufferBefore), session+int64(t.Duration+t.BufferAfter)
	room := p.limit
	for r, bs := range p.busy {
		// Bookings last at most maxBlock, so one starting that long before the
		// candidate cannot overlap it or any later one.
		i := p.next[r]
		for i < len(bs) && bs[i].start <= from-int64(maxBlock) {
			i++
		}
		p.next[r] = i
		same := 0
		for ; i < len(bs) && bs[i].start < to; i++ {
			if bs[i].end <= from {
				continue
			}
			if bs[i].typ != t.ID || bs[i].session != session {
				return 0
			}
			same++
		}
		room = min(room, p.limit-same)
	}
	return max(room, 0)
}
