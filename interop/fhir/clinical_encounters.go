package fhir

import (
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/patient"
)

// Code systems of the FHIR status and category codes the clinical mappings write.
const (
	tsBase             = "http://terminology.hl7.org/CodeSystem/"
	sysConditionClin   = tsBase + "condition-clinical"
	sysConditionVer    = tsBase + "condition-ver-status"
	sysConditionCat    = tsBase + "condition-category"
	sysAllergyClin     = tsBase + "allergyintolerance-clinical"
	sysAllergyVer      = tsBase + "allergyintolerance-verification"
	sysActCode         = tsBase + "v3-ActCode"
	sysParticipantType = tsBase + "v3-ParticipationType"
	sysDiagnosisRole   = tsBase + "diagnosis-role"
	sysObsCategory     = tsBase + "observation-category"
	sysInterpretation  = tsBase + "v3-ObservationInterpretation"
	sysDataAbsent      = tsBase + "data-absent-reason"
)

// code returns the code of the first coding of c (FHIR status concepts carry one).
func code(c *fConcept) string {
	if c == nil || len(c.Coding) == 0 {
		return ""
	}
	return c.Coding[0].Code
}

// codeIn returns the code of the first coding of c in system, or "".
func codeIn(c *fConcept, system string) string {
	if c == nil {
		return ""
	}
	for _, x := range c.Coding {
		if x.System == system {
			return x.Code
		}
	}
	return ""
}

// coded renders a code of system as a concept, nil for "".
func coded(system, c string) *fConcept {
	if c == "" {
		return nil
	}
	return &fConcept{Coding: []fCoding{{System: system, Code: c}}}
}

type fAnnotation struct {
	Text string `json:"text"`
}

func noteText(ns []fAnnotation) string {
	if len(ns) == 0 {
		return ""
	}
	return ns[0].Text
}

func notes(s string) []fAnnotation {
	if s == "" {
		return nil
	}
	return []fAnnotation{{Text: s}}
}

// dateOf reads a FHIR date or dateTime as a calendar date: the day the
// dateTime falls on in its own zone, or the date at its precision.
func dateOf(s string) (ehrkit.Date, error) {
	if len(s) <= 10 {
		if s == "" {
			return ehrkit.Date{}, nil
		}
		return ehrkit.ParseDate(s)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return ehrkit.Date{}, err
	}
	return ehrkit.DateOf(t), nil
}

func refs(rs []fReference, refs *Refs) []ehrkit.Reference {
	return each(rs, func(r fReference) ehrkit.Reference { return toRef(&r, refs) })
}

func fromRefs(rs []ehrkit.Reference) []fReference {
	return each(rs, func(r ehrkit.Reference) fReference { return *fromRef(r) })
}

// subjectOf resolves a subject or patient reference to the patient id.
func subjectOf(r *fReference, rs *Refs) patient.ID { return patient.ID(toRef(r, rs).ID) }

// encounterOf resolves an encounter reference to the encounter id.
func encounterOf(r *fReference, rs *Refs) string { return toRef(r, rs).ID }

func patientRef(id patient.ID) *fReference {
	return fromRef(ehrkit.Ref(patient.RecordType, string(id)))
}

func encounterRef(id string) *fReference { return idRef(clinical.EncounterType, id) }

// ---- Encounter

type fEncounter struct {
	ResourceType  string                 `json:"resourceType"`
	ID            string                 `json:"id,omitempty"`
	Status        string                 `json:"status"`
	StatusHistory []fEncounterStatus     `json:"statusHistory,omitempty"`
	Class         fCoding                `json:"class"`
	Type          []fConcept             `json:"type,omitempty"`
	Subject       *fReference            `json:"subject,omitempty"`
	Participant   []fEncounterParticipnt `json:"participant,omitempty"`
	Period        *fPeriod               `json:"period,omitempty"`
	ReasonCode    []fConcept             `json:"reasonCode,omitempty"`
	Diagnosis     []fEncounterDiagnosis  `json:"diagnosis,omitempty"`
	Location      []fEncounterLocation   `json:"location,omitempty"`
}

type fEncounterStatus struct {
	Status string   `json:"status"`
	Period *fPeriod `json:"period"`
}

type fEncounterParticipnt struct {
	Type       []fConcept  `json:"type,omitempty"`
	Period     *fPeriod    `json:"period,omitempty"`
	Individual *fReference `json:"individual,omitempty"`
}

type fEncounterDiagnosis struct {
	Condition fReference `json:"condition"`
	Use       *fConcept  `json:"use,omitempty"`
	Rank      int        `json:"rank,omitempty"`
}

