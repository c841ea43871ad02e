package hl7v2

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/schedule"
	"github.com/ehrkit/ehrkit/storage"
)

// SIUHandler keeps the schedule in step with a scheduling system's
// bookings: SIU^S12 (new), S13 (rescheduled), S14 (modified) and S15
// (cancelled) go to schedule.Service.SaveAppointment, whose day ledger
// refuses a time a resource already has taken. Its Handle method serves as
// the Handler of Server.Serve.
type SIUHandler struct {
	// Schedule stores the appointments and Patients finds their patient;
	// Store is the store both were made over.
	Schedule *schedule.Service
	Patients *patient.Service
	Store    storage.Store
	// Clock stamps the ACKs; nil means ehrkit.RealClock.
	Clock ehrkit.Clock
}

// fillerStatuses maps SCH-25 (HL7 table 0278) to the appointment status.
var fillerStatuses = map[string]schedule.Status{
	"BOOKED": schedule.Booked, "CANCELLED": schedule.Cancelled, "DELETED": schedule.Cancelled, "COMPLETE": schedule.Fulfilled,
	"NOSHOW": schedule.NoShow, "DC": schedule.Cancelled, "STARTED": schedule.CheckedIn, "ARRIVED": schedule.CheckedIn,
}

// durationUnits are the units of AIS-8, AIG-12, AIL-10, AIP-10 and SCH-10
// (ISO+ and UCUM codes).
var durationUnits = map[string]time.Duration{"S": time.Second, "SEC": time.Second, "MIN": time.Minute, "M": time.Minute,
	"H": time.Hour, "HR": time.Hour, "HOUR": time.Hour, "D": 24 * time.Hour}

// Appointment maps an SIU^S12-S15 to an appointment of patient p:
//
//   - the id is "v2-" and a hash of the sending facility and the filler
//     appointment id SCH-2 (else the placer's, SCH-1), so S13-S15 change
//     the appointment S12 booked;
//   - the status is cancelled for S15, else SCH-25 (table 0278: Booked,
//     Cancelled, Complete, Noshow ...), booked when empty;
//   - the type is SCH-8 (else SCH-7, the reason) as a record id (the code
//     when it is a valid id, else "v2-" and a hash of it);
//   - the resources are the personnel of AIP-3 (Practitioner), the
//     locations of AIL-3 (Location) and the equipment of AIG-3 (Device),
//     by their id as sent (hashed when it is not a valid record id);
//   - the time is TQ1-7 to TQ1-8, else the start of the first AIS, AIG,
//     AIL or AIP with its duration, else SCH-11.4 to SCH-11.5;
//   - created is MSH-7.
//
// Problems fail with one *ehrkit.ValidationError naming segments and
// fields ("SCH-2", "AIS-4").
func Appointment(msg *Message, p patient.ID) (schedule.Appointment, error) {
	var is ehrkit.Issues
	sch, ok := msg.Segment("SCH", 1)
	if !ok {
		is.Add("SCH", ehrkit.IssueRequired, "a scheduling message needs an SCH segment")
		return schedule.Appointment{}, is.Err()
	}
	first := func(s Segment, n int) string { return strings.TrimSpace(s.Field(n).Rep(1).Component(1).Text()) }
	fac := sendingFacility(msg)
	a := schedule.Appointment{Patient: p, Status: schedule.Booked}
	key := first(sch, 2)
	if key == "" {
		key = "placer|" + first(sch, 1)
	}
	is.Check(key != "placer|", "SCH-2", ehrkit.IssueRequired, "an appointment needs its filler or placer id")
	a.ID = hashID("v2-", fac+"|"+key, 12)
	if v := strings.ToUpper(first(sch, 25)); v != "" {
		st, ok := fillerStatuses[v]
		is.Check(ok, "SCH-25", ehrkit.IssueCodeInvalid, "unknown filler status (HL7 table 0278)")
		a.Status = st
	}
	if msg.Get("MSH-9.2") == "S15" {
		a.Status = schedule.Cancelled
	}
	typ := first(sch, 8)
	if typ == "" {
		typ = first(sch, 7)
	}
	is.Check(typ != "", "SCH-8", ehrkit.IssueRequired, "an appointment needs its type (SCH-8) or reason (SCH-7)")
	a.Type = recordID(typ)
	var start time.Time
	var length time.Duration
	readTime := func(v, path string) time.Time {
		if v == "" {
			return time.Time{}
		}
		t, err := dtmTime(v)
		is.Check(err == nil, path, ehrkit.IssueValue, "malformed date/time")
		return t
	}
	if tq, ok := msg.Segment("TQ1", 1); ok {
		start, a.End = readTime(first(tq, 7), "TQ1-7"), readTime(first(tq, 8), "TQ1-8")
	}
	for _, r := range []struct {
		name          string
		id, at, n, un int
		kind          string
	}{{"AIS", 0, 4, 7, 8, ""}, {"AIG", 3, 8, 11, 12, "Device"}, {"AIL", 3, 6, 9, 10, "Location"}, {"AIP", 3, 6, 9, 10, "Practitioner"}} {
		for i, s := range msg.All(r.name) {
			path := seg(r.name, i+1)
			if r.id > 0 {
				id := first(s, r.id)
				is.Check(id != "", path+"-"+strconv.Itoa(r.id), ehrkit.IssueRequired, "is required")
				if id != "" {
					a.Resources = append(a.Resources, ehrkit.Ref(r.kind, recordID(id)))
				}
			}
			if start.IsZero() {
				start = readTime(first(s, r.at), path+"-"+strconv.Itoa(r.at))
			}
			if n, err := strconv.Atoi(first(s, r.n)); err == nil && length == 0 {
				unit, ok := durationUnits[strings.ToUpper(first(s, r.un))]
				if !ok {
					unit = time.Minute // HL7's default unit of these durations
				}
				length = time.Duration(n) * unit
			}
		}
	}
	if start.IsZero() {
		tq := sch.Field(11).Rep(1)
		start = readTime(strings.TrimSpace(tq.Component(4).Text()), "SCH-11.4")
		a.End = readTime(strings.TrimSpace(tq.Component(5).Text()), "SCH-11.5")
	}
	if a.End.IsZero() && !start.IsZero() && length > 0 {
		a.End = start.Add(length)
	}
	a.Start = start
	is.Check(!a.Start.IsZero(), "TQ1-7", ehrkit.IssueRequired, "an appointment needs its start (TQ1-7, AIS-4, AIL-6, AIP-6 or SCH-11.4)")
	is.Check(!a.End.IsZero() || a.Start.IsZero(), "TQ1-8", ehrkit.IssueRequired, "an appointment needs its end (TQ1-8) or a duration")
	is.Check(len(a.Resources) > 0, "AIP", ehrkit.IssueRequired, "an appointment needs a resource (AIP, AIL or AIG)")
	if v := msg.Get("MSH-7"); v != "" {
		a.Created, _ = dtmTime(v)
	}
	if err := is.Err(); err != nil {
		return schedule.Appointment{}, err
	}
	return a, nil
}

