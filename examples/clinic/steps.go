package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/schedule"
	"github.com/shopspring/decimal"
)

// register: two new patients, a refused duplicate, a folded name search.
func (d *day) register(ctx context.Context) error {
	ctx = as(ctx, frontDesk)
	jose := patient.Patient{
		Names:     []ehrkit.HumanName{{Use: "official", Family: "Müller-Lüdenscheidt", Given: []string{"José"}}},
		Gender:    patient.GenderMale,
		BirthDate: ehrkit.MustDate("1970-05-01"),
		Telecom:   []ehrkit.ContactPoint{{System: "phone", Value: "+1 (555) 010-2030"}},
		Addresses: []ehrkit.Address{{Line: []string{"1 Main St"}, City: "Boston", PostalCode: "02139"}},
	}
	amara := patient.Patient{
		Names:     []ehrkit.HumanName{{Use: "official", Family: "Okafor", Given: []string{"Amara"}}},
		Gender:    patient.GenderFemale,
		BirthDate: ehrkit.MustDate("1988-11-23"),
	}
	for _, p := range []patient.Patient{jose, amara} {
		got, err := d.patients.Register(ctx, p)
		if err != nil {
			return err
		}
		if d.jose == "" {
			d.jose = got.ID
		}
		d.say("registered %s %s, MRN %s", got.ID, got.Name().Given[0], got.Identifier(patient.SystemMRN))
	}

	// The same man typed again at another desk, accents lost.
	again := jose
	again.Names = []ehrkit.HumanName{{Family: "MULLER-LUDENSCHEIDT", Given: []string{"JOSE"}}}
	_, err := d.patients.Register(ctx, again)
	var dup *patient.DuplicateError
	if !errors.As(err, &dup) {
		return fmt.Errorf("registering a duplicate: want a DuplicateError, got %v", err)
	}
	d.say("registering JOSE MULLER-LUDENSCHEIDT again: refused, %s duplicate of %s", dup.Matches[0].Level, dup.Matches[0].Patient.ID)

	res, err := d.patients.Search(ctx, patient.Query{Name: "jose muller"})
	if err != nil {
		return err
	}
	for _, p := range res.Patients {
		d.say("search \"jose muller\" finds %s %s %s", p.ID, p.Name().Given[0], p.Name().Family)
	}
	return nil
}

// Dr. Weber and the visit type of the clinic.
var (
	weber = ehrkit.Ref(schedule.Practitioner, physician.Practitioner)
	visit = schedule.AppointmentType{ID: "follow-up", Name: "Follow-up visit", Duration: 20 * time.Minute, BufferAfter: 10 * time.Minute, Requires: []string{schedule.Practitioner}}
)

// book: a weekly schedule, a booking, a refused double booking, check-in.
func (d *day) book(ctx context.Context) error {
	d.at(8, 15)
	ctx = as(ctx, frontDesk)
	err := d.sched.PutSchedule(ctx, schedule.Schedule{Actor: weber, TimeZone: "UTC", Availability: []schedule.Availability{
		{Rule: "FREQ=WEEKLY;BYDAY=MO,WE,FR", From: ehrkit.NewDate(2026, 1, 5), Open: "09:00", Close: "12:00"},
	}})
	if err != nil {
		return err
	}
	if err := d.sched.PutType(ctx, visit); err != nil {
		return err
	}
	today := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	slots, err := d.sched.FreeSlots(ctx, schedule.SlotQuery{Type: visit.ID, Resources: []ehrkit.Reference{weber}, Start: today, End: today.AddDate(0, 0, 7)})
	if err != nil {
		return err
	}
	d.say("Dr. Weber (Mon, Wed, Fri 09:00-12:00): %d free %s slots this week, first %s", len(slots), visit.ID, slots[0].Start.Format("Mon 15:04"))

	appt, err := d.sched.Book(ctx, schedule.BookRequest{Type: visit.ID, Patient: d.jose, Resources: []ehrkit.Reference{weber}, Start: slots[0].Start})
	if err != nil {
		return err
	}
	d.say("booked %s for %s, %s-%s, %s", appt.ID, appt.Patient, appt.Start.Format("15:04"), appt.End.Format("15:04"), appt.Status)
	_, err = d.sched.Book(ctx, schedule.BookRequest{Type: visit.ID, Patient: "pat-000002", Resources: []ehrkit.Reference{weber}, Start: slots[0].Start})
	if !errors.Is(err, schedule.ErrSlotUnavailable) {
		return fmt.Errorf("double booking: want ErrSlotUnavailable, got %v", err)
	}
	d.say("booking pat-000002 into the same slot: refused, slot unavailable")

	d.at(8, 55)
	appt, err = d.sched.CheckIn(ctx, appt.ID)
	if err != nil {
		return err
	}
	d.say("%s checked in at %s: %s", appt.ID, d.clock.Now().Format("15:04"), appt.Status)
	return nil
}

