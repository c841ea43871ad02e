package fhir

import (
	"fmt"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
)

// fValue is the value[x] choice of Observation and its components.
type fValue struct {
	ValueQuantity        *fQuantity `json:"valueQuantity,omitempty"`
	ValueCodeableConcept *fConcept  `json:"valueCodeableConcept,omitempty"`
	ValueString          *string    `json:"valueString,omitempty"`
	ValueBoolean         *bool      `json:"valueBoolean,omitempty"`
	ValueRange           *fRange    `json:"valueRange,omitempty"`
	ValueDateTime        string     `json:"valueDateTime,omitempty"`
}

type fRange struct {
	Low  *fQuantity `json:"low,omitempty"`
	High *fQuantity `json:"high,omitempty"`
}

func (f fValue) value() (clinical.Value, error) {
	switch {
	case f.ValueQuantity != nil:
		q, err := toQuantity(f.ValueQuantity)
		return clinical.QuantityValue(q), err
	case f.ValueCodeableConcept != nil:
		return clinical.CodedValue(toConcept(f.ValueCodeableConcept)), nil
	case f.ValueString != nil:
		return clinical.TextValue(*f.ValueString), nil
	case f.ValueBoolean != nil:
		return clinical.BooleanValue(*f.ValueBoolean), nil
	case f.ValueRange != nil:
		low, err := toQuantity(f.ValueRange.Low)
		if err != nil {
			return clinical.Value{}, err
		}
		high, err := toQuantity(f.ValueRange.High)
		return clinical.RangeValue(low, high), err
	case f.ValueDateTime != "":
		d, err := dateOf(f.ValueDateTime)
		return clinical.DateValue(d), err
	}
	return clinical.Value{}, nil
}

func fromValue(v clinical.Value) fValue {
	var f fValue
	switch v.Kind {
	case clinical.KindQuantity:
		f.ValueQuantity = fromQuantity(v.Quantity)
	case clinical.KindCoded:
		f.ValueCodeableConcept = fromConcept(v.Concept)
	case clinical.KindText:
		f.ValueString = &v.Text
	case clinical.KindBoolean:
		f.ValueBoolean = &v.Boolean
	case clinical.KindRange:
		f.ValueRange = &fRange{Low: fromQuantity(v.Range.Low), High: fromQuantity(v.Range.High)}
	case clinical.KindDate:
		f.ValueDateTime = v.Date.String()
	}
	return f
}

func interpretations(cs []fConcept) []string {
	var out []string
	for i := range cs {
		if c := code(&cs[i]); c != "" {
			out = append(out, c)
		}
	}
	return out
}

func fromInterpretations(codes []string) []fConcept {
	return each(codes, func(c string) fConcept { return *coded(sysInterpretation, c) })
}

// ---- Observation

type fObservation struct {
	ResourceType      string        `json:"resourceType"`
	ID                string        `json:"id,omitempty"`
	Status            string        `json:"status"`
	Category          []fConcept    `json:"category,omitempty"`
	Code              *fConcept     `json:"code"`
	Subject           *fReference   `json:"subject,omitempty"`
	Encounter         *fReference   `json:"encounter,omitempty"`
	EffectiveDateTime string        `json:"effectiveDateTime,omitempty"`
	EffectivePeriod   *fPeriod      `json:"effectivePeriod,omitempty"`
	EffectiveInstant  string        `json:"effectiveInstant,omitempty"`
	Issued            string        `json:"issued,omitempty"`
	Performer         []fReference  `json:"performer,omitempty"`
	DataAbsentReason  *fConcept     `json:"dataAbsentReason,omitempty"`
	Interpretation    []fConcept    `json:"interpretation,omitempty"`
	Note              []fAnnotation `json:"note,omitempty"`
	HasMember         []fReference  `json:"hasMember,omitempty"`
	DerivedFrom       []fReference  `json:"derivedFrom,omitempty"`
	Component         []fComponent  `json:"component,omitempty"`
	fValue
}

type fComponent struct {
	Code           *fConcept  `json:"code"`
	Interpretation []fConcept `json:"interpretation,omitempty"`
	fValue
}

