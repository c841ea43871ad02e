package clinical_test

import (
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCanTransition(t *testing.T) {
	statuses := []clinical.EncounterStatus{
		clinical.EncounterPlanned, clinical.EncounterArrived, clinical.EncounterTriaged, clinical.EncounterInProgress,
		clinical.EncounterOnLeave, clinical.EncounterFinished, clinical.EncounterCancelled, clinical.EncounterEnteredInError,
	}
	allowed := map[[2]clinical.EncounterStatus]bool{}
	for _, p := range [][2]clinical.EncounterStatus{
		{"planned", "arrived"}, {"planned", "triaged"}, {"planned", "in-progress"}, {"planned", "cancelled"},
		{"arrived", "triaged"}, {"arrived", "in-progress"}, {"arrived", "cancelled"},
		{"triaged", "in-progress"}, {"triaged", "cancelled"},
		{"in-progress", "onleave"}, {"in-progress", "finished"},
		{"onleave", "in-progress"}, {"onleave", "finished"},
	} {
		allowed[p] = true
	}
	for _, from := range statuses {
		for _, to := range statuses {
			want := allowed[[2]clinical.EncounterStatus{from, to}] || (to == clinical.EncounterEnteredInError && from != to)
			assert.Equal(t, want, clinical.CanTransition(from, to), "%s -> %s", from, to)
		}
	}
}

func TestEncounterTransition(t *testing.T) {
	e := clinical.Encounter{ID: "e1", Patient: "p1", Status: clinical.EncounterArrived, Class: clinical.ClassAmbulatory}
	require.NoError(t, e.Transition(clinical.EncounterInProgress, fixed))
	require.NoError(t, e.Transition(clinical.EncounterFinished, fixed.Add(time.Hour)))
	assert.Equal(t, ehrkit.Period{Start: fixed, End: fixed.Add(time.Hour)}, e.Period)
	require.Len(t, e.StatusHistory, 2)
	assert.Equal(t, clinical.EncounterArrived, e.StatusHistory[0].Status)
	assert.Equal(t, clinical.StatusPeriod{Status: clinical.EncounterInProgress, Period: ehrkit.Period{Start: fixed, End: fixed.Add(time.Hour)}}, e.StatusHistory[1])

	err := e.Transition(clinical.EncounterInProgress, fixed.Add(2*time.Hour))
	assert.ErrorIs(t, err, ehrkit.ErrFailedPrecondition)
	assert.Equal(t, clinical.EncounterFinished, e.Status, "a refused transition changes nothing")
	assert.Len(t, e.StatusHistory, 2)
}

func TestEncounterValidate(t *testing.T) {
	e := clinical.Encounter{
		Status: "open", Class: "OUTPATIENT",
		Participants: []clinical.Participant{{Type: "ATND"}},
		Period:       ehrkit.Period{Start: fixed, End: fixed.Add(-time.Minute)},
		Reasons:      []ehrkit.CodeableConcept{ehrkit.Concept(ehrkit.SystemICD10CM, "J0X.9", "")},
		Diagnoses:    []clinical.Diagnosis{{Condition: ehrkit.Ref("Observation", "o1"), Rank: -1}},
	}
	assert.ElementsMatch(t, []string{
		"patient required", "status code-invalid", "class code-invalid", "participants[0].individual required",
		"period.end invariant", "reasons[0].coding[0].code code-invalid", "diagnoses[0].condition required", "diagnoses[0].rank value",
	}, issues(t, e.Validate()))
}

func TestConditionValidate(t *testing.T) {
	ok := clinical.Condition{Patient: "p1", Category: clinical.ConditionProblemListItem, ClinicalStatus: clinical.ConditionActive,
		VerificationStatus: clinical.VerificationConfirmed, Code: ehrkit.Concept(ehrkit.SystemICD10CM, "E11.9", "Type 2 diabetes mellitus without complications"),
		Onset: ehrkit.MustDate("2019-04")}
	require.NoError(t, ok.Validate())
	assert.True(t, ok.IsActive())

	validateCases(t, ok, []validateCase[clinical.Condition]{
		{"malformed ICD-10-CM and SNOMED CT", func(c *clinical.Condition) {
			c.Code = ehrkit.CodeableConcept{Coding: []ehrkit.Coding{{System: ehrkit.SystemICD10CM, Code: "E11-9"}, {System: ehrkit.SystemSNOMED, Code: "44054007"}}}
		}, []string{"code.coding[0].code code-invalid", "code.coding[1].code code-invalid"}},
		{"unknown system accepted", func(c *clinical.Condition) {
			c.Code = ehrkit.CodeableConcept{Coding: []ehrkit.Coding{{System: "urn:local", Code: "whatever!"}}}
		}, nil},
		{"abated but active, abatement before onset", func(c *clinical.Condition) { c.Abatement = ehrkit.MustDate("2018") }, []string{"clinicalStatus invariant", "abatement invariant"}},
		{"entered in error keeps no clinical status", func(c *clinical.Condition) { c.VerificationStatus = clinical.VerificationEnteredInError }, []string{"clinicalStatus invariant"}},
		{"everything missing", func(c *clinical.Condition) { *c = clinical.Condition{} }, []string{"patient required", "category required", "code required", "clinicalStatus required"}},
	})
}

func TestAllergyValidate(t *testing.T) {
	a := clinical.AllergyIntolerance{
		Patient: "p1", ClinicalStatus: "active", VerificationStatus: "confirmed", Type: "allergy", Categories: []string{"medication"},
		Criticality: "high", Code: ehrkit.Concept(ehrkit.SystemRxNorm, "7980", "Penicillin G"),
		Reactions: []clinical.Reaction{{Manifestations: []ehrkit.CodeableConcept{ehrkit.Concept(ehrkit.SystemSNOMED, "247472004", "Hives")}, Severity: "moderate"}},
	}
	require.NoError(t, a.Validate())
	assert.True(t, a.IsActive())
	a.Code = ehrkit.Concept(ehrkit.SystemRxNorm, "79x", "")
	a.Type, a.Criticality, a.Categories = "reaction", "extreme", []string{"drug"}
	a.Reactions = append(a.Reactions, clinical.Reaction{Severity: "fatal"})
	assert.ElementsMatch(t, []string{
		"code.coding[0].code code-invalid", "type code-invalid", "criticality code-invalid", "categories[0] code-invalid",
		"reactions[1].manifestations required", "reactions[1].severity code-invalid",
	}, issues(t, a.Validate()))
}

func TestObservationValidate(t *testing.T) {
	hr := clinical.Observation{Patient: "p1", Status: clinical.ObservationFinal, Code: loinc(clinical.LOINCHeartRate, "Heart rate"),
		Effective: fixed, Value: clinical.QuantityValue(qty("72", "/min"))}
	require.NoError(t, hr.Validate())

	validateCases(t, hr, []validateCase[clinical.Observation]{
		{"kg for a heart rate", func(o *clinical.Observation) { o.Value.Quantity.Unit = "kg" }, []string{"value.quantity.unit value"}},
		{"not UCUM", func(o *clinical.Observation) { o.Value.Quantity.Unit = "bpm" }, []string{"value.quantity.unit code-invalid", "value.quantity.unit value"}},
		{"vital sign as text", func(o *clinical.Observation) { o.Value = clinical.TextValue("fast") }, []string{"value.kind value"}},
		{"LOINC check digit", func(o *clinical.Observation) { o.Code = loinc("8867-3", "") }, []string{"code.coding[0].code code-invalid"}},
		{"weight in pounds fits", func(o *clinical.Observation) {
			o.Code, o.Value = loinc(clinical.LOINCBodyWeight, ""), clinical.QuantityValue(qty("150", "[lb_av]"))
		}, nil},
		{"temperature in Fahrenheit fits", func(o *clinical.Observation) {
			o.Code, o.Value = loinc(clinical.LOINCBodyTemperature, ""), clinical.QuantityValue(qty("98.6", "[degF]"))
		}, nil},
		{"lab value in a unit ehrkit does not convert", func(o *clinical.Observation) {
			o.Code, o.Value = loinc("2339-0", "Glucose"), clinical.QuantityValue(qty("95", "mg/dL"))
		}, nil},
		{"no value", func(o *clinical.Observation) { o.Value = clinical.Value{} }, []string{"value required"}},
		{"value and absent reason", func(o *clinical.Observation) { o.DataAbsentReason = "not-performed" }, []string{"dataAbsentReason invariant"}},
		{"range upside down", func(o *clinical.Observation) {
			o.Code, o.Value = loinc("2339-0", ""), clinical.RangeValue(qty("100", "mg/dL"), qty("80", "mg/dL"))
		}, []string{"value.range.high invariant"}},
		{"range in unrelated units", func(o *clinical.Observation) {
			o.Code, o.Value = loinc("2339-0", ""), clinical.RangeValue(qty("1", "kg"), qty("2", "cm"))
		}, []string{"value.range.high.unit invariant"}},
		{"component units", func(o *clinical.Observation) {
			o.Code, o.Value = loinc(clinical.LOINCBloodPressure, ""), clinical.Value{}
			o.Components = []clinical.Component{
				{Code: loinc(clinical.LOINCSystolic, ""), Value: clinical.QuantityValue(qty("120", "mm[Hg]"))},
				{Code: loinc(clinical.LOINCDiastolic, ""), Value: clinical.QuantityValue(qty("80", "kPa.s"))},
				{Code: loinc(clinical.LOINCDiastolic, "")},
			}
		}, []string{"components[1].value.quantity.unit value", "components[2].value required"}},
		{"everything wrong", func(o *clinical.Observation) {
			*o = clinical.Observation{Status: "done", Categories: []string{"vitals"}, Value: clinical.Value{Kind: "blob"}}
		}, []string{"patient required", "status code-invalid", "categories[0] code-invalid", "code required", "effective required", "value.kind code-invalid"}},
	})
}

func TestVitalRangesFlag(t *testing.T) {
	r := clinical.AdultVitalRanges()
	tests := []struct {
		code string
		q    ehrkit.Quantity
		want string
	}{
		{clinical.LOINCHeartRate, qty("72", "/min"), clinical.InterpretationNormal},
		{clinical.LOINCHeartRate, qty("100", "/min"), clinical.InterpretationNormal},
		{clinical.LOINCHeartRate, qty("101", "/min"), clinical.InterpretationHigh},
		{clinical.LOINCHeartRate, qty("48", "/min"), clinical.InterpretationLow},
		{clinical.LOINCBodyTemperature, qty("101.3", "[degF]"), clinical.InterpretationHigh}, // 38.5 Cel
		{clinical.LOINCBodyTemperature, qty("98.6", "[degF]"), clinical.InterpretationNormal},
		{clinical.LOINCBodyTemperature, qty("35.0", "Cel"), clinical.InterpretationLow},
		{clinical.LOINCOxygenSaturation, qty("91", "%"), clinical.InterpretationLow},
		{clinical.LOINCSystolic, qty("142", "mm[Hg]"), clinical.InterpretationHigh},
		{clinical.LOINCDiastolic, qty("11", "kPa"), clinical.InterpretationHigh}, // 82.5 mm[Hg]
		{clinical.LOINCBodyWeight, qty("70", "kg"), ""},                          // no range for weight
		{clinical.LOINCHeartRate, qty("72", "kg"), ""},                           // no conversion
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, r.Flag(tt.code, tt.q), "%s %s", tt.code, tt.q)
	}

	// Ranges are configurable: a paediatric heart-rate range.
	child := clinical.VitalRanges{clinical.LOINCHeartRate: {Low: decimalOf(80), High: decimalOf(140), Unit: "/min"}}
	assert.Equal(t, clinical.InterpretationNormal, child.Flag(clinical.LOINCHeartRate, qty("120", "/min")))
	assert.Equal(t, clinical.InterpretationLow, child.Flag(clinical.LOINCHeartRate, qty("72", "/min")))
}

