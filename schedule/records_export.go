package schedule

import (
	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Storage kinds of schedules and appointments, for packages that read or write
// them in their own transactions (FHIR import and export).
var (
	Schedules    = schedules
	Appointments = appointments
)

// statuses lists the appointment statuses the service moves appointments through.
var statuses = []Status{Proposed, Booked, CheckedIn, Fulfilled, Cancelled, NoShow}

// Validate checks an appointment that enters the store from outside the
// service (a FHIR import) and reports every problem: the id, an unknown status,
// a missing type or patient, a resource that is not a Practitioner, Location
// or Device, missing times or an end not after the start, negative buffers.
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
	}
	v.Check(a.BufferBefore >= 0, "bufferBefore", ehrkit.IssueValue, "must not be negative")
	v.Check(a.BufferAfter >= 0, "bufferAfter", ehrkit.IssueValue, "must not be negative")
	v.Check(a.Revision >= 0, "revision", ehrkit.IssueValue, "must not be negative")
	return v.Err()
}
