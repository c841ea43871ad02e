package fhir

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/schedule"
)

// The ehrkit state FHIR has no element for travels in extensions, as JSON
// strings, so that appointments and schedules round-trip.
const (
	// extAppointmentState holds an appointment's buffers, overbooking, waitlist
	// hold and revision.
	extAppointmentState = "https://ehrkit.dev/fhir/StructureDefinition/appointment-state"
	// extScheduleAvailability holds a schedule's time zone, recurring
	// availability, exceptions, extras and overbooking allowance.
	extScheduleAvailability = "https://ehrkit.dev/fhir/StructureDefinition/schedule-availability"
	// systemAppointmentType is the code system of ehrkit appointment type ids.
	systemAppointmentType = "https://ehrkit.dev/fhir/CodeSystem/appointment-type"
)

// ---- Appointment

type fAppointment struct {
	ResourceType    string                    `json:"resourceType"`
	ID              string                    `json:"id,omitempty"`
	Extension       []fExtension              `json:"extension,omitempty"`
	Status          string                    `json:"status"`
	AppointmentType *fConcept                 `json:"appointmentType,omitempty"`
	Start           string                    `json:"start,omitempty"`
	End             string                    `json:"end,omitempty"`
	MinutesDuration int                       `json:"minutesDuration,omitempty"`
	Created         string                    `json:"created,omitempty"`
	Participant     []fAppointmentParticipant `json:"participant"`
}

type fAppointmentParticipant struct {
	Actor    *fReference `json:"actor,omitempty"`
	Required string      `json:"required,omitempty"`
	Status   string      `json:"status"`
}

// appointmentState is what extAppointmentState holds.
type appointmentState struct {
	BufferBefore time.Duration `json:"bufferBefore,omitempty"`
	BufferAfter  time.Duration `json:"bufferAfter,omitempty"`
	Overbooked   bool          `json:"overbooked,omitempty"`
	HoldUntil    string        `json:"holdUntil,omitempty"`
	Waitlist     string        `json:"waitlist,omitempty"`
	Revision     int           `json:"revision,omitempty"`
}

// appointmentTypeOf returns the ehrkit appointment type id of an appointment:
// the code in systemAppointmentType, else the first code of appointmentType
// (such as a v2-0276 code).
func appointmentTypeOf(c *fConcept) string {
	if t := codeIn(c, systemAppointmentType); t != "" {
		return t
	}
	return code(c)
}

func appointmentFrom(f *fAppointment, id string, rs *Refs) (schedule.Appointment, error) {
	a := schedule.Appointment{ID: id, Status: schedule.Status(f.Status), Type: appointmentTypeOf(f.AppointmentType)}
	// The patient is the first Patient participant; Practitioner, Location and
	// Device participants are the resources, in order. Other participants
	// (related persons, services, display-only actors) are not modelled.
	for _, p := range f.Participant {
		ref := toRef(p.Actor, rs)
		switch ref.Type {
		case patient.RecordType:
			if a.Patient == "" {
				a.Patient = patient.ID(ref.ID)
			}
		case schedule.Practitioner, schedule.Location, schedule.Device:
			a.Resources = append(a.Resources, ref)
		}
	}
	var err error
	if a.Start, err = parseDateTime(f.Start); err != nil {
		return a, err
	}
	if a.End, err = parseDateTime(f.End); err != nil {
		return a, err
	}
	if a.End.IsZero() && !a.Start.IsZero() && f.MinutesDuration > 0 {
		a.End = a.Start.Add(time.Duration(f.MinutesDuration) * time.Minute)
	}
	if a.Created, err = parseDateTime(f.Created); err != nil {
		return a, err
	}
	var st appointmentState
	if err := readExtension(f.Extension, extAppointmentState, &st); err != nil {
		return a, err
	}
	a.BufferBefore, a.BufferAfter, a.Overbooked, a.Waitlist, a.Revision = st.BufferBefore, st.BufferAfter, st.Overbooked, st.Waitlist, st.Revision
	a.HoldUntil, err = parseDateTime(st.HoldUntil)
	return a, err
}