func observationFrom(f *fObservation, id string, rs *Refs) (clinical.Observation, error) {
	o := clinical.Observation{
		ID: id, Patient: subjectOf(f.Subject, rs), Encounter: encounterOf(f.Encounter, rs),
		Status: clinical.ObservationStatus(f.Status), Code: toConcept(f.Code), Performer: refs(f.Performer, rs),
		DataAbsentReason: code(f.DataAbsentReason), Interpretation: interpretations(f.Interpretation),
		HasMember: refs(f.HasMember, rs), DerivedFrom: refs(f.DerivedFrom, rs), Note: noteText(f.Note),
	}
	for i := range f.Category {
		if c := codeIn(&f.Category[i], sysObsCategory); c != "" {
			o.Categories = append(o.Categories, c)
		}
	}
	effective := f.EffectiveDateTime
	if f.EffectivePeriod != nil {
		effective = f.EffectivePeriod.Start
	}
	if f.EffectiveInstant != "" {
		effective = f.EffectiveInstant
	}
	var err error
	if o.Effective, err = parseDateTime(effective); err != nil {
		return o, err
	}
	if o.Issued, err = parseDateTime(f.Issued); err != nil {
		return o, err
	}
	if o.Value, err = f.value(); err != nil {
		return o, err
	}
	for _, c := range f.Component {
		v, err := c.value()
		if err != nil {
			return o, err
		}
		o.Components = append(o.Components, clinical.Component{Code: toConcept(c.Code), Value: v, Interpretation: interpretations(c.Interpretation)})
	}
	return o, nil
}

func observationTo(o *clinical.Observation) (fObservation, error) {
	f := fObservation{
		ResourceType: "Observation", ID: o.ID, Status: string(o.Status), Code: fromConcept(o.Code),
		Subject: patientRef(o.Patient), Encounter: encounterRef(o.Encounter), EffectiveDateTime: formatDateTime(o.Effective),
		Issued: formatDateTime(o.Issued), Performer: fromRefs(o.Performer), DataAbsentReason: coded(sysDataAbsent, o.DataAbsentReason),
		Interpretation: fromInterpretations(o.Interpretation), Note: notes(o.Note), HasMember: fromRefs(o.HasMember),
		DerivedFrom: fromRefs(o.DerivedFrom), fValue: fromValue(o.Value),
	}
	for _, c := range o.Categories {
		f.Category = append(f.Category, *coded(sysObsCategory, c))
	}
	for _, c := range o.Components {
		f.Component = append(f.Component, fComponent{Code: fromConcept(c.Code), Interpretation: fromInterpretations(c.Interpretation), fValue: fromValue(c.Value)})
	}
	return f, nil
}

// ---- Procedure

type fPerformer struct {
	Actor fReference `json:"actor"`
}

func performers(ps []fPerformer, rs *Refs) []ehrkit.Reference {
	return each(ps, func(p fPerformer) ehrkit.Reference { return toRef(&p.Actor, rs) })
}

func fromPerformers(rs []ehrkit.Reference) []fPerformer {
	return each(rs, func(r ehrkit.Reference) fPerformer { return fPerformer{Actor: *fromRef(r)} })
}

type fProcedure struct {
	ResourceType      string        `json:"resourceType"`
	ID                string        `json:"id,omitempty"`
	Status            string        `json:"status"`
	Code              *fConcept     `json:"code,omitempty"`
	Subject           *fReference   `json:"subject,omitempty"`
	Encounter         *fReference   `json:"encounter,omitempty"`
	PerformedDateTime string        `json:"performedDateTime,omitempty"`
	PerformedPeriod   *fPeriod      `json:"performedPeriod,omitempty"`
	Performer         []fPerformer  `json:"performer,omitempty"`
	ReasonCode        []fConcept    `json:"reasonCode,omitempty"`
	BodySite          []fConcept    `json:"bodySite,omitempty"`
	Outcome           *fConcept     `json:"outcome,omitempty"`
	Note              []fAnnotation `json:"note,omitempty"`
}

