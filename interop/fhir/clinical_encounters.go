package fhir

import (
	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	algpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/allergy_intolerance_go_proto"
	condpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/condition_go_proto"
	encpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/encounter_go_proto"
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

// ---- Encounter

func encounterFrom(f *encpb.Encounter, id string, rs *Refs) (clinical.Encounter, error) {
	e := clinical.Encounter{
		ID: id, Patient: readSubject(f.GetSubject(), rs), Status: clinical.EncounterStatus(codeOf(f.GetStatus())),
		Class: clinical.EncounterClass(f.GetClassValue().GetCode().GetValue()), Type: readConcepts(f.GetType()),
		Reasons: readConcepts(f.GetReasonCode()), Period: readPeriod(f.GetPeriod()),
	}
	for _, h := range f.GetStatusHistory() {
		e.StatusHistory = append(e.StatusHistory, clinical.StatusPeriod{Status: clinical.EncounterStatus(codeOf(h.GetStatus())), Period: readPeriod(h.GetPeriod())})
	}
	for _, p := range f.GetParticipant() {
		var typ string
		if len(p.GetType()) > 0 {
			typ = readCode(p.GetType()[0])
		}
		e.Participants = append(e.Participants, clinical.Participant{Type: typ, Individual: readRef(p.GetIndividual(), rs), Period: readPeriod(p.GetPeriod())})
	}
	for _, d := range f.GetDiagnosis() {
		e.Diagnoses = append(e.Diagnoses, clinical.Diagnosis{Condition: readRef(d.GetCondition(), rs), Use: readCode(d.GetUse()), Rank: int(d.GetRank().GetValue())})
	}
	if len(f.GetLocation()) > 0 {
		e.Location = readRef(f.GetLocation()[0].GetLocation(), rs)
	}
	return e, nil
}

func encounterTo(e *clinical.Encounter) (*encpb.Encounter, error) {
	var err error
	f := &encpb.Encounter{
		Id: pbID(e.ID), Status: pbCode[*encpb.Encounter_StatusCode](string(e.Status), &err),
		ClassValue: pbCoding(ehrkit.Coding{System: sysActCode, Code: string(e.Class)}),
		Type:       pbConcepts(e.Type), Subject: pbPatientRef(e.Patient), Period: pbPeriod(e.Period), ReasonCode: pbConcepts(e.Reasons),
	}
	for _, h := range e.StatusHistory {
		p := pbPeriod(h.Period)
		if p == nil {
			p = &dtpb.Period{}
		}
		f.StatusHistory = append(f.StatusHistory, &encpb.Encounter_StatusHistory{
			Status: pbCode[*encpb.Encounter_StatusHistory_StatusCode](string(h.Status), &err), Period: p})
	}
	for _, p := range e.Participants {
		fp := &encpb.Encounter_Participant{Period: pbPeriod(p.Period), Individual: pbRef(p.Individual)}
		if c := pbCoded(sysParticipantType, p.Type); c != nil {
			fp.Type = []*dtpb.CodeableConcept{c}
		}
		f.Participant = append(f.Participant, fp)
	}
	for _, d := range e.Diagnoses {
		fd := &encpb.Encounter_Diagnosis{Condition: pbRef(d.Condition), Use: pbCoded(sysDiagnosisRole, d.Use)}
		if d.Rank > 0 {
			fd.Rank = &dtpb.PositiveInt{Value: uint32(d.Rank)}
		}
		f.Diagnosis = append(f.Diagnosis, fd)
	}
	if !e.Location.IsZero() {
		f.Location = []*encpb.Encounter_Location{{Location: pbRef(e.Location)}}
	}
	return f, err
}

// ---- Condition

func conditionFrom(f *condpb.Condition, id string, rs *Refs) (clinical.Condition, error) {
	c := clinical.Condition{
		ID: id, Patient: readSubject(f.GetSubject(), rs), Encounter: readEncounter(f.GetEncounter(), rs),
		ClinicalStatus: readCode(f.GetClinicalStatus()), VerificationStatus: readCode(f.GetVerificationStatus()),
		Severity: readConcept(f.GetSeverity()), Code: readConcept(f.GetCode()), Recorder: readRef(f.GetRecorder(), rs),
		Note: readNote(f.GetNote()), Category: clinical.ConditionProblemListItem,
		Onset: readDateOf(f.GetOnset().GetDateTime()), Abatement: readDateOf(f.GetAbatement().GetDateTime()),
		Recorded: readDateTime(f.GetRecordedDate()),
	}
	for _, cc := range f.GetCategory() {
		if cat := readCodeIn(cc, sysConditionCat); cat != "" {
			c.Category = cat
			break
		}
	}
	return c, nil
}

func conditionTo(c *clinical.Condition) (*condpb.Condition, error) {
	f := &condpb.Condition{
		Id:             pbID(c.ID),
		ClinicalStatus: pbCoded(sysConditionClin, c.ClinicalStatus), VerificationStatus: pbCoded(sysConditionVer, c.VerificationStatus),
		Category: []*dtpb.CodeableConcept{pbCoded(sysConditionCat, c.Category)}, Severity: pbConcept(c.Severity), Code: pbConcept(c.Code),
		Subject: pbPatientRef(c.Patient), Encounter: pbEncounterRef(c.Encounter), RecordedDate: pbDateTime(c.Recorded),
		Recorder: pbRef(c.Recorder), Note: pbNotes(c.Note),
	}
	if d := pbDateTimeOf(c.Onset); d != nil {
		f.Onset = &condpb.Condition_OnsetX{Choice: &condpb.Condition_OnsetX_DateTime{DateTime: d}}
	}
	if d := pbDateTimeOf(c.Abatement); d != nil {
		f.Abatement = &condpb.Condition_AbatementX{Choice: &condpb.Condition_AbatementX_DateTime{DateTime: d}}
	}
	return f, nil
}

// ---- AllergyIntolerance

func allergyFrom(f *algpb.AllergyIntolerance, id string, rs *Refs) (clinical.AllergyIntolerance, error) {
	a := clinical.AllergyIntolerance{
		ID: id, Patient: readSubject(f.GetPatient(), rs), Encounter: readEncounter(f.GetEncounter(), rs),
		ClinicalStatus: readCode(f.GetClinicalStatus()), VerificationStatus: readCode(f.GetVerificationStatus()),
		Type: codeOf(f.GetType()), Categories: each(f.GetCategory(), func(c *algpb.AllergyIntolerance_CategoryCode) string { return codeOf(c) }),
		Criticality: codeOf(f.GetCriticality()), Code: readConcept(f.GetCode()),
		Recorder: readRef(f.GetRecorder(), rs), Note: readNote(f.GetNote()),
		Onset: readDateOf(f.GetOnset().GetDateTime()), Recorded: readDateTime(f.GetRecordedDate()),
	}
	for _, r := range f.GetReaction() {
		a.Reactions = append(a.Reactions, clinical.Reaction{
			Substance: readConcept(r.GetSubstance()), Manifestations: readConcepts(r.GetManifestation()),
			Severity: codeOf(r.GetSeverity()), Onset: readDateTime(r.GetOnset()),
		})
	}
	return a, nil
}

func allergyTo(a *clinical.AllergyIntolerance) (*algpb.AllergyIntolerance, error) {
	var err error
	f := &algpb.AllergyIntolerance{
		Id:             pbID(a.ID),
		ClinicalStatus: pbCoded(sysAllergyClin, a.ClinicalStatus), VerificationStatus: pbCoded(sysAllergyVer, a.VerificationStatus),
		Type: pbCode[*algpb.AllergyIntolerance_TypeCode](a.Type, &err),
		Category: each(a.Categories, func(c string) *algpb.AllergyIntolerance_CategoryCode {
			return pbCode[*algpb.AllergyIntolerance_CategoryCode](c, &err)
		}),
		Criticality: pbCode[*algpb.AllergyIntolerance_CriticalityCode](a.Criticality, &err), Code: pbConcept(a.Code),
		Patient: pbPatientRef(a.Patient), Encounter: pbEncounterRef(a.Encounter),
		RecordedDate: pbDateTime(a.Recorded), Recorder: pbRef(a.Recorder), Note: pbNotes(a.Note),
	}
	if d := pbDateTimeOf(a.Onset); d != nil {
		f.Onset = &algpb.AllergyIntolerance_OnsetX{Choice: &algpb.AllergyIntolerance_OnsetX_DateTime{DateTime: d}}
	}
	for _, r := range a.Reactions {
		f.Reaction = append(f.Reaction, &algpb.AllergyIntolerance_Reaction{
			Substance: pbConcept(r.Substance), Manifestation: pbConcepts(r.Manifestations),
			Severity: pbCode[*algpb.AllergyIntolerance_Reaction_SeverityCode](r.Severity, &err), Onset: pbDateTime(r.Onset),
		})
	}
	return f, err
}