func TestVitalsObservations(t *testing.T) {
	v := clinical.Vitals{
		HeartRate: qp("112", "/min"), Temperature: qp("98.6", "[degF]"), Height: qp("65", "[in_i]"), Weight: qp("150", "[lb_av]"),
		Systolic: qp("150", "mm[Hg]"), Diastolic: qp("85", "mm[Hg]"),
	}
	obs := v.Observations("p1", "e1", fixed)
	var codes []string
	for _, o := range obs {
		require.NoError(t, o.Validate(), o.Code.String())
		assert.Equal(t, []string{clinical.CategoryVitalSigns}, o.Categories)
		codes = append(codes, o.Code.CodeIn(ehrkit.SystemLOINC))
	}
	assert.Equal(t, []string{clinical.LOINCHeartRate, clinical.LOINCBodyTemperature, clinical.LOINCBodyHeight, clinical.LOINCBodyWeight, clinical.LOINCBloodPressure}, codes)
	require.Len(t, obs[4].Components, 2)

	obs[2].ID, obs[3].ID = "h1", "w1"
	bmi, ok := clinical.DeriveBMI(obs)
	require.True(t, ok)
	require.NoError(t, bmi.Validate())
	assert.Equal(t, "25 kg/m2", bmi.Value.Quantity.String(), "BMI from 150 lb and 65 in (CDC example)")
	assert.Equal(t, []ehrkit.Reference{ehrkit.Ref(clinical.ObservationType, "h1"), ehrkit.Ref(clinical.ObservationType, "w1")}, bmi.DerivedFrom)
	_, ok = clinical.DeriveBMI(obs[:3])
	assert.False(t, ok, "no weight")

	flagged := clinical.AdultVitalRanges().FlagObservation(obs[4])
	assert.Equal(t, []string{clinical.InterpretationHigh}, flagged.Components[0].Interpretation)
	assert.Equal(t, []string{clinical.InterpretationHigh}, flagged.Components[1].Interpretation)
	assert.Empty(t, obs[4].Components[0].Interpretation, "flagging does not modify its argument")
	assert.Equal(t, []string{clinical.InterpretationHigh}, clinical.AdultVitalRanges().FlagObservation(obs[0]).Interpretation)

	assert.Empty(t, clinical.Vitals{}.Observations("p1", "", fixed))
}