type fEncounterLocation struct {
	Location fReference `json:"location"`
}

func encounterFrom(f *fEncounter, id string, rs *Refs) (clinical.Encounter, error) {
	e := clinical.Encounter{
		ID: id, Patient: subjectOf(f.Subject, rs), Status: clinical.EncounterStatus(f.Status),
		Class: clinical.EncounterClass(f.Class.Code), Type: toConcepts(f.Type), Reasons: toConcepts(f.ReasonCode),
	}
	var err error
	if e.Period, err = toPeriod(f.Period); err != nil {
		return e, err
	}
	for _, h := range f.StatusHistory {
		p, err := toPeriod(h.Period)
		if err != nil {
			return e, err
		}
		e.StatusHistory = append(e.StatusHistory, clinical.StatusPeriod{Status: clinical.EncounterStatus(h.Status), Period: p})
	}
	for _, p := range f.Participant {
		per, err := toPeriod(p.Period)
		if err != nil {
			return e, err
		}
		var typ string
		if len(p.Type) > 0 {
			typ = code(&p.Type[0])
		}
		e.Participants = append(e.Participants, clinical.Participant{Type: typ, Individual: toRef(p.Individual, rs), Period: per})
	}
	for _, d := range f.Diagnosis {
		e.Diagnoses = append(e.Diagnoses, clinical.Diagnosis{Condition: toRef(&d.Condition, rs), Use: code(d.Use), Rank: d.Rank})
	}
	if len(f.Location) > 0 {
		e.Location = toRef(&f.Location[0].Location, rs)
	}
	return e, nil
}

func encounterTo(e *clinical.Encounter) (fEncounter, error) {
	f := fEncounter{
		ResourceType: "Encounter", ID: e.ID, Status: string(e.Status), Class: fCoding{System: sysActCode, Code: string(e.Class)},
		Type: fromConcepts(e.Type), Subject: patientRef(e.Patient), Period: fromPeriod(e.Period), ReasonCode: fromConcepts(e.Reasons),
	}
	for _, h := range e.StatusHistory {
		p := fromPeriod(h.Period)
		if p == nil {
			p = &fPeriod{}
		}
		f.StatusHistory = append(f.StatusHistory, fEncounterStatus{Status: string(h.Status), Period: p})
	}
	for _, p := range e.Participants {
		fp := fEncounterParticipnt{Period: fromPeriod(p.Period), Individual: fromRef(p.Individual)}
		if c := coded(sysParticipantType, p.Type); c != nil {
			fp.Type = []fConcept{*c}
		}
		f.Participant = append(f.Participant, fp)
	}
	for _, d := range e.Diagnoses {
		f.Diagnosis = append(f.Diagnosis, fEncounterDiagnosis{Condition: *fromRef(d.Condition), Use: coded(sysDiagnosisRole, d.Use), Rank: d.Rank})
	}
	if !e.Location.IsZero() {
		f.Location = []fEncounterLocation{{Location: *fromRef(e.Location)}}
	}
	return f, nil
}

// ---- Condition

type fCondition struct {
	ResourceType       string        `json:"resourceType"`
	ID                 string        `json:"id,omitempty"`
	ClinicalStatus     *fConcept     `json:"clinicalStatus,omitempty"`
	VerificationStatus *fConcept     `json:"verificationStatus,omitempty"`
	Category           []fConcept    `json:"category,omitempty"`
	Severity           *fConcept     `json:"severity,omitempty"`
	Code               *fConcept     `json:"code,omitempty"`
	Subject            *fReference   `json:"subject,omitempty"`
	Encounter          *fReference   `json:"encounter,omitempty"`
	OnsetDateTime      string        `json:"onsetDateTime,omitempty"`
	AbatementDateTime  string        `json:"abatementDateTime,omitempty"`
	RecordedDate       string        `json:"recordedDate,omitempty"`
	Recorder           *fReference   `json:"recorder,omitempty"`
	Note               []fAnnotation `json:"note,omitempty"`
}

func conditionFrom(f *fCondition, id string, rs *Refs) (clinical.Condition, error) {
	c := clinical.Condition{
		ID: id, Patient: subjectOf(f.Subject, rs), Encounter: encounterOf(f.Encounter, rs),
		ClinicalStatus: code(f.ClinicalStatus), VerificationStatus: code(f.VerificationStatus),
		Severity: toConcept(f.Severity), Code: toConcept(f.Code), Recorder: toRef(f.Recorder, rs), Note: noteText(f.Note),
		Category: clinical.ConditionProblemListItem,
	}
	for i := range f.Category {
		if cat := codeIn(&f.Category[i], sysConditionCat); cat != "" {
			c.Category = cat
			break
		}
	}
	var err error
	if c.Onset, err = dateOf(f.OnsetDateTime); err != nil {
		return c, err
	}
	if c.Abatement, err = dateOf(f.AbatementDateTime); err != nil {
		return c, err
	}
	c.Recorded, err = parseDateTime(f.RecordedDate)
	return c, err
}

