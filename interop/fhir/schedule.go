package fhir

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/schedule"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	appb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/appointment_go_proto"
	schpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/schedule_go_proto"
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
func appointmentTypeOf(c *dtpb.CodeableConcept) string {
	if t := readCodeIn(c, systemAppointmentType); t != "" {
		return t
	}
	return readCode(c)
}

func appointmentFrom(f *appb.Appointment, id string, rs *Refs) (schedule.Appointment, error) {
	a := schedule.Appointment{ID: id, Status: schedule.Status(codeOf(f.GetStatus())), Type: appointmentTypeOf(f.GetAppointmentType()),
		Start: readInstant(f.GetStart()), End: readInstant(f.GetEnd()), Created: readDateTime(f.GetCreated())}
	// The patient is the first Patient participant; Practitioner, Location and
	// Device participants are the resources, in order. Other participants
	// (related persons, services, display-only actors) are not modelled.
	for _, p := range f.GetParticipant() {
		ref := readRef(p.GetActor(), rs)
		switch ref.Type {
		case patient.RecordType:
			if a.Patient == "" {
				a.Patient = patient.ID(ref.ID)
			}
		case schedule.Practitioner, schedule.Location, schedule.Device:
			a.Resources = append(a.Resources, ref)
		}
	}
	if m := f.GetMinutesDuration().GetValue(); a.End.IsZero() && !a.Start.IsZero() && m > 0 {
		a.End = a.Start.Add(time.Duration(m) * time.Minute)
	}
	var st appointmentState
	if err := readJSONExtension(f.GetExtension(), extAppointmentState, &st); err != nil {
		return a, err
	}
	a.BufferBefore, a.BufferAfter, a.Overbooked, a.Waitlist, a.Revision = st.BufferBefore, st.BufferAfter, st.Overbooked, st.Waitlist, st.Revision
	var err error
	a.HoldUntil, err = parseDateTime(st.HoldUntil)
	return a, err
}

func appointmentTo(a *schedule.Appointment) (*appb.Appointment, error) {
	ext, err := pbJSONExtension(extAppointmentState, appointmentState{
		BufferBefore: a.BufferBefore, BufferAfter: a.BufferAfter, Overbooked: a.Overbooked,
		HoldUntil: formatDateTime(a.HoldUntil), Waitlist: a.Waitlist, Revision: a.Revision,
	})
	if err != nil {
		return nil, err
	}
	f := &appb.Appointment{
		Id: pbID(a.ID), Extension: ext, Status: pbCode[*appb.Appointment_StatusCode](string(a.Status), &err),
		AppointmentType: pbCoded(systemAppointmentType, a.Type),
		Start:           pbInstant(a.Start), End: pbInstant(a.End), Created: pbDateTime(a.Created),
	}
	if d := a.End.Sub(a.Start); d > 0 && d%time.Minute == 0 {
		f.MinutesDuration = &dtpb.PositiveInt{Value: uint32(d / time.Minute)}
	}
	participant := func(actor *dtpb.Reference, status string) *appb.Appointment_Participant {
		return &appb.Appointment_Participant{Actor: actor, Required: pbCode[*appb.Appointment_Participant_RequiredCode]("required", &err),
			Status: pbCode[*appb.Appointment_Participant_StatusCode](status, &err)}
	}
	// A proposed appointment (a waitlist offer) waits for the patient's answer.
	patientStatus := "accepted"
	if a.Status == schedule.Proposed {
		patientStatus = "needs-action"
	}
	f.Participant = append(f.Participant, participant(pbPatientRef(a.Patient), patientStatus))
	for _, r := range a.Resources {
		f.Participant = append(f.Participant, participant(pbRef(r), "accepted"))
	}
	return f, err
}

// ---- Schedule

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
func scheduleFrom(f *schpb.Schedule, _ string, rs *Refs) (schedule.Schedule, error) {
	s := schedule.Schedule{TimeZone: defaultZone}
	var v ehrkit.Issues
	v.Check(len(f.GetActor()) <= 1, "actor", ehrkit.IssueBusinessRule, "an ehrkit schedule belongs to exactly one resource")
	if actors := f.GetActor(); len(actors) > 0 {
		s.Actor = readRef(actors[0], rs)
	}
	rules := scheduleRules{TimeZone: defaultZone}
	if err := readJSONExtension(f.GetExtension(), extScheduleAvailability, &rules); err != nil {
		return s, err
	}
	s.TimeZone, s.Availability, s.Exceptions, s.Extras, s.Overbook = rules.TimeZone, rules.Availability, rules.Exceptions, rules.Extras, rules.Overbook
	v.Merge("", s.Validate())
	return s, v.Err()
}

func scheduleTo(s *schedule.Schedule) (*schpb.Schedule, error) {
	ext, err := pbJSONExtension(extScheduleAvailability, scheduleRules{
		TimeZone: s.TimeZone, Availability: s.Availability, Exceptions: s.Exceptions, Extras: s.Extras, Overbook: s.Overbook,
	})
	if err != nil {
		return nil, err
	}
	return &schpb.Schedule{Id: pbID(scheduleID(s.Actor)), Extension: ext, Actor: []*dtpb.Reference{pbRef(s.Actor)}}, nil
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
	register(protoTyped[schedule.Appointment, *appb.Appointment]{view: schedule.AppointmentRecords, save: via(scheduleSvc, (*schedule.Service).SaveAppointment), from: appointmentFrom, to: appointmentTo,
		elements: []string{"extension", "status", "appointmentType", "start", "end", "minutesDuration", "created", "participant"}})
	register(protoTyped[schedule.Schedule, *schpb.Schedule]{view: schedule.ScheduleRecords, save: via(scheduleSvc, (*schedule.Service).SaveSchedule), from: scheduleFrom, to: scheduleTo,
		elements: []string{"extension", "actor"}})
}