func procedureFrom(f *fProcedure, id string, rs *Refs) (clinical.Procedure, error) {
	p := clinical.Procedure{
		ID: id, Patient: subjectOf(f.Subject, rs), Encounter: encounterOf(f.Encounter, rs), Status: f.Status,
		Code: toConcept(f.Code), Performer: performers(f.Performer, rs), Reasons: toConcepts(f.ReasonCode),
		BodySite: toConcepts(f.BodySite), Outcome: toConcept(f.Outcome), Note: noteText(f.Note),
	}
	var err error
	if f.PerformedDateTime != "" {
		p.Performed.Start, err = parseDateTime(f.PerformedDateTime)
		p.Performed.End = p.Performed.Start
	} else {
		p.Performed, err = toPeriod(f.PerformedPeriod)
	}
	return p, err
}

func procedureTo(p *clinical.Procedure) (fProcedure, error) {
	f := fProcedure{
		ResourceType: "Procedure", ID: p.ID, Status: p.Status, Code: fromConcept(p.Code), Subject: patientRef(p.Patient),
		Encounter: encounterRef(p.Encounter), Performer: fromPerformers(p.Performer), ReasonCode: fromConcepts(p.Reasons),
		BodySite: fromConcepts(p.BodySite), Outcome: fromConcept(p.Outcome), Note: notes(p.Note),
	}
	if p.Performed.End.Equal(p.Performed.Start) && !p.Performed.Start.IsZero() {
		f.PerformedDateTime = formatDateTime(p.Performed.Start)
	} else {
		f.PerformedPeriod = fromPeriod(p.Performed)
	}
	return f, nil
}

// ---- Immunization

type fImmunization struct {
	ResourceType       string         `json:"resourceType"`
	ID                 string         `json:"id,omitempty"`
	Status             string         `json:"status"`
	StatusReason       *fConcept      `json:"statusReason,omitempty"`
	VaccineCode        *fConcept      `json:"vaccineCode"`
	Patient            *fReference    `json:"patient"`
	Encounter          *fReference    `json:"encounter,omitempty"`
	OccurrenceDateTime string         `json:"occurrenceDateTime,omitempty"`
	PrimarySource      *bool          `json:"primarySource,omitempty"`
	LotNumber          string         `json:"lotNumber,omitempty"`
	ExpirationDate     string         `json:"expirationDate,omitempty"`
	Site               *fConcept      `json:"site,omitempty"`
	Route              *fConcept      `json:"route,omitempty"`
	DoseQuantity       *fQuantity     `json:"doseQuantity,omitempty"`
	Performer          []fPerformer   `json:"performer,omitempty"`
	ProtocolApplied    []fImmProtocol `json:"protocolApplied,omitempty"`
}

type fImmProtocol struct {
	DoseNumberPositiveInt  int    `json:"doseNumberPositiveInt,omitempty"`
	DoseNumberString       string `json:"doseNumberString,omitempty"`
	SeriesDosesPositiveInt int    `json:"seriesDosesPositiveInt,omitempty"`
}

// doseUnknown is the doseNumberString written when the series size is known
// but the dose number is not (FHIR requires a dose number).
const doseUnknown = "unknown"

func immunizationFrom(f *fImmunization, id string, rs *Refs) (clinical.Immunization, error) {
	im := clinical.Immunization{
		ID: id, Patient: subjectOf(f.Patient, rs), Encounter: encounterOf(f.Encounter, rs), Status: f.Status,
		StatusReason: toConcept(f.StatusReason), VaccineCode: toConcept(f.VaccineCode),
		PrimarySource: f.PrimarySource == nil || *f.PrimarySource, LotNumber: f.LotNumber,
		Site: toConcept(f.Site), Route: toConcept(f.Route), Performer: performers(f.Performer, rs),
	}
	var err error
	if im.Occurrence, err = parseDateTime(f.OccurrenceDateTime); err != nil {
		return im, err
	}
	if im.ExpirationDate, err = dateOf(f.ExpirationDate); err != nil {
		return im, err
	}
	if f.DoseQuantity != nil {
		q, err := toQuantity(f.DoseQuantity)
		if err != nil {
			return im, err
		}
		im.DoseQuantity = &q
	}
	if len(f.ProtocolApplied) > 0 {
		im.DoseNumber, im.SeriesDoses = f.ProtocolApplied[0].DoseNumberPositiveInt, f.ProtocolApplied[0].SeriesDosesPositiveInt
	}
	return im, nil
}