func conditionTo(c *clinical.Condition) (fCondition, error) {
	return fCondition{
		ResourceType: "Condition", ID: c.ID,
		ClinicalStatus: coded(sysConditionClin, c.ClinicalStatus), VerificationStatus: coded(sysConditionVer, c.VerificationStatus),
		Category: []fConcept{*coded(sysConditionCat, c.Category)}, Severity: fromConcept(c.Severity), Code: fromConcept(c.Code),
		Subject: patientRef(c.Patient), Encounter: encounterRef(c.Encounter),
		OnsetDateTime: c.Onset.String(), AbatementDateTime: c.Abatement.String(), RecordedDate: formatDateTime(c.Recorded),
		Recorder: fromRef(c.Recorder), Note: notes(c.Note),
	}, nil
}

// ---- AllergyIntolerance

type fAllergy struct {
	ResourceType       string        `json:"resourceType"`
	ID                 string        `json:"id,omitempty"`
	ClinicalStatus     *fConcept     `json:"clinicalStatus,omitempty"`
	VerificationStatus *fConcept     `json:"verificationStatus,omitempty"`
	Type               string        `json:"type,omitempty"`
	Category           []string      `json:"category,omitempty"`
	Criticality        string        `json:"criticality,omitempty"`
	Code               *fConcept     `json:"code,omitempty"`
	Patient            *fReference   `json:"patient,omitempty"`
	Encounter          *fReference   `json:"encounter,omitempty"`
	OnsetDateTime      string        `json:"onsetDateTime,omitempty"`
	RecordedDate       string        `json:"recordedDate,omitempty"`
	Recorder           *fReference   `json:"recorder,omitempty"`
	Note               []fAnnotation `json:"note,omitempty"`
	Reaction           []fReaction   `json:"reaction,omitempty"`
}

type fReaction struct {
	Substance     *fConcept  `json:"substance,omitempty"`
	Manifestation []fConcept `json:"manifestation"`
	Severity      string     `json:"severity,omitempty"`
	Onset         string     `json:"onset,omitempty"`
}

func allergyFrom(f *fAllergy, id string, rs *Refs) (clinical.AllergyIntolerance, error) {
	a := clinical.AllergyIntolerance{
		ID: id, Patient: subjectOf(f.Patient, rs), Encounter: encounterOf(f.Encounter, rs),
		ClinicalStatus: code(f.ClinicalStatus), VerificationStatus: code(f.VerificationStatus),
		Type: f.Type, Categories: f.Category, Criticality: f.Criticality, Code: toConcept(f.Code),
		Recorder: toRef(f.Recorder, rs), Note: noteText(f.Note),
	}
	var err error
	if a.Onset, err = dateOf(f.OnsetDateTime); err != nil {
		return a, err
	}
	if a.Recorded, err = parseDateTime(f.RecordedDate); err != nil {
		return a, err
	}
	for _, r := range f.Reaction {
		onset, err := parseDateTime(r.Onset)
		if err != nil {
			return a, err
		}
		a.Reactions = append(a.Reactions, clinical.Reaction{
			Substance: toConcept(r.Substance), Manifestations: toConcepts(r.Manifestation), Severity: r.Severity, Onset: onset,
		})
	}
	return a, nil
}

func allergyTo(a *clinical.AllergyIntolerance) (fAllergy, error) {
	f := fAllergy{
		ResourceType: "AllergyIntolerance", ID: a.ID,
		ClinicalStatus: coded(sysAllergyClin, a.ClinicalStatus), VerificationStatus: coded(sysAllergyVer, a.VerificationStatus),
		Type: a.Type, Category: a.Categories, Criticality: a.Criticality, Code: fromConcept(a.Code),
		Patient: patientRef(a.Patient), Encounter: encounterRef(a.Encounter), OnsetDateTime: a.Onset.String(),
		RecordedDate: formatDateTime(a.Recorded), Recorder: fromRef(a.Recorder), Note: notes(a.Note),
	}
	for _, r := range a.Reactions {
		f.Reaction = append(f.Reaction, fReaction{
			Substance: fromConcept(r.Substance), Manifestation: fromConcepts(r.Manifestations), Severity: r.Severity, Onset: formatDateTime(r.Onset),
		})
	}
	return f, nil
}
