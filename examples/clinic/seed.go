package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/schedule"
	"github.com/ehrkit/ehrkit/storage"
)

// systemCast is the identifier system that marks the demo's cast of
// patients, so the app finds them again in a store it seeded earlier.
const systemCast = "urn:ehrkit:demo-cast"

// cast is the demo patients the pages and the login page refer to.
type cast struct {
	Jose  patient.ID // accented name, on clarithromycin: the order-entry story
	Amara patient.ID
	Other patient.ID // registered at the other site: only break-the-glass reaches her
}

// providers are the clinic's physicians whose schedules the schedule page shows.
var providers = []provider{
	{ID: "prac-weber", Name: "Dr. Lena Weber", User: "dr-weber"},
	{ID: "prac-adeyemi", Name: "Dr. Tunde Adeyemi", User: backupPhysician},
}

// provider is one physician of the clinic.
type provider struct {
	ID   string // Practitioner id, the schedule's actor
	Name string
	User string // the principal id of their login
}

// Ref is the provider as a schedule resource.
func (p provider) Ref() ehrkit.Reference { return ehrkit.Ref(schedule.Practitioner, p.ID) }

// visitTypes are the clinic's appointment types.
var visitTypes = []schedule.AppointmentType{
	{ID: "follow-up", Name: "Follow-up visit", Duration: 20 * time.Minute, BufferAfter: 10 * time.Minute, Requires: []string{schedule.Practitioner}},
	{ID: "new-patient", Name: "New patient visit", Duration: 40 * time.Minute, BufferAfter: 10 * time.Minute, Requires: []string{schedule.Practitioner}},
}

// seeder is the principal that seeds the clinic: an administrator of the
// clinic (so the records carry its facility), acting as Dr. Weber where an
// act needs a practitioner.
func seeder(site string) access.Principal {
	return access.Principal{Kind: access.User, ID: "clinic-seed", Display: "Demo seed", Roles: []string{access.RoleAdministrator},
		Facility: site, Practitioner: "prac-weber"}
}

// open finds the cast in the store, seeding it first when the store is new
// and cfg.Seed is set; a store already seeded has its patients' search terms
// brought up to date (patient.Service.Reindex).
func (a *app) open(ctx context.Context, cfg config, progress io.Writer) error {
	ctx = access.WithPrincipal(ctx, seeder(facility))
	found, err := a.findCast(ctx)
	if err != nil {
		return err
	}
	if found {
		// A store written by an earlier version may lack index terms this
		// one searches on (birth year and month): bring them up to date.
		n, err := a.patients.Reindex(ctx)
		if err != nil {
			return fmt.Errorf("reindex: %w", err)
		}
		if n > 0 {
			fmt.Fprintf(progress, "patient records reindexed: %d\n", n)
		}
	}
	if !found && cfg.Seed {
		if err := a.seed(ctx, cfg.Corpus, progress); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		if _, err := a.findCast(ctx); err != nil {
			return err
		}
	}
	return nil
}

// findCast looks the cast up by their demo identifiers.
func (a *app) findCast(ctx context.Context) (bool, error) {
	for value, dst := range map[string]*patient.ID{"jose": &a.cast.Jose, "amara": &a.cast.Amara, "other": &a.cast.Other} {
		res, err := a.patients.Search(ctx, patient.Query{Identifier: ehrkit.Identifier{System: systemCast, Value: value}, Limit: 1})
		if err != nil {
			return false, err
		}
		if len(res.Patients) == 0 {
			return false, nil
		}
		*dst = res.Patients[0].ID
	}
	return true, nil
}

// bar draws a progress bar on one console line.
type bar struct {
	w     io.Writer
	total int
	done  int
	label string
}

// step advances the bar by n and redraws it with label.
func (b *bar) step(n int, label string) {
	if b.w == nil {
		return
	}
	if b.done == b.total {
		return
	}
	b.done = min(b.done+n, b.total)
	b.label = label
	const width = 30
	filled := width * b.done / max(b.total, 1)
	fmt.Fprintf(b.w, "\rseeding [%s%s] %3d%% %-40.40s", strings.Repeat("#", filled), strings.Repeat(".", width-filled), 100*b.done/max(b.total, 1), label)
	if b.done == b.total {
		fmt.Fprintln(b.w)
	}
}