func appointmentTo(a *schedule.Appointment) (fAppointment, error) {
	ext, err := jsonExtension(extAppointmentState, appointmentState{
		BufferBefore: a.BufferBefore, BufferAfter: a.BufferAfter, Overbooked: a.Overbooked,
		HoldUntil: formatDateTime(a.HoldUntil), Waitlist: a.Waitlist, Revision: a.Revision,
	})
	if err != nil {
		return fAppointment{}, err
	}
	f := fAppointment{
		ResourceType: "Appointment", ID: a.ID, Extension: ext, Status: string(a.Status),
		AppointmentType: coded(systemAppointmentType, a.Type),
		Start:           formatDateTime(a.Start), End: formatDateTime(a.End), Created: formatDateTime(a.Created),
	}
	if d := a.End.Sub(a.Start); d > 0 && d%time.Minute == 0 {
		f.MinutesDuration = int(d / time.Minute)
	}
	// A proposed appointment (a waitlist offer) waits for the patient's answer.
	patientStatus := "accepted"
	if a.Status == schedule.Proposed {
		patientStatus = "needs-action"
	}
	f.Participant = append(f.Participant, fAppointmentParticipant{Actor: patientRef(a.Patient), Required: "required", Status: patientStatus})
	for _, r := range a.Resources {
		f.Participant = append(f.Participant, fAppointmentParticipant{Actor: fromRef(r), Required: "required", Status: "accepted"})
	}
	return f, nil
}

// ---- Schedule

type fSchedule struct {
	ResourceType string       `json:"resourceType"`
	ID           string       `json:"id,omitempty"`
	Extension    []fExtension `json:"extension,omitempty"`
	Actor        []fReference `json:"actor"`
}

// scheduleRules is what extScheduleAvailability holds.
type scheduleRules struct {
	TimeZone     string                  `json:"timeZone"`
	Availability []schedule.Availability `json:"availability,omitempty"`
	Exceptions   []ehrkit.Period         `json:"exceptions,omitempty"`
	Extras       []ehrkit.Period         `json:"extras,omitempty"`
	Overbook     int                     `json:"overbook,omitempty"`
}

// defaultZone is the time zone of a schedule imported without ehrkit's
// availability extension: it has no opening times, so the zone only matters
// once availability is added.
const defaultZone = "UTC"

// scheduleFrom maps a FHIR Schedule. An ehrkit schedule belongs to exactly one
// resource (an appointment type that needs several resources at once combines
// their schedules), so a Schedule with several actors is refused.
func scheduleFrom(f *fSchedule, _ string, rs *Refs) (schedule.Schedule, error) {
	s := schedule.Schedule{TimeZone: defaultZone}
	var v ehrkit.Issues
	v.Check(len(f.Actor) <= 1, "actor", ehrkit.IssueBusinessRule, "an ehrkit schedule belongs to exactly one resource")
	if len(f.Actor) > 0 {
		s.Actor = toRef(&f.Actor[0], rs)
	}
	rules := scheduleRules{TimeZone: defaultZone}
	if err := readExtension(f.Extension, extScheduleAvailability, &rules); err != nil {
		return s, err
	}
	s.TimeZone, s.Availability, s.Exceptions, s.Extras, s.Overbook = rules.TimeZone, rules.Availability, rules.Exceptions, rules.Extras, rules.Overbook
	v.Merge("", s.Validate())
	return s, v.Err()
}

func scheduleTo(s *schedule.Schedule) (fSchedule, error) {
	ext, err := jsonExtension(extScheduleAvailability, scheduleRules{
		TimeZone: s.TimeZone, Availability: s.Availability, Exceptions: s.Exceptions, Extras: s.Extras, Overbook: s.Overbook,
	})
	if err != nil {
		return fSchedule{}, err
	}
	return fSchedule{ResourceType: "Schedule", ID: scheduleID(s.Actor), Extension: ext, Actor: []fReference{*fromRef(s.Actor)}}, nil
}

// scheduleID is the FHIR id of the schedule of actor. ehrkit keys a schedule by
// its actor; "Type-id" is used when it is a valid FHIR id, else a digest of it.
// Import ignores the id: the actor names the schedule.
func scheduleID(actor ehrkit.Reference) string {
	if id := actor.Type + "-" + actor.ID; ValidID(id) {
		return id
	}
	sum := sha256.Sum256([]byte(actor.String()))
	return "schedule-" + hex.EncodeToString(sum[:16])
}

func init() {
	register(typed[schedule.Appointment, fAppointment]{view: schedule.AppointmentRecords, save: via(scheduleSvc, (*schedule.Service).SaveAppointment), from: appointmentFrom, to: appointmentTo,
		elements: []string{"extension", "status", "appointmentType", "start", "end", "minutesDuration", "created", "participant"}})
	register(typed[schedule.Schedule, fSchedule]{view: schedule.ScheduleRecords, save: via(scheduleSvc, (*schedule.Service).SaveSchedule), from: scheduleFrom, to: scheduleTo,
		elements: []string{"extension", "actor"}})
}