func TestProcedureImmunizationCarePlanValidate(t *testing.T) {
	p := clinical.Procedure{Patient: "p1", Status: "completed", Code: ehrkit.Concept(ehrkit.SystemCPT, "3008F", "")}
	assert.ElementsMatch(t, []string{"performed.start required"}, issues(t, p.Validate()))
	p.Performed.Start, p.Status = fixed, "done"
	assert.ElementsMatch(t, []string{"status code-invalid"}, issues(t, p.Validate()))

	im := clinical.Immunization{Patient: "p1", Status: "not-done", VaccineCode: ehrkit.Concept(ehrkit.SystemCVX, "140", "Influenza, seasonal, injectable"),
		DoseQuantity: qp("0.5", "mls"), DoseNumber: 3, SeriesDoses: 2}
	assert.ElementsMatch(t, []string{"occurrence required", "statusReason required", "doseQuantity.unit code-invalid", "doseNumber invariant"}, issues(t, im.Validate()))

	cp := clinical.CarePlan{Patient: "p1", Status: "active", Intent: "plan",
		Addresses: []ehrkit.Reference{ehrkit.Ref(clinical.ConditionType, "c1")},
		Goals: []clinical.Goal{{LifecycleStatus: "active", Description: ehrkit.CodeableConcept{Text: "HbA1c below 7 %"},
			Measure: loinc("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"), Target: qp("7", "%"), Due: ehrkit.MustDate("2026-09")}},
		Activities: []clinical.Activity{{Status: "scheduled", Code: ehrkit.CodeableConcept{Text: "Diabetes education"}, Goals: []int{0}}},
	}
	require.NoError(t, cp.Validate())
	cp.Goals = append(cp.Goals, clinical.Goal{LifecycleStatus: "hoped", Target: qp("5", "kg")})
	cp.Activities[0].Goals = []int{0, 5}
	cp.Addresses = append(cp.Addresses, ehrkit.Ref("Observation", "o1"))
	cp.GoalRefs = []ehrkit.Reference{ehrkit.Ref(clinical.GoalType, "g1"), ehrkit.Ref(clinical.ConditionType, "c1")}
	assert.ElementsMatch(t, []string{
		"addresses[1] value", "goals[1].lifecycleStatus code-invalid", "goals[1].description required", "goals[1].measure required", "activities[0].goals[1] value",
		"goalRefs[1] value",
	}, issues(t, cp.Validate()))
}