// recordID is s when it is a valid record id, else "v2-" and a hash of it.
func recordID(s string) string {
	if storage.ValidID(s) && len(s) <= 64 {
		return s
	}
	return hashID("v2-", s, 12)
}

// Handle answers one message with its ACK: AA when the appointment was
// stored; AE with ERR segments when the patient is unknown (PID-3, ERR-3
// 204), the booking is malformed or the schedule refuses it (a resource
// already taken then: ERR-3 207); AR for a message that does not parse or
// is not an SIU^S12-S15.
func (h *SIUHandler) Handle(ctx context.Context, data []byte) []byte {
	msg, ack := parseFor(data, h.Clock, "SIU^S12", "SIU^S13", "SIU^S14", "SIU^S15")
	if ack != nil {
		return ack
	}
	if err := h.File(ctx, msg); err != nil {
		return ackFor(msg, h.Clock, AE, ackErrors(msg, err)...)
	}
	return ackFor(msg, h.Clock, AA)
}

// File stores the appointment of an SIU^S12-S15 (Appointment) through
// schedule.Service.SaveAppointment, for the current patient holding one of
// the PID-3 identifiers.
func (h *SIUHandler) File(ctx context.Context, msg *Message) error {
	p, err := patientOf(ctx, h.Patients, msg)
	if err != nil {
		return err
	}
	a, err := Appointment(msg, p)
	if err != nil {
		return err
	}
	return h.Store.Update(ctx, func(tx storage.Tx) error {
		_, err := h.Schedule.SaveAppointment(ctx, tx, a)
		return renamed(err, "SCH", map[string]string{"type": "SCH-8", "resources": "AIP", "start": "TQ1-7", "end": "TQ1-8", "patient": "PID-3", "status": "SCH-25"})
	})
}