// document: the encounter, vitals with BMI and flags, a problem, an allergy, a signed note.
func (d *day) document(ctx context.Context) error {
	d.at(9, 0)
	ctx = as(ctx, physician)
	enc, err := d.clin.OpenEncounter(ctx, clinical.Encounter{Patient: d.jose, Class: clinical.ClassAmbulatory,
		Reasons: []ehrkit.CodeableConcept{{Text: "Cholesterol follow-up"}}})
	if err != nil {
		return err
	}
	d.visit = enc.ID
	d.say("encounter %s opened: %s", enc.ID, enc.Status)

	height, weight, sys, dia := ehrkit.Qty("172", "cm"), ehrkit.Qty("81", "kg"), ehrkit.Qty("142", "mm[Hg]"), ehrkit.Qty("91", "mm[Hg]")
	vitals, err := d.clin.RecordVitals(ctx, d.jose, enc.ID, clinical.Vitals{Height: &height, Weight: &weight, Systolic: &sys, Diastolic: &dia})
	if err != nil {
		return err
	}
	for _, v := range vitals {
		if len(v.Components) == 0 {
			d.say("vital %s: %s%s", v.Code, v.Value.Quantity, flags(v.Interpretation))
		}
		for _, c := range v.Components {
			d.say("vital %s: %s%s", c.Code, c.Value.Quantity, flags(c.Interpretation))
		}
	}

	problem, err := d.clin.AddCondition(ctx, clinical.Condition{Patient: d.jose, Encounter: enc.ID, Category: clinical.ConditionProblemListItem,
		ClinicalStatus: clinical.ConditionActive, VerificationStatus: clinical.VerificationConfirmed,
		Code: ehrkit.Concept(ehrkit.SystemICD10CM, "E78.5", "Hyperlipidemia, unspecified")})
	if err != nil {
		return err
	}
	d.say("problem %s: ICD-10-CM %s %s", problem.ID, problem.Code.Coding[0].Code, problem.Code)
	allergy, err := d.clin.AddAllergy(ctx, clinical.AllergyIntolerance{Patient: d.jose, Encounter: enc.ID, ClinicalStatus: "active",
		VerificationStatus: "confirmed", Criticality: "high", Code: ehrkit.Concept(ehrkit.SystemRxNorm, "7980", "Penicillin G")})
	if err != nil {
		return err
	}
	d.say("allergy %s: %s, criticality %s", allergy.ID, allergy.Code, allergy.Criticality)

	note, err := d.clin.CreateNote(ctx, d.progressNote("LDL above goal on diet alone. Start simvastatin 20 mg nightly."))
	if err != nil {
		return err
	}
	d.at(9, 15)
	if note, err = d.clin.SignNote(ctx, note.ID); err != nil {
		return err
	}
	d.say("note %s %s by %s at %s", note.ID, note.Status, note.Signature.By, note.Signature.At.Format("15:04"))
	return nil
}

// flags renders interpretation flags as " [H]", or nothing when there are none.
func flags(interpretation []string) string {
	if len(interpretation) == 0 {
		return ""
	}
	return " [" + strings.Join(interpretation, " ") + "]"
}

// progressNote is a draft progress note of the visit by Dr. Weber.
func (d *day) progressNote(text string) clinical.Note {
	return clinical.Note{Patient: d.jose, Encounter: d.visit, Author: ehrkit.Ref("Practitioner", physician.Practitioner),
		Type: ehrkit.Concept(ehrkit.SystemLOINC, clinical.LOINCProgressNote, "Progress note"), Text: text}
}

