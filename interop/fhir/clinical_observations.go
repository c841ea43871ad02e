package fhir

import (
	"fmt"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	algpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/allergy_intolerance_go_proto"
	condpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/condition_go_proto"
	encpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/encounter_go_proto"
	obspb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/observation_go_proto"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// pbValueX is the value[x] choice of Observation and of its components
// (observation_go_proto's Observation_ValueX and Observation_Component_ValueX).
type pbValueX interface {
	proto.Message
	GetQuantity() *dtpb.Quantity
	GetCodeableConcept() *dtpb.CodeableConcept
	GetStringValue() *dtpb.String
	GetBoolean() *dtpb.Boolean
	GetRange() *dtpb.Range
	GetDateTime() *dtpb.DateTime
}

func readValue(v pbValueX) (clinical.Value, error) {
	switch {
	case v.GetQuantity() != nil:
		q, err := readQuantity(v.GetQuantity())
		return clinical.QuantityValue(q), err
	case v.GetCodeableConcept() != nil:
		return clinical.CodedValue(readConcept(v.GetCodeableConcept())), nil
	case v.GetStringValue() != nil:
		return clinical.TextValue(v.GetStringValue().GetValue()), nil
	case v.GetBoolean() != nil:
		return clinical.BooleanValue(v.GetBoolean().GetValue()), nil
	case v.GetRange() != nil:
		low, err := readSimpleQuantity(v.GetRange().GetLow())
		if err != nil {
			return clinical.Value{}, err
		}
		high, err := readSimpleQuantity(v.GetRange().GetHigh())
		return clinical.RangeValue(low, high), err
	case v.GetDateTime() != nil:
		return clinical.DateValue(readDateOf(v.GetDateTime())), nil
	}
	return clinical.Value{}, nil
}

// pbValue is the value[x] choice V of v, nil for no value.
func pbValue[V pbValueX](v clinical.Value, err *error) V {
	var zero V
	var choice string
	var val proto.Message
	switch v.Kind {
	case clinical.KindQuantity:
		choice, val = "quantity", pbQuantity(v.Quantity, err)
	case clinical.KindCoded:
		choice, val = "codeable_concept", pbConcept(v.Concept)
	case clinical.KindText:
		choice, val = "string_value", &dtpb.String{Value: v.Text}
	case clinical.KindBoolean:
		choice, val = "boolean", pbBool(v.Boolean)
	case clinical.KindRange:
		choice, val = "range", &dtpb.Range{Low: pbSimpleQuantity(v.Range.Low), High: pbSimpleQuantity(v.Range.High)}
	case clinical.KindDate:
		choice, val = "date_time", pbDateTimeOf(v.Date)
	default:
		return zero
	}
	m := zero.ProtoReflect().Type().New()
	m.Set(m.Descriptor().Fields().ByName(protoreflect.Name(choice)), protoreflect.ValueOfMessage(val.ProtoReflect()))
	return m.Interface().(V)
}

func readInterpretations(cs []*dtpb.CodeableConcept) []string {
	var out []string
	for _, c := range cs {
		if code := readCode(c); code != "" {
			out = append(out, code)
		}
	}
	return out
}

func pbInterpretations(codes []string) []*dtpb.CodeableConcept {
	return each(codes, func(c string) *dtpb.CodeableConcept { return pbCoded(sysInterpretation, c) })
}

// ---- Observation

func observationFrom(f *obspb.Observation, id string, rs *Refs) (clinical.Observation, error) {
	o := clinical.Observation{
		ID: id, Patient: readSubject(f.GetSubject(), rs), Encounter: readEncounter(f.GetEncounter(), rs),
		Status: clinical.ObservationStatus(codeOf(f.GetStatus())), Code: readConcept(f.GetCode()), Performer: readRefs(f.GetPerformer(), rs),
		DataAbsentReason: readCode(f.GetDataAbsentReason()), Interpretation: readInterpretations(f.GetInterpretation()),
		HasMember: readRefs(f.GetHasMember(), rs), DerivedFrom: readRefs(f.GetDerivedFrom(), rs), Note: readNote(f.GetNote()),
		Issued: readInstant(f.GetIssued()),
	}
	for _, c := range f.GetCategory() {
		if code := readCodeIn(c, sysObsCategory); code != "" {
			o.Categories = append(o.Categories, code)
		}
	}
	switch e := f.GetEffective(); {
	case e.GetPeriod() != nil:
		o.Effective = readDateTime(e.GetPeriod().GetStart())
	case e.GetInstant() != nil:
		o.Effective = readInstant(e.GetInstant())
	default:
		o.Effective = readDateTime(e.GetDateTime())
	}
	var err error
	if o.Value, err = readValue(f.GetValue()); err != nil {
		return o, err
	}
	for _, c := range f.GetComponent() {
		v, err := readValue(c.GetValue())
		if err != nil {
			return o, err
		}
		o.Components = append(o.Components, clinical.Component{Code: readConcept(c.GetCode()), Value: v, Interpretation: readInterpretations(c.GetInterpretation())})
	}
	return o, nil
}

func observationTo(o *clinical.Observation) (*obspb.Observation, error) {
	var err error
	f := &obspb.Observation{
		Id: pbID(o.ID), Status: pbCode[*obspb.Observation_StatusCode](string(o.Status), &err), Code: pbConcept(o.Code),
		Subject: pbPatientRef(o.Patient), Encounter: pbEncounterRef(o.Encounter),
		Issued: pbInstant(o.Issued), Performer: pbRefs(o.Performer), DataAbsentReason: pbCoded(sysDataAbsent, o.DataAbsentReason),
		Interpretation: pbInterpretations(o.Interpretation), Note: pbNotes(o.Note), HasMember: pbRefs(o.HasMember),
		DerivedFrom: pbRefs(o.DerivedFrom), Value: pbValue[*obspb.Observation_ValueX](o.Value, &err),
	}
	if !o.Effective.IsZero() {
		f.Effective = &obspb.Observation_EffectiveX{Choice: &obspb.Observation_EffectiveX_DateTime{DateTime: pbDateTime(o.Effective)}}
	}
	for _, c := range o.Categories {
		f.Category = append(f.Category, pbCoded(sysObsCategory, c))
	}
	for _, c := range o.Components {
		f.Component = append(f.Component, &obspb.Observation_Component{Code: pbConcept(c.Code),
			Interpretation: pbInterpretations(c.Interpretation), Value: pbValue[*obspb.Observation_Component_ValueX](c.Value, &err)})
	}
	return f, err
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
	register(protoTyped[clinical.Encounter, *encpb.Encounter]{view: clinical.EncounterRecords, save: via(clinicalSvc, (*clinical.Service).SaveEncounter), from: encounterFrom, to: encounterTo,
		elements: []string{"status", "statusHistory", "class", "type", "subject", "participant", "period", "reasonCode", "diagnosis", "location"}})
	register(protoTyped[clinical.Condition, *condpb.Condition]{view: clinical.ConditionRecords, save: via(clinicalSvc, (*clinical.Service).SaveCondition), from: conditionFrom, to: conditionTo,
		elements: []string{"clinicalStatus", "verificationStatus", "category", "severity", "code", "subject", "encounter",
			"onsetDateTime", "abatementDateTime", "recordedDate", "recorder", "note"}})
	register(protoTyped[clinical.AllergyIntolerance, *algpb.AllergyIntolerance]{view: clinical.AllergyRecords, save: via(clinicalSvc, (*clinical.Service).SaveAllergy), from: allergyFrom, to: allergyTo,
		elements: []string{"clinicalStatus", "verificationStatus", "type", "category", "criticality", "code", "patient",
			"encounter", "onsetDateTime", "recordedDate", "recorder", "note", "reaction"}})
	register(protoTyped[clinical.Observation, *obspb.Observation]{view: clinical.ObservationRecords, save: via(clinicalSvc, (*clinical.Service).SaveObservation), from: observationFrom, to: observationTo,
		elements: []string{"status", "category", "code", "subject", "encounter", "effectiveDateTime", "effectivePeriod",
			"effectiveInstant", "issued", "performer", "dataAbsentReason", "interpretation", "note", "hasMember", "derivedFrom",
			"component", "valueQuantity", "valueCodeableConcept", "valueString", "valueBoolean", "valueRange", "valueDateTime"}})
	register(typed[clinical.Procedure, fProcedure]{view: clinical.ProcedureRecords, save: via(clinicalSvc, (*clinical.Service).SaveProcedure), from: procedureFrom, to: procedureTo,
		elements: []string{"status", "code", "subject", "encounter", "performedDateTime", "performedPeriod", "performer",
			"reasonCode", "bodySite", "outcome", "note"}})
	register(typed[clinical.Immunization, fImmunization]{view: clinical.ImmunizationRecords, save: via(clinicalSvc, (*clinical.Service).SaveImmunization), from: immunizationFrom, to: immunizationTo,
		elements: []string{"status", "statusReason", "vaccineCode", "patient", "encounter", "occurrenceDateTime", "primarySource",
			"lotNumber", "expirationDate", "site", "route", "doseQuantity", "performer", "protocolApplied"}})
	register(typed[clinical.CarePlan, fCarePlan]{view: clinical.CarePlanRecords, save: via(clinicalSvc, (*clinical.Service).SaveCarePlan), from: carePlanFrom, to: carePlanTo,
		elements: []string{"status", "intent", "title", "category", "subject", "encounter", "period", "author", "addresses",
			"contained", "goal", "activity", "note"}})
}