// seed writes the clinic: staff schedules, the cast with their charts,
// claims, and the Synthea patients of the corpus when it is there.
func (a *app) seed(ctx context.Context, corpus string, progress io.Writer) error {
	files := corpusFiles(corpus)
	b := &bar{w: progress, total: len(castSteps) + len(files)}
	for _, st := range castSteps {
		if err := st.fn(a, ctx); err != nil {
			return fmt.Errorf("%s: %w", st.label, err)
		}
		b.step(1, st.label)
	}
	if len(files) == 0 {
		return nil
	}
	seen := map[string]bool{}
	im := fhir.NewImporter(a.store, fhir.Lenient(), fhir.WithProgress(func(p fhir.Progress) {
		if !seen[p.Source] {
			seen[p.Source] = true
			b.step(1, filepath.Base(p.Source))
		}
	}))
	err := im.ImportPaths(ctx, files...)
	b.step(b.total, "done")
	if err != nil {
		return err
	}
	if rep := im.Report(); len(rep.Failed) > 0 {
		fmt.Fprintf(progress, "seeding: %d corpus resources were not imported (invalid)\n", len(rep.Failed))
	}
	return nil
}

// corpusFiles lists the Synthea Bundles of the corpus, or nothing when the
// corpus is absent.
func corpusFiles(corpus string) []string {
	if corpus == "" {
		return nil
	}
	dir := filepath.Join(corpus, "fhir", "synthea")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

// castSteps seed the built-in clinic, in order.
var castSteps = []struct {
	label string
	fn    func(*app, context.Context) error
}{
	{"schedules", (*app).seedSchedules},
	{"patients", (*app).seedPatients},
	{"charts", (*app).seedCharts},
	{"orders", (*app).seedOrders},
	{"results", (*app).seedResults},
	{"appointments", (*app).seedAppointments},
	{"claims", (*app).seedClaims},
}

func (a *app) seedSchedules(ctx context.Context) error {
	from := ehrkit.NewDate(2026, time.January, 5)
	for _, p := range providers {
		err := a.sched.PutSchedule(ctx, schedule.Schedule{Actor: p.Ref(), TimeZone: "UTC", Availability: []schedule.Availability{
			{Rule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", From: from, Open: "09:00", Close: "12:00"},
			{Rule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", From: from, Open: "13:00", Close: "17:00"},
		}})
		if err != nil {
			return err
		}
	}
	for _, t := range visitTypes {
		if err := a.sched.PutType(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// castMember is one patient of the built-in set.
type castMember struct {
	key  string // demo identifier; "" for patients the pages do not name
	site string
	p    patient.Patient
	dup  bool // registered on purpose beside a likely duplicate
}

func person(given, family string, g patient.Gender, born, phone, city string) patient.Patient {
	p := patient.Patient{Active: true, Names: []ehrkit.HumanName{{Use: "official", Family: family, Given: strings.Fields(given)}},
		Gender: g, BirthDate: ehrkit.MustDate(born), Addresses: []ehrkit.Address{{Line: []string{"12 Harbor St"}, City: city, PostalCode: "02139"}}}
	if phone != "" {
		p.Telecom = []ehrkit.ContactPoint{{System: "phone", Value: phone}}
	}
	return p
}

var castMembers = []castMember{
	{key: "jose", site: facility, p: person("José", "Müller-Lüdenscheidt", patient.GenderMale, "1970-05-01", "+1 555 010 2030", "Boston")},
	{key: "amara", site: facility, p: person("Amara", "Okafor", patient.GenderFemale, "1988-11-23", "+1 555 010 4455", "Cambridge")},
	{site: facility, p: person("Renée", "Lefèvre", patient.GenderFemale, "1962-02-17", "+1 555 010 7788", "Somerville")},
	{site: facility, p: person("Jon", "Smith", patient.GenderMale, "1955-03-14", "+1 555 010 9911", "Boston")},
	{site: facility, p: person("John", "Smith", patient.GenderMale, "1955-03-14", "+1 555 010 9911", "Boston"), dup: true},
	{key: "other", site: otherFacility, p: person("Zoë", "Ferreira-Núñez", patient.GenderFemale, "1979-08-30", "+1 555 020 1234", "Quincy")},
}

func (a *app) seedPatients(ctx context.Context) error {
	for _, m := range castMembers {
		p := m.p
		if m.key != "" {
			p.Identifiers = append(p.Identifiers, ehrkit.Identifier{System: systemCast, Value: m.key})
		}
		var opts []patient.RegisterOption
		if m.dup {
			opts = append(opts, patient.AllowDuplicate())
		}
		got, err := a.patients.Register(access.WithPrincipal(ctx, seeder(m.site)), p, opts...)
		if err != nil {
			return err
		}
		switch m.key {
		case "jose":
			a.cast.Jose = got.ID
		case "amara":
			a.cast.Amara = got.ID
		case "other":
			a.cast.Other = got.ID
		}
	}
	return nil
}

// ago is the time d before now, on the minute.
func (a *app) ago(d time.Duration) time.Time { return a.clock.Now().Add(-d).Truncate(time.Minute) }

const oneDay = 24 * time.Hour

func (a *app) seedCharts(ctx context.Context) error {
	jose := a.cast.Jose
	enc, err := a.clin.OpenEncounter(ctx, clinical.Encounter{Patient: jose, Class: clinical.ClassAmbulatory, Reasons: []ehrkit.CodeableConcept{{Text: "Hypertension and cholesterol follow-up"}}})
	if err != nil {
		return err
	}
	// Fifteen months of visits: weight and blood pressure coming down.
	weights := []string{"88", "86.5", "85", "84", "82.5", "81"}
	systolic := []string{"152", "148", "145", "142", "138", "134"}
	diastolic := []string{"95", "93", "92", "90", "88", "86"}
	height := ehrkit.Qty("172", "cm")
	for i := range weights {
		at := a.ago(time.Duration(len(weights)-1-i) * 90 * oneDay)
		w, s, d := ehrkit.Qty(weights[i], "kg"), ehrkit.Qty(systolic[i], "mm[Hg]"), ehrkit.Qty(diastolic[i], "mm[Hg]")
		v := clinical.Vitals{Weight: &w, Systolic: &s, Diastolic: &d}
		if i == 0 {
			v.Height = &height
		}
		for _, o := range v.Observations(jose, "", at) {
			if _, err := a.clin.RecordObservation(ctx, o); err != nil {
				return err
			}
		}
	}
	for _, c := range []clinical.Condition{
		{Code: ehrkit.Concept(ehrkit.SystemICD10CM, "E78.5", "Hyperlipidemia, unspecified")},
		{Code: ehrkit.Concept(ehrkit.SystemICD10CM, "I10", "Essential (primary) hypertension")},
	} {
		c.Patient, c.Encounter, c.Category = jose, enc.ID, clinical.ConditionProblemListItem
		c.ClinicalStatus, c.VerificationStatus = clinical.ConditionActive, clinical.VerificationConfirmed
		if _, err := a.clin.AddCondition(ctx, c); err != nil {
			return err
		}
	}
	if _, err := a.clin.AddAllergy(ctx, clinical.AllergyIntolerance{Patient: jose, ClinicalStatus: "active", VerificationStatus: "confirmed",
		Categories: []string{"medication"}, Criticality: "high", Code: ehrkit.Concept(ehrkit.SystemRxNorm, "7980", "Penicillin G")}); err != nil {
		return err
	}
	note, err := a.clin.CreateNote(ctx, progressNote(jose, enc.ID, "BP improving on amlodipine. LDL above goal; diet counselling. Sinusitis: clarithromycin for 10 days."))
	if err != nil {
		return err
	}
	if _, err := a.clin.SignNote(ctx, note.ID); err != nil {
		return err
	}
	if _, err := a.clin.CreateNote(ctx, progressNote(jose, enc.ID, "Telephone follow-up: tolerating antibiotic, no rash.")); err != nil {
		return err
	}
	started := a.ago(20 * oneDay)
	return a.store.Update(ctx, func(tx storage.Tx) error {
		_, err := a.clin.SaveImagingStudy(ctx, tx, clinical.ImagingStudy{ID: "img-" + string(jose), Patient: jose, Status: "available",
			UID: "1.2.826.0.1.3680043.8.498.10101", Started: started, Accession: "ACC-2031", Description: "CT sinuses without contrast",
			Modalities: []ehrkit.Coding{{System: clinical.SystemDICOM, Code: "CT", Display: "Computed Tomography"}}, NumberOfSeries: 2, NumberOfInstances: 164})
		return err
	})
}

// progressNote is a draft progress note by Dr. Weber.
func progressNote(p patient.ID, encounter, text string) clinical.Note {
	return clinical.Note{Patient: p, Encounter: encounter, Author: ehrkit.Ref("Practitioner", "prac-weber"),
		Type: ehrkit.Concept(ehrkit.SystemLOINC, clinical.LOINCProgressNote, "Progress note"), Title: "Progress note", Text: text}
}

// medOrder is a medication order of one tablet perDay times a day.
func medOrder(p patient.ID, rxcui, name, perDay string, days int) rx.Order {
	n := decimal.RequireFromString(perDay).Mul(decimal.NewFromInt(int64(days)))
	return rx.Order{Patient: p, Kind: rx.KindMedication, Requester: "prac-weber", Medication: &rx.MedicationDetail{
		Medication: ehrkit.Coding{System: ehrkit.SystemRxNorm, Code: rxcui, Display: name},
		Dose:       ehrkit.Qty("1", "{tbl}"), Route: "oral", FrequencyPerDay: decimal.RequireFromString(perDay), DurationDays: days,
		Quantity: ehrkit.Quantity{Value: n, Unit: "{tbl}"}, SubstitutionAllowed: true,
	}}
}

func (a *app) seedOrders(ctx context.Context) error {
	for _, o := range []rx.Order{
		medOrder(a.cast.Jose, "197361", "Amlodipine 5 MG Oral Tablet", "1", 90),
		medOrder(a.cast.Jose, "197517", "Clarithromycin 500 MG Oral Tablet", "2", 10),
	} {
		d, err := a.orders.Draft(ctx, o)
		if err != nil {
			return err
		}
		if _, err := a.orders.Sign(ctx, d.ID, ""); err != nil {
			return err
		}
	}
	return nil
}

// labReport is a final chemistry report of one or more results.
func labReport(p patient.ID, id string, at time.Time, results ...lab.Result) lab.Report {
	for i := range results {
		results[i].ID = fmt.Sprintf("%s-%d", id, i+1)
		results[i].Status = clinical.ObservationFinal
		results[i].Effective = at
	}
	return lab.Report{ID: id, Patient: p, Status: lab.ReportFinal, Category: []string{"CH"}, Code: ehrkit.Concept(ehrkit.SystemLOINC, "24323-8", "Comprehensive metabolic panel"),
		Effective: at, Issued: at.Add(2 * time.Hour), Requester: "dr-weber", Results: results}
}

// result is one numeric lab result.
func result(loinc, display, value, unit string) lab.Result {
	return lab.Result{Code: ehrkit.Concept(ehrkit.SystemLOINC, loinc, display), Value: clinical.QuantityValue(ehrkit.Qty(value, unit))}
}

func (a *app) seedResults(ctx context.Context) error {
	jose, amara := a.cast.Jose, a.cast.Amara
	reports := []lab.Report{
		labReport(jose, "lab-"+string(jose)+"-1", a.ago(5*oneDay),
			result(lab.LOINCPotassium, "Potassium", "4.2", "mmol/L"), result(lab.LOINCCreatinine, "Creatinine", "1.0", "mg/dL"), result(lab.LOINCGlucose, "Glucose", "104", "mg/dL")),
		// Two days later: potassium critical, and up more than the delta rule allows.
		labReport(jose, "lab-"+string(jose)+"-2", a.ago(3*oneDay),
			result(lab.LOINCPotassium, "Potassium", "6.6", "mmol/L"), result(lab.LOINCCreatinine, "Creatinine", "1.1", "mg/dL"), result(lab.LOINCGlucose, "Glucose", "98", "mg/dL")),
		labReport(amara, "lab-"+string(amara)+"-1", a.ago(2*oneDay),
			result(lab.LOINCGlucose, "Glucose", "182", "mg/dL"), result(lab.LOINCSodium, "Sodium", "139", "mmol/L"), result(lab.LOINCHemoglobin, "Hemoglobin", "12.9", "g/dL")),
	}
	for _, r := range reports {
		if err := a.store.Update(ctx, func(tx storage.Tx) error { _, err := a.labs.SaveReport(ctx, tx, r); return err }); err != nil {
			return err
		}
	}
	return nil
}

func (a *app) seedAppointments(ctx context.Context) error {
	start := a.clock.Now().Truncate(oneDay)
	for _, p := range []patient.ID{a.cast.Jose, a.cast.Amara} {
		slots, err := a.sched.FreeSlots(ctx, schedule.SlotQuery{Type: "follow-up", Resources: []ehrkit.Reference{providers[0].Ref()}, Start: start.Add(oneDay), End: start.Add(8 * oneDay)})
		if err != nil {
			return err
		}
		if len(slots) == 0 {
			return errors.New("no free slots to seed")
		}
		if _, err := a.sched.Book(ctx, schedule.BookRequest{Type: "follow-up", Patient: p, Resources: []ehrkit.Reference{providers[0].Ref()}, Start: slots[0].Start}); err != nil {
			return err
		}
	}
	return nil
}

// The billing identity of the clinic and its payers.
const (
	billingNPI   = "1234567893"
	renderingNPI = "1245319599"
	taxID        = "123456789"
)

// payers are the demo payers by payer id.
var payers = map[string]string{"ACME01": "Acme Health", "BLUE02": "Bluewater Mutual", "MEDI03": "Medicare Part B"}

func usd(s string) billing.Money {
	m, err := billing.ParseMoney(s, "USD")
	if err != nil {
		panic(err) // the seed's amounts are constants
	}
	return m
}

func (a *app) seedClaims(ctx context.Context) error {
	type seedClaim struct {
		p       patient.ID
		payer   string
		daysAgo int
		code    string
		fee     string
		to      []billing.ClaimStatus
		paid    string
		dx      string
	}
	claims := []seedClaim{
		{a.cast.Jose, "ACME01", 12, "99214", "165.00", []billing.ClaimStatus{billing.ClaimValidated}, "", "E78.5"},
		{a.cast.Jose, "ACME01", 45, "99213", "120.00", []billing.ClaimStatus{billing.ClaimValidated, billing.ClaimSubmitted, billing.ClaimAccepted}, "96.00", "I10"},
		{a.cast.Amara, "BLUE02", 75, "99203", "150.00", []billing.ClaimStatus{billing.ClaimValidated, billing.ClaimSubmitted, billing.ClaimAccepted}, "", "E11.9"},
		{a.cast.Amara, "BLUE02", 120, "99213", "120.00", []billing.ClaimStatus{billing.ClaimValidated, billing.ClaimSubmitted, billing.ClaimAccepted, billing.ClaimDenied}, "", "E11.9"},
		{a.cast.Jose, "MEDI03", 30, "80053", "48.00", nil, "", "I10"},
	}
	for i, c := range claims {
		at := a.ago(time.Duration(c.daysAgo) * oneDay)
		cl := billing.Claim{Patient: string(c.p), Status: billing.ClaimDraft, Currency: "USD", Payer: c.payer, MemberID: fmt.Sprintf("M%05d", 100+i),
			BillingNPI: billingNPI, BillingTaxID: taxID, RenderingNPI: renderingNPI, PlaceOfService: "11",
			Diagnoses: []ehrkit.Coding{{System: ehrkit.SystemICD10CM, Code: c.dx}},
			Charges:   []billing.Charge{{Procedure: ehrkit.Coding{System: ehrkit.SystemCPT, Code: c.code}, Units: decimal.NewFromInt(1), UnitFee: usd(c.fee), DiagnosisPointers: []int{1}, ServiceDate: at}}}
		if c.to == nil {
			// A claim the scrubber will stop: the payer wants a referring
			// provider and the claim names none.
			cl.ReferralRequired = true
		}
		got, err := a.bill.CreateClaim(ctx, cl)
		if err != nil {
			return err
		}
		for _, to := range c.to {
			if to == billing.ClaimValidated {
				_, err = a.bill.Validate(ctx, got.ID)
			} else {
				_, err = a.bill.Transition(ctx, got.ID, to)
			}
			if err != nil {
				return err
			}
		}
		if c.paid != "" {
			pay := billing.Payment{Reference: fmt.Sprintf("EFT%06d", 7000+i), Payer: c.payer, Amount: usd(c.paid), Posted: a.ago(time.Duration(c.daysAgo-20) * oneDay),
				Adjustments: []billing.Adjustment{{Group: "CO", Reason: "45", Amount: usd("4.00")}, {Group: billing.PatientResponsibility, Reason: "2", Amount: usd("20.00")}}}
			if _, err := a.bill.PostPayment(ctx, got.ID, pay); err != nil {
				return err
			}
		}
	}
	return nil
}
