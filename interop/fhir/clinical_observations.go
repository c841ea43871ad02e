package fhir

import (
	"fmt"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	algpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/allergy_intolerance_go_proto"
	cppb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/care_plan_go_proto"
	condpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/condition_go_proto"
	encpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/encounter_go_proto"
	immpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/immunization_go_proto"
	obspb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/observation_go_proto"
	procpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/procedure_go_proto"
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

func procedureFrom(f *procpb.Procedure, id string, rs *Refs) (clinical.Procedure, error) {
	p := clinical.Procedure{
		ID: id, Patient: readSubject(f.GetSubject(), rs), Encounter: readEncounter(f.GetEncounter(), rs), Status: codeOf(f.GetStatus()),
		Code: readConcept(f.GetCode()), Reasons: readConcepts(f.GetReasonCode()),
		Performer: each(f.GetPerformer(), func(pf *procpb.Procedure_Performer) ehrkit.Reference { return readRef(pf.GetActor(), rs) }),
		BodySite:  readConcepts(f.GetBodySite()), Outcome: readConcept(f.GetOutcome()), Note: readNote(f.GetNote()),
	}
	if dt := f.GetPerformed().GetDateTime(); dt != nil {
		p.Performed.Start = readDateTime(dt)
		p.Performed.End = p.Performed.Start
	} else {
		p.Performed = readPeriod(f.GetPerformed().GetPeriod())
	}
	return p, nil
}

func procedureTo(p *clinical.Procedure) (*procpb.Procedure, error) {
	var err error
	f := &procpb.Procedure{
		Id: pbID(p.ID), Status: pbCode[*procpb.Procedure_StatusCode](p.Status, &err), Code: pbConcept(p.Code),
		Subject: pbPatientRef(p.Patient), Encounter: pbEncounterRef(p.Encounter),
		Performer: each(p.Performer, func(r ehrkit.Reference) *procpb.Procedure_Performer {
			return &procpb.Procedure_Performer{Actor: pbRef(r)}
		}),
		ReasonCode: pbConcepts(p.Reasons), BodySite: pbConcepts(p.BodySite), Outcome: pbConcept(p.Outcome), Note: pbNotes(p.Note),
	}
	if p.Performed.End.Equal(p.Performed.Start) && !p.Performed.Start.IsZero() {
		f.Performed = &procpb.Procedure_PerformedX{Choice: &procpb.Procedure_PerformedX_DateTime{DateTime: pbDateTime(p.Performed.Start)}}
	} else if per := pbPeriod(p.Performed); per != nil {
		f.Performed = &procpb.Procedure_PerformedX{Choice: &procpb.Procedure_PerformedX_Period{Period: per}}
	}
	return f, err
}

// ---- Immunization

// doseUnknown is the doseNumberString written when the series size is known
// but the dose number is not (FHIR requires a dose number).
const doseUnknown = "unknown"

func immunizationFrom(f *immpb.Immunization, id string, rs *Refs) (clinical.Immunization, error) {
	im := clinical.Immunization{
		ID: id, Patient: readSubject(f.GetPatient(), rs), Encounter: readEncounter(f.GetEncounter(), rs), Status: codeOf(f.GetStatus()),
		StatusReason: readConcept(f.GetStatusReason()), VaccineCode: readConcept(f.GetVaccineCode()),
		PrimarySource: f.GetPrimarySource() == nil || f.GetPrimarySource().GetValue(), LotNumber: f.GetLotNumber().GetValue(),
		Site: readConcept(f.GetSite()), Route: readConcept(f.GetRoute()),
		Performer:  each(f.GetPerformer(), func(pf *immpb.Immunization_Performer) ehrkit.Reference { return readRef(pf.GetActor(), rs) }),
		Occurrence: readDateTime(f.GetOccurrence().GetDateTime()), ExpirationDate: readDate(f.GetExpirationDate()),
	}
	if f.GetDoseQuantity() != nil {
		q, err := readSimpleQuantity(f.GetDoseQuantity())
		if err != nil {
			return im, err
		}
		im.DoseQuantity = &q
	}
	if pa := f.GetProtocolApplied(); len(pa) > 0 {
		im.DoseNumber = int(pa[0].GetDoseNumber().GetPositiveInt().GetValue())
		im.SeriesDoses = int(pa[0].GetSeriesDoses().GetPositiveInt().GetValue())
	}
	return im, nil
}

func immunizationTo(im *clinical.Immunization) (*immpb.Immunization, error) {
	var err error
	f := &immpb.Immunization{
		Id: pbID(im.ID), Status: pbCode[*immpb.Immunization_StatusCode](im.Status, &err), StatusReason: pbConcept(im.StatusReason),
		VaccineCode: pbConcept(im.VaccineCode), Patient: pbPatientRef(im.Patient), Encounter: pbEncounterRef(im.Encounter),
		PrimarySource: pbBool(im.PrimarySource), LotNumber: str(im.LotNumber),
		ExpirationDate: pbDate(im.ExpirationDate), Site: pbConcept(im.Site), Route: pbConcept(im.Route),
		Performer: each(im.Performer, func(r ehrkit.Reference) *immpb.Immunization_Performer {
			return &immpb.Immunization_Performer{Actor: pbRef(r)}
		}),
	}
	if !im.Occurrence.IsZero() {
		f.Occurrence = &immpb.Immunization_OccurrenceX{Choice: &immpb.Immunization_OccurrenceX_DateTime{DateTime: pbDateTime(im.Occurrence)}}
	}
	if im.DoseQuantity != nil {
		f.DoseQuantity = pbSimpleQuantity(*im.DoseQuantity)
	}
	if im.DoseNumber > 0 || im.SeriesDoses > 0 {
		p := &immpb.Immunization_ProtocolApplied{DoseNumber: &immpb.Immunization_ProtocolApplied_DoseNumberX{
			Choice: &immpb.Immunization_ProtocolApplied_DoseNumberX_PositiveInt{PositiveInt: &dtpb.PositiveInt{Value: uint32(im.DoseNumber)}}}}
		if im.DoseNumber == 0 {
			p.DoseNumber.Choice = &immpb.Immunization_ProtocolApplied_DoseNumberX_StringValue{StringValue: str(doseUnknown)}
		}
		if im.SeriesDoses > 0 {
			p.SeriesDoses = &immpb.Immunization_ProtocolApplied_SeriesDosesX{
				Choice: &immpb.Immunization_ProtocolApplied_SeriesDosesX_PositiveInt{PositiveInt: &dtpb.PositiveInt{Value: uint32(im.SeriesDoses)}}}
		}
		f.ProtocolApplied = []*immpb.Immunization_ProtocolApplied{p}
	}
	return f, err
}

// ---- CarePlan

// goalID is the local id of the i-th goal contained in a plan.
func goalID(i int) string { return fmt.Sprintf("goal%d", i+1) }

// pbFragment is the local reference "#id" to a contained resource.
func pbFragment(id string) *dtpb.Reference {
	return &dtpb.Reference{Reference: &dtpb.Reference_Fragment{Fragment: &dtpb.String{Value: id}}}
}

func carePlanFrom(f *cppb.CarePlan, id string, rs *Refs) (clinical.CarePlan, error) {
	cp := clinical.CarePlan{
		ID: id, Patient: readSubject(f.GetSubject(), rs), Encounter: readEncounter(f.GetEncounter(), rs), Status: codeOf(f.GetStatus()),
		Intent: codeOf(f.GetIntent()), Title: f.GetTitle().GetValue(), Categories: readConcepts(f.GetCategory()),
		Addresses: readRefs(f.GetAddresses(), rs), Author: readRef(f.GetAuthor(), rs), Note: readNote(f.GetNote()),
		Period: readPeriod(f.GetPeriod()),
	}
	goals, goalIndex, goalRefs, err := planGoals(f, rs)
	if err != nil {
		return cp, err
	}
	cp.Goals, cp.GoalRefs = goals, goalRefs
	for _, a := range f.GetActivity() {
		d := a.GetDetail()
		if d == nil {
			continue
		}
		act := clinical.Activity{
			Status: codeOf(d.GetStatus()), Kind: codeOf(d.GetKind()), Code: readConcept(d.GetCode()),
			Scheduled: readPeriod(d.GetScheduled().GetPeriod()), Description: d.GetDescription().GetValue(),
		}
		for _, g := range d.GetGoal() {
			if i, ok := goalIndex[referenceString(g)]; ok {
				act.Goals = append(act.Goals, i)
			}
		}
		cp.Activities = append(cp.Activities, act)
	}
	return cp, nil
}

func carePlanTo(cp *clinical.CarePlan) (*cppb.CarePlan, error) {
	var err error
	f := &cppb.CarePlan{
		Id: pbID(cp.ID), Status: pbCode[*cppb.CarePlan_StatusCode](cp.Status, &err), Intent: pbCode[*cppb.CarePlan_IntentCode](cp.Intent, &err),
		Title: str(cp.Title), Category: pbConcepts(cp.Categories), Subject: pbPatientRef(cp.Patient), Encounter: pbEncounterRef(cp.Encounter),
		Period: pbPeriod(cp.Period), Author: pbRef(cp.Author), Addresses: pbRefs(cp.Addresses), Note: pbNotes(cp.Note),
	}
	if f.Contained, f.Goal, err = pbGoals(cp, err); err != nil {
		return nil, err
	}
	for _, a := range cp.Activities {
		d := &cppb.CarePlan_Activity_Detail{
			Kind: pbCode[*cppb.CarePlan_Activity_Detail_KindCode](a.Kind, &err), Code: pbConcept(a.Code),
			Status: pbCode[*cppb.CarePlan_Activity_Detail_StatusCode](a.Status, &err), Description: str(a.Description),
			Goal: each(a.Goals, func(i int) *dtpb.Reference { return pbFragment(goalID(i)) }),
		}
		if p := pbPeriod(a.Scheduled); p != nil {
			d.Scheduled = &cppb.CarePlan_Activity_Detail_ScheduledX{Choice: &cppb.CarePlan_Activity_Detail_ScheduledX_Period{Period: p}}
		}
		f.Activity = append(f.Activity, &cppb.CarePlan_Activity{Detail: d})
	}
	return f, err
}

func init() {
	register(protoTyped[clinical.Encounter, *encpb.Encounter]{view: clinical.EncounterRecords, del: clinicalDelete(clinical.EncounterRecords.Type()), save: via(clinicalSvc, (*clinical.Service).SaveEncounter), from: encounterFrom, to: encounterTo,
		elements: []string{"status", "statusHistory", "class", "type", "subject", "participant", "period", "reasonCode", "diagnosis", "location"}})
	register(protoTyped[clinical.Condition, *condpb.Condition]{view: clinical.ConditionRecords, del: clinicalDelete(clinical.ConditionRecords.Type()), save: via(clinicalSvc, (*clinical.Service).SaveCondition), from: conditionFrom, to: conditionTo,
		elements: []string{"clinicalStatus", "verificationStatus", "category", "severity", "code", "subject", "encounter",
			"onsetDateTime", "abatementDateTime", "recordedDate", "recorder", "note"}})
	register(protoTyped[clinical.AllergyIntolerance, *algpb.AllergyIntolerance]{view: clinical.AllergyRecords, del: clinicalDelete(clinical.AllergyRecords.Type()), save: via(clinicalSvc, (*clinical.Service).SaveAllergy), from: allergyFrom, to: allergyTo,
		elements: []string{"clinicalStatus", "verificationStatus", "type", "category", "criticality", "code", "patient",
			"encounter", "onsetDateTime", "recordedDate", "recorder", "note", "reaction"}})
	register(protoTyped[clinical.Observation, *obspb.Observation]{view: clinical.ObservationRecords, del: clinicalDelete(clinical.ObservationRecords.Type()), save: via(clinicalSvc, (*clinical.Service).SaveObservation), from: observationFrom, to: observationTo,
		elements: []string{"status", "category", "code", "subject", "encounter", "effectiveDateTime", "effectivePeriod",
			"effectiveInstant", "issued", "performer", "dataAbsentReason", "interpretation", "note", "hasMember", "derivedFrom",
			"component", "valueQuantity", "valueCodeableConcept", "valueString", "valueBoolean", "valueRange", "valueDateTime"}})
	register(protoTyped[clinical.Procedure, *procpb.Procedure]{view: clinical.ProcedureRecords, del: clinicalDelete(clinical.ProcedureRecords.Type()), save: via(clinicalSvc, (*clinical.Service).SaveProcedure), from: procedureFrom, to: procedureTo,
		elements: []string{"status", "code", "subject", "encounter", "performedDateTime", "performedPeriod", "performer",
			"reasonCode", "bodySite", "outcome", "note"}})
	register(protoTyped[clinical.Immunization, *immpb.Immunization]{view: clinical.ImmunizationRecords, del: clinicalDelete(clinical.ImmunizationRecords.Type()), save: via(clinicalSvc, (*clinical.Service).SaveImmunization), from: immunizationFrom, to: immunizationTo,
		elements: []string{"status", "statusReason", "vaccineCode", "patient", "encounter", "occurrenceDateTime", "primarySource",
			"lotNumber", "expirationDate", "site", "route", "doseQuantity", "performer", "protocolApplied"}})
	register(protoTyped[clinical.CarePlan, *cppb.CarePlan]{view: clinical.CarePlanRecords, del: clinicalDelete(clinical.CarePlanRecords.Type()), save: via(clinicalSvc, (*clinical.Service).SaveCarePlan), from: carePlanFrom, to: carePlanTo,
		elements: []string{"status", "intent", "title", "category", "subject", "encounter", "period", "author", "addresses",
			"contained", "goal", "activity", "note"}})
}