func TestPatientGoalValidate(t *testing.T) {
	g := clinical.PatientGoal{ID: "g1", Patient: "p1", LifecycleStatus: "active", Description: ehrkit.CodeableConcept{Text: "HbA1c below 7 %"},
		Start: ehrkit.MustDate("2026-01"), Addresses: []ehrkit.Reference{ehrkit.Ref(clinical.ConditionType, "c1")},
		Targets: []clinical.GoalTarget{{Measure: loinc("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"), Detail: qp("7", "%"), Due: ehrkit.MustDate("2026-09")}}}
	require.NoError(t, g.Validate())
	assert.Equal(t, "Goal/g1", g.String(), "names the record, not its content")
	bad := clinical.PatientGoal{LifecycleStatus: "hoped", Addresses: []ehrkit.Reference{ehrkit.Ref("Observation", "o1")},
		Targets: []clinical.GoalTarget{{Detail: qp("5", "no such unit")}}}
	assert.ElementsMatch(t, []string{
		"patient required", "lifecycleStatus code-invalid", "description required", "targets[0].measure required", "targets[0].detail.unit code-invalid", "addresses[0] value",
	}, issues(t, bad.Validate()))
}

func TestNoteLifecycle(t *testing.T) {
	sig := clinical.Signature{By: ehrkit.Ref("Practitioner", "dr1"), Principal: "u1", At: fixed}
	n := clinical.Note{ID: "n1", Patient: "p1", Type: loinc(clinical.LOINCProgressNote, "Progress note"), Author: ehrkit.Ref("Practitioner", "dr1"), Created: fixed, Status: clinical.NoteDraft}
	require.NoError(t, n.Edit("Visit", "Cough for three days."))
	require.NoError(t, n.Validate())
	require.ErrorIs(t, n.AddAddendum("late", sig), ehrkit.ErrFailedPrecondition)
	require.ErrorIs(t, n.Amend("x", "y", sig, 1), ehrkit.ErrFailedPrecondition)

	require.NoError(t, n.Sign(sig))
	require.NoError(t, n.Validate())
	assert.ErrorIs(t, n.Edit("Visit", "changed"), ehrkit.ErrFailedPrecondition)
	assert.ErrorIs(t, n.Sign(sig), ehrkit.ErrFailedPrecondition)
	assert.Equal(t, "Cough for three days.", n.Text)

	require.NoError(t, n.AddAddendum("Chest X-ray clear.", sig))
	require.NoError(t, n.Amend("Cough for four days.", "duration misrecorded", sig, 3))
	require.NoError(t, n.Validate())
	assert.Equal(t, clinical.NoteAmended, n.Status)
	assert.Equal(t, int64(3), n.Amendments[0].Supersedes)
	assert.Equal(t, "DocumentReference/n1", n.String(), "String carries no note text")

	bad := clinical.Note{Status: clinical.NoteSigned, Addenda: []clinical.Addendum{{}}, Amendments: []clinical.Amendment{{}}}
	assert.ElementsMatch(t, []string{
		"patient required", "type required", "author required", "created required", "text required", "signature required",
		"amendments invariant", "addenda[0].text required", "addenda[0].signature.by required", "addenda[0].signature.principal required",
		"addenda[0].signature.at required", "amendments[0].reason required", "amendments[0].signature.by required",
		"amendments[0].signature.principal required", "amendments[0].signature.at required", "amendments[0].supersedes required",
	}, issues(t, bad.Validate()))
}

// validateCase changes a valid value and lists the issues ("path code") its
// Validate must then report; nil means it stays valid.
type validateCase[T any] struct {
	name   string
	change func(*T)
	want   []string
}

func validateCases[T any, P interface {
	*T
	Validate() error
}](t *testing.T, base T, cases []validateCase[T]) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			v := base
			tt.change(&v)
			err := P(&v).Validate()
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			assert.ElementsMatch(t, tt.want, issues(t, err))
		})
	}
}
