package schedule

import (
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// Status is a FHIR Appointment status.
type Status string

// Appointment statuses used by the service (FHIR R4 AppointmentStatus).
const (
	Proposed  Status = "proposed"   // a waitlist offer holding a slot
	Booked    Status = "booked"     // confirmed
	CheckedIn Status = "checked-in" // the patient has arrived
	Fulfilled Status = "fulfilled"  // the appointment took place
	Cancelled Status = "cancelled"  // cancelled, or an offer declined or lapsed
	NoShow    Status = "noshow"     // the patient did not come
)

// transitions lists the statuses each status may move to.
var transitions = map[Status][]Status{
	Proposed:  {Booked, Cancelled},
	Booked:    {CheckedIn, NoShow, Cancelled},
	CheckedIn: {Fulfilled},
}

// CanMove reports whether an appointment may move from one status to another.
func CanMove(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Appointment is a booked (or offered) appointment of one patient (FHIR
// Appointment).
type Appointment struct {
	ID        string             `json:"id"`
	Status    Status             `json:"status"`
	Type      string             `json:"type"` // appointment type id
	Patient   patient.ID         `json:"patient"`
	Resources []ehrkit.Reference `json:"resources"` // one per entry of the type's Requires
	Start     time.Time          `json:"start"`
	End       time.Time          `json:"end"`
	// BufferBefore and BufferAfter are the type's buffers when it was booked.
	BufferBefore time.Duration `json:"bufferBefore,omitempty"`
	BufferAfter  time.Duration `json:"bufferAfter,omitempty"`
	// Overbooked records that the booking used the overbooking allowance.
	Overbooked bool `json:"overbooked,omitempty"`
	// HoldUntil is when a proposed waitlist offer lapses.
	HoldUntil time.Time `json:"holdUntil,omitzero"`
	// Waitlist is the waitlist entry an offer was made to.
	Waitlist string `json:"waitlist,omitempty"`
	// Revision counts bookings of this appointment: 1 when booked, +1 per
	// reschedule. Reminders carry it, so a moved appointment drops old reminders.
	Revision int       `json:"revision"`
	Created  time.Time `json:"created"`
}

// booking returns the ledger entry of the appointment.
func (a Appointment) booking() Booking {
	return Booking{
		Appointment: a.ID, Type: a.Type, Start: a.Start,
		BusyStart: a.Start.Add(-a.BufferBefore), BusyEnd: a.End.Add(a.BufferAfter),
		HoldUntil: a.HoldUntil,
	}
}

// WaitState is the state of a waitlist entry.
type WaitState string

// Waitlist entry states.
const (
	Waiting   WaitState = "waiting"   // waiting for a slot
	Offered   WaitState = "offered"   // a slot is held for the patient
	Accepted  WaitState = "accepted"  // the patient took the offered slot
	Lapsed    WaitState = "lapsed"    // the offer was declined or expired
	Withdrawn WaitState = "withdrawn" // the patient left the waitlist
)

// WaitlistEntry is a patient waiting for a slot of a type, optionally with a
// given practitioner (or other resource), within a window of acceptable times.
type WaitlistEntry struct {
	ID      string     `json:"id"`
	Patient patient.ID `json:"patient"`
	Type    string     `json:"type"`
	// Resource, when set, must be one of the freed slot's resources.
	Resource ehrkit.Reference `json:"resource,omitzero"`
	// Window bounds the acceptable appointment starts; open ends are unbounded.
	Window  ehrkit.Period `json:"window,omitzero"`
	State   WaitState     `json:"state"`
	Offer   string        `json:"offer,omitempty"` // the proposed appointment
	Created time.Time     `json:"created"`
}

// Validate checks what a caller supplies when joining the waitlist.
func (w WaitlistEntry) Validate() error {
	var v ehrkit.Issues
	v.Check(storage.ValidID(string(w.Patient)), "patient", ehrkit.IssueValue, "missing or malformed patient id")
	v.Check(storage.ValidID(w.Type), "type", ehrkit.IssueValue, "missing or malformed type id")
	if !w.Resource.IsZero() {
		validateActor(&v, "resource", w.Resource)
	}
	v.Merge("window", w.Window.Validate())
	return v.Err()
}

// matches reports whether the entry wants a session of type typ at start on
// the resources.
func (w WaitlistEntry) matches(typ string, start time.Time, resources []ehrkit.Reference) bool {
	if w.Type != typ || !w.Window.Contains(start) {
		return false
	}
	if w.Resource.IsZero() {
		return true
	}
	for _, r := range resources {
		if r.Type == w.Resource.Type && r.ID == w.Resource.ID {
			return true
		}
	}
	return false
}

// statuses lists the appointment statuses the service moves appointments through.
var statuses = []Status{Proposed, Booked, CheckedIn, Fulfilled, Cancelled, NoShow}

// Validate checks an appointment that enters the store from outside the
// service (SaveAppointment) and reports every problem: the id, an unknown
// status, a missing type or patient, a resource that is not a Practitioner,
// Location or Device, missing times or an end not after the start, negative
// buffers, a span with buffers longer than a day.
func (a Appointment) Validate() error {
	var v ehrkit.Issues
	v.Check(storage.ValidID(a.ID), "id", ehrkit.IssueValue, "missing or malformed id")
	known := false
	for _, s := range statuses {
		known = known || a.Status == s
	}
	v.Check(known, "status", ehrkit.IssueCodeInvalid, "not a status ehrkit schedules")
	v.Check(storage.ValidID(a.Type), "type", ehrkit.IssueRequired, "needs an appointment type id")
	v.Check(storage.ValidID(string(a.Patient)), "patient", ehrkit.IssueRequired, "needs a patient")
	v.Required("resources", len(a.Resources) > 0)
	for i, r := range a.Resources {
		validateActor(&v, ehrkit.Index("resources", i), r)
	}
	v.Required("start", !a.Start.IsZero())
	v.Required("end", !a.End.IsZero())
	if !a.Start.IsZero() && !a.End.IsZero() {
		v.Check(a.End.After(a.Start), "end", ehrkit.IssueInvariant, "must be after start")
		v.Check(a.End.Sub(a.Start) <= maxBlock && a.BufferBefore <= maxBlock && a.BufferAfter <= maxBlock &&
			a.End.Sub(a.Start)+a.BufferBefore+a.BufferAfter <= maxBlock, "end", ehrkit.IssueBusinessRule, "with buffers must not exceed %s", maxBlock)
	}
	checkTime(&v, "start", a.Start)
	checkTime(&v, "end", a.End)
	checkTime(&v, "holdUntil", a.HoldUntil)
	v.Check(a.BufferBefore >= 0, "bufferBefore", ehrkit.IssueValue, "must not be negative")
	v.Check(a.BufferAfter >= 0, "bufferAfter", ehrkit.IssueValue, "must not be negative")
	v.Check(a.Revision >= 0, "revision", ehrkit.IssueValue, "must not be negative")
	return v.Err()
}

// occupies reports whether the appointment holds its resources' time, and so
// is listed in their day ledgers: every status but cancelled (a lapsed
// offer's hold no longer counts, see Booking.HoldUntil).
func (a Appointment) occupies() bool { return a.Status != Cancelled }