// medication returns a draft order of one tablet or capsule of product.
func (d *day) medication(code, display string, perDay string) rx.Order {
	return rx.Order{Patient: d.jose, Kind: rx.KindMedication, Requester: physician.Practitioner, Medication: &rx.MedicationDetail{
		Medication: ehrkit.Coding{System: ehrkit.SystemRxNorm, Code: code, Display: display},
		Dose:       ehrkit.Qty("1", "{tbl}"), Route: "oral", FrequencyPerDay: decimal.RequireFromString(perDay), DurationDays: 30,
		Quantity: ehrkit.Qty("30", "{tbl}"), SubstitutionAllowed: true,
	}}
}

// prescribe: simvastatin, then clarithromycin (contraindicated, overridden),
// then amoxicillin (penicillin-class allergy), left as a draft.
func (d *day) prescribe(ctx context.Context) error {
	d.at(9, 20)
	ctx = as(ctx, physician)
	simva, err := d.orders.Draft(ctx, d.medication("312961", "Simvastatin 20 MG Oral Tablet", "1"))
	if err != nil {
		return err
	}
	if simva, err = d.orders.Sign(ctx, simva.ID, ""); err != nil {
		return err
	}
	d.say("%s %s: %s, %d alert(s)", simva.ID, simva.Medication.Medication.Display, simva.Status, len(simva.Alerts))

	clari, err := d.orders.Draft(ctx, d.medication("197517", "Clarithromycin 500 MG Oral Tablet", "2"))
	if err != nil {
		return err
	}
	d.say("%s %s: %s", clari.ID, clari.Medication.Medication.Display, clari.Status)
	d.alerts(clari.Alerts)
	_, err = d.orders.Sign(ctx, clari.ID, "")
	d.say("sign without an override: %s", verdict(err))
	if clari, err = d.orders.Sign(ctx, clari.ID, "Short course; simvastatin held for 7 days"); err != nil {
		return err
	}
	d.say("sign with an override reason: %s, override by %s of %s", clari.Status, clari.Override.By, strings.Join(clari.Override.Rules, ", "))

	amox, err := d.orders.Draft(ctx, d.medication("308191", "Amoxicillin 500 MG Oral Capsule", "3"))
	if err != nil {
		return err
	}
	d.say("%s %s: %s", amox.ID, amox.Medication.Medication.Display, amox.Status)
	d.alerts(amox.Alerts)
	return nil
}

// alerts prints the interruptive alerts of an order.
func (d *day) alerts(alerts []rx.Alert) {
	for _, a := range alerts {
		if a.Interruptive {
			d.say("  ALERT %s %s (%s): %s", a.Kind, a.Severity, a.Rule, a.Message)
		}
	}
}

// nurseRefused: a nurse may not sign a note, nor sign or override an order.
func (d *day) nurseRefused(ctx context.Context) error {
	d.at(9, 30)
	draft, err := d.clin.CreateNote(as(ctx, physician), d.progressNote("Patient education on statin side effects."))
	if err != nil {
		return err
	}
	ctx = as(ctx, nurse)
	_, err = d.clin.SignNote(ctx, draft.ID)
	d.say("nurse signs note %s: %s", draft.ID, verdict(err))
	if !errors.Is(err, ehrkit.ErrPermission) {
		return fmt.Errorf("a nurse signed a note: %v", err)
	}
	drafts, err := d.orders.Orders(ctx, d.jose, rx.Draft)
	if err != nil {
		return err
	}
	_, err = d.orders.Sign(ctx, drafts[0].ID, "I think it is fine")
	d.say("nurse signs %s with an override: %s", drafts[0].ID, verdict(err))
	if !errors.Is(err, ehrkit.ErrPermission) {
		return fmt.Errorf("a nurse signed an order: %v", err)
	}
	return nil
}

// pharmacy is an in-memory pharmacy that accepts every prescription once.
type pharmacy struct {
	received map[string]rx.Ack // by idempotency key
}

// Transmit accepts a prescription, answering a repeated key as the first time.
func (p *pharmacy) Transmit(_ context.Context, pr rx.Prescription) (rx.Ack, error) {
	if ack, ok := p.received[pr.Key]; ok {
		return ack, nil
	}
	ack := rx.Ack{Status: rx.Accepted, Reference: fmt.Sprintf("RX-%04d", len(p.received)+1)}
	p.received[pr.Key] = ack
	return ack, nil
}