func immunizationTo(im *clinical.Immunization) (fImmunization, error) {
	primary := im.PrimarySource
	f := fImmunization{
		ResourceType: "Immunization", ID: im.ID, Status: im.Status, StatusReason: fromConcept(im.StatusReason),
		VaccineCode: fromConcept(im.VaccineCode), Patient: patientRef(im.Patient), Encounter: encounterRef(im.Encounter),
		OccurrenceDateTime: formatDateTime(im.Occurrence), PrimarySource: &primary, LotNumber: im.LotNumber,
		ExpirationDate: im.ExpirationDate.String(), Site: fromConcept(im.Site), Route: fromConcept(im.Route),
		Performer: fromPerformers(im.Performer),
	}
	if im.DoseQuantity != nil {
		f.DoseQuantity = fromQuantity(*im.DoseQuantity)
	}
	if im.DoseNumber > 0 || im.SeriesDoses > 0 {
		p := fImmProtocol{DoseNumberPositiveInt: im.DoseNumber, SeriesDosesPositiveInt: im.SeriesDoses}
		if im.DoseNumber == 0 {
			p.DoseNumberString = doseUnknown
		}
		f.ProtocolApplied = []fImmProtocol{p}
	}
	return f, nil
}

// ---- CarePlan

type fCarePlan struct {
	ResourceType string          `json:"resourceType"`
	ID           string          `json:"id,omitempty"`
	Status       string          `json:"status"`
	Intent       string          `json:"intent"`
	Title        string          `json:"title,omitempty"`
	Category     []fConcept      `json:"category,omitempty"`
	Subject      *fReference     `json:"subject"`
	Encounter    *fReference     `json:"encounter,omitempty"`
	Period       *fPeriod        `json:"period,omitempty"`
	Author       *fReference     `json:"author,omitempty"`
	Addresses    []fReference    `json:"addresses,omitempty"`
	Contained    []fGoal         `json:"contained,omitempty"`
	Goal         []fReference    `json:"goal,omitempty"`
	Activity     []fPlanActivity `json:"activity,omitempty"`
	Note         []fAnnotation   `json:"note,omitempty"`
}

type fPlanActivity struct {
	Detail *fPlanDetail `json:"detail,omitempty"`
}

type fPlanDetail struct {
	Kind            string       `json:"kind,omitempty"`
	Code            *fConcept    `json:"code,omitempty"`
	Status          string       `json:"status"`
	ScheduledPeriod *fPeriod     `json:"scheduledPeriod,omitempty"`
	Description     string       `json:"description,omitempty"`
	Goal            []fReference `json:"goal,omitempty"`
}

// goalID is the local id of the i-th goal contained in a plan.
func goalID(i int) string { return fmt.Sprintf("goal%d", i+1) }

func carePlanFrom(f *fCarePlan, id string, rs *Refs) (clinical.CarePlan, error) {
	cp := clinical.CarePlan{
		ID: id, Patient: subjectOf(f.Subject, rs), Encounter: encounterOf(f.Encounter, rs), Status: f.Status, Intent: f.Intent,
		Title: f.Title, Categories: toConcepts(f.Category), Addresses: refs(f.Addresses, rs), Author: toRef(f.Author, rs),
		Note: noteText(f.Note),
	}
	var err error
	if cp.Period, err = toPeriod(f.Period); err != nil {
		return cp, err
	}
	goals, goalIndex, goalRefs, err := planGoals(f, rs)
	if err != nil {
		return cp, err
	}
	cp.Goals, cp.GoalRefs = goals, goalRefs
	for _, a := range f.Activity {
		if a.Detail == nil {
			continue
		}
		sched, err := toPeriod(a.Detail.ScheduledPeriod)
		if err != nil {
			return cp, err
		}
		act := clinical.Activity{
			Status: a.Detail.Status, Kind: a.Detail.Kind, Code: toConcept(a.Detail.Code), Scheduled: sched, Description: a.Detail.Description,
		}
		for _, g := range a.Detail.Goal {
			if i, ok := goalIndex[g.Reference]; ok {
				act.Goals = append(act.Goals, i)
			}
		}
		cp.Activities = append(cp.Activities, act)
	}
	return cp, nil
}