// transmit: the dispatcher reads the signed prescriptions from the change feed.
func (d *day) transmit(ctx context.Context) error {
	d.at(9, 40)
	ctx = as(ctx, dispatcher)
	enc, err := fhir.NewPrescriptionEncoder() // the pharmacy takes FHIR R4 MedicationRequests
	if err != nil {
		return err
	}
	dispatch, err := rx.NewDispatcher(d.store, enc, &pharmacy{received: map[string]rx.Ack{}}, rx.WithClock(d.clock))
	if err != nil {
		return err
	}
	for {
		n, err := dispatch.Poll(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	active, err := d.orders.Orders(as(ctx, physician), d.jose, rx.Active)
	if err != nil {
		return err
	}
	for _, o := range active {
		t, err := d.orders.Transmission(ctx, o.ID)
		if err != nil {
			return err
		}
		d.say("%s transmitted: %s, pharmacy reference %s, %d attempt(s)", o.ID, t.Status, t.Reference, t.Attempts)
	}
	return nil
}

// export: José's compartment as a FHIR Patient/$everything bundle.
func (d *day) export(ctx context.Context) error {
	d.at(12, 0)
	x, err := fhir.NewExporter(d.store)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := x.Everything(as(ctx, records), string(d.jose), &buf); err != nil {
		return err
	}
	var bundle struct {
		Entry []struct {
			Resource struct {
				ResourceType string `json:"resourceType"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(buf.Bytes(), &bundle); err != nil {
		return err
	}
	counts := map[string]int{}
	for _, e := range bundle.Entry {
		counts[e.Resource.ResourceType]++
	}
	parts := make([]string, 0, len(counts))
	for _, t := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%s %d", t, counts[t]))
	}
	d.say("Patient/%s/$everything: a Bundle of %d resources", d.jose, len(bundle.Entry))
	d.say("%s", strings.Join(parts, ", "))
	return nil
}

// audit: verify the hash chain, then account for every access to José's record.
func (d *day) audit(ctx context.Context) error {
	d.at(17, 0)
	ctx = as(ctx, privacy)
	if err := d.store.Flush(ctx); err != nil {
		return err
	}
	if err := access.Verify(ctx, d.store); err != nil {
		return err
	}
	head, err := access.ReadHead(ctx, d.store)
	if err != nil {
		return err
	}
	d.say("audit chain verified: %d events, intact", head.Seq)

	// Record accesses, permission decisions and recorded acts are counted
	// apart. An operation's decision (access.Require) and its act
	// (access.Note) carry the same action; the act is the event with an
	// outcome of success that carries a detail (Reason), a decision carries
	// none unless it was denied.
	const (
		accesses = iota
		decisions
		acts
	)
	type tally struct{ total, denied int }
	byActor := map[string]*[3]map[string]*tally{}
	for ev, err := range access.Accounting(ctx, d.store, string(d.jose), start, d.clock.Now()) {
		if err != nil {
			return err
		}
		if byActor[ev.Actor] == nil {
			byActor[ev.Actor] = &[3]map[string]*tally{{}, {}, {}}
		}
		group := accesses
		if strings.Contains(ev.Action, ".") {
			group = decisions
			if ev.Outcome == access.Success && ev.Reason != "" {
				group = acts
			}
		}
		t := byActor[ev.Actor][group][ev.Action]
		if t == nil {
			t = &tally{}
			byActor[ev.Actor][group][ev.Action] = t
		}
		t.total++
		if ev.Outcome == access.Denied {
			t.denied++
		}
	}
	d.say("who accessed %s's record today (record accesses; permission decisions and recorded acts counted apart):", d.jose)
	for _, actor := range slices.Sorted(maps.Keys(byActor)) {
		label := actor
		for group, title := range []string{"", "decisions: ", "acts: "} {
			counts := byActor[actor][group]
			if len(counts) == 0 {
				continue
			}
			var parts []string
			for _, action := range slices.Sorted(maps.Keys(counts)) {
				t := counts[action]
				part := fmt.Sprintf("%s %d", action, t.total)
				if t.denied > 0 {
					part += fmt.Sprintf(" (%d denied)", t.denied)
				}
				parts = append(parts, part)
			}
			d.say("  %-13s %s%s", label, title, strings.Join(parts, ", "))
			label = ""
		}
	}
	return nil
}