func carePlanTo(cp *clinical.CarePlan) (fCarePlan, error) {
	f := fCarePlan{
		ResourceType: "CarePlan", ID: cp.ID, Status: cp.Status, Intent: cp.Intent, Title: cp.Title,
		Category: fromConcepts(cp.Categories), Subject: patientRef(cp.Patient), Encounter: encounterRef(cp.Encounter),
		Period: fromPeriod(cp.Period), Author: fromRef(cp.Author), Addresses: fromRefs(cp.Addresses), Note: notes(cp.Note),
	}
	f.Contained, f.Goal = fromGoals(cp)
	for _, a := range cp.Activities {
		f.Activity = append(f.Activity, fPlanActivity{Detail: &fPlanDetail{
			Kind: a.Kind, Code: fromConcept(a.Code), Status: a.Status, ScheduledPeriod: fromPeriod(a.Scheduled), Description: a.Description,
			Goal: each(a.Goals, func(i int) fReference { return fReference{Reference: "#" + goalID(i)} }),
		}})
	}
	return f, nil
}

func init() {
	register(typed[clinical.Encounter, fEncounter]{view: clinical.EncounterRecords, del: clinicalDelete(clinical.EncounterRecords.Type()), save: via(clinicalSvc, (*clinical.Service).SaveEncounter), from: encounterFrom, to: encounterTo,
		elements: []string{"status", "statusHistory", "class", "type", "subject", "participant", "period", "reasonCode", "diagnosis", "location"}})
	register(typed[clinical.Condition, fCondition]{view: clinical.ConditionRecords, del: clinicalDelete(clinical.ConditionRecords.Type()), save: via(clinicalSvc, (*clinical.Service).SaveCondition), from: conditionFrom, to: conditionTo,
		elements: []string{"clinicalStatus", "verificationStatus", "category", "severity", "code", "subject", "encounter",
			"onsetDateTime", "abatementDateTime", "recordedDate", "recorder", "note"}})
	register(typed[clinical.AllergyIntolerance, fAllergy]{view: clinical.AllergyRecords, del: clinicalDelete(clinical.AllergyRecords.Type()), save: via(clinicalSvc, (*clinical.Service).SaveAllergy), from: allergyFrom, to: allergyTo,
		elements: []string{"clinicalStatus", "verificationStatus", "type", "category", "criticality", "code", "patient",
			"encounter", "onsetDateTime", "recordedDate", "recorder", "note", "reaction"}})
	register(typed[clinical.Observation, fObservation]{view: clinical.ObservationRecords, del: clinicalDelete(clinical.ObservationRecords.Type()), save: via(clinicalSvc, (*clinical.Service).SaveObservation), from: observationFrom, to: observationTo,
		elements: []string{"status", "category", "code", "subject", "encounter", "effectiveDateTime", "effectivePeriod",
			"effectiveInstant", "issued", "performer", "dataAbsentReason", "interpretation", "note", "hasMember", "derivedFrom",
			"component", "valueQuantity", "valueCodeableConcept", "valueString", "valueBoolean", "valueRange", "valueDateTime"}})
	register(typed[clinical.Procedure, fProcedure]{view: clinical.ProcedureRecords, del: clinicalDelete(clinical.ProcedureRecords.Type()), save: via(clinicalSvc, (*clinical.Service).SaveProcedure), from: procedureFrom, to: procedureTo,
		elements: []string{"status", "code", "subject", "encounter", "performedDateTime", "performedPeriod", "performer",
			"reasonCode", "bodySite", "outcome", "note"}})
	register(typed[clinical.Immunization, fImmunization]{view: clinical.ImmunizationRecords, del: clinicalDelete(clinical.ImmunizationRecords.Type()), save: via(clinicalSvc, (*clinical.Service).SaveImmunization), from: immunizationFrom, to: immunizationTo,
		elements: []string{"status", "statusReason", "vaccineCode", "patient", "encounter", "occurrenceDateTime", "primarySource",
			"lotNumber", "expirationDate", "site", "route", "doseQuantity", "performer", "protocolApplied"}})
	register(typed[clinical.CarePlan, fCarePlan]{view: clinical.CarePlanRecords, del: clinicalDelete(clinical.CarePlanRecords.Type()), save: via(clinicalSvc, (*clinical.Service).SaveCarePlan), from: carePlanFrom, to: carePlanTo,
		elements: []string{"status", "intent", "title", "category", "subject", "encounter", "period", "author", "addresses",
			"contained", "goal", "activity", "note"}})
}
