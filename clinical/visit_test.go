package clinical_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVisit is the clinician's full visit of the package Example on every
// backend: open the encounter, record vitals, add a problem and an allergy,
// fill in the intake form and PHQ-9, sign the note, close the encounter, then
// read the summary and the timeline.
func TestVisit(t *testing.T) {
	runEnv(t, func(t *testing.T, e env) {
		require.NoError(t, e.svc.InstallBuiltinForms(e.ctx))
		enc, err := e.svc.OpenEncounter(e.ctx, clinical.Encounter{Patient: "p1", Class: clinical.ClassAmbulatory, Status: clinical.EncounterArrived})
		require.NoError(t, err)
		e.clock.Advance(5 * time.Minute)
		enc, err = e.svc.SetEncounterStatus(e.ctx, enc.ID, clinical.EncounterInProgress)
		require.NoError(t, err)

		vitals, err := e.svc.RecordVitals(e.ctx, "p1", enc.ID, clinical.Vitals{Temperature: qp("101.3", "[degF]"), HeartRate: qp("96", "/min"), OxygenSaturation: qp("97", "%")})
		require.NoError(t, err)
		require.Len(t, vitals, 3)
		cond, err := e.svc.AddCondition(e.ctx, clinical.Condition{Patient: "p1", Encounter: enc.ID, Category: clinical.ConditionProblemListItem,
			ClinicalStatus: clinical.ConditionActive, Code: ehrkit.Concept(ehrkit.SystemSNOMED, "195967001", "Asthma")})
		require.NoError(t, err)
		_, err = e.svc.AddAllergy(e.ctx, clinical.AllergyIntolerance{Patient: "p1", Encounter: enc.ID, ClinicalStatus: "active",
			Code: ehrkit.Concept(ehrkit.SystemSNOMED, "227493005", "Cashew nuts")})
		require.NoError(t, err)

		intake := validIntake()
		intake.ID, intake.Encounter = "", enc.ID
		_, fromIntake, err := e.svc.SubmitResponse(e.ctx, intake)
		require.NoError(t, err)
		assert.Len(t, fromIntake, 5, "height, weight, tobacco, packs per day and the derived BMI")
		phq := phq9Response(1, 1, 1, 0, 0, 0, 0, 0, 0)
		phq.ID, phq.Encounter = "", enc.ID
		phq.Items = append(phq.Items, answer("phq9-10", coded(ehrkit.SystemLOINC, "LA6572-7")))
		_, fromPHQ, err := e.svc.SubmitResponse(e.ctx, phq)
		require.NoError(t, err)
		assert.Equal(t, "3 {score}", fromPHQ[len(fromPHQ)-1].Value.Quantity.String())

		note, err := e.svc.CreateNote(e.ctx, clinical.Note{Patient: "p1", Encounter: enc.ID, Type: loinc(clinical.LOINCProgressNote, "Progress note"),
			Author: ehrkit.Ref("Practitioner", "prac-1"), Text: "Asthma exacerbation with fever."})
		require.NoError(t, err)
		e.clock.Advance(10 * time.Minute)
		note, err = e.svc.SignNote(e.ctx, note.ID)
		require.NoError(t, err)
		assert.Equal(t, e.clock.Now(), note.Signature.At)

		enc, err = e.svc.UpdateEncounter(e.ctx, enc.ID, func(x *clinical.Encounter) error {
			x.Diagnoses = []clinical.Diagnosis{{Condition: ehrkit.Ref(clinical.ConditionType, cond.ID), Rank: 1}}
			return nil
		})
		require.NoError(t, err)
		enc, err = e.svc.SetEncounterStatus(e.ctx, enc.ID, clinical.EncounterFinished)
		require.NoError(t, err)
		assert.Equal(t, 10*time.Minute, enc.Period.End.Sub(enc.Period.Start))
		assert.Equal(t, []clinical.EncounterStatus{clinical.EncounterArrived, clinical.EncounterInProgress}, []clinical.EncounterStatus{enc.StatusHistory[0].Status, enc.StatusHistory[1].Status})

		sum, err := e.svc.Summary(e.ctx, "p1")
		require.NoError(t, err)
		assert.Len(t, sum.ActiveProblems, 1)
		assert.Len(t, sum.Allergies, 1)
		var flags []string
		for _, v := range sum.LatestVitals {
			flags = append(flags, v.Code.CodeIn(ehrkit.SystemLOINC)+" "+strings.Join(v.Interpretation, ","))
		}
		// Height and weight have no range; the BMI of 150 lb and 65 in is 25, above 24.9.
		assert.Equal(t, []string{"8867-4 N", "8310-5 H", "2708-6 N", "8302-2 ", "29463-7 ", "39156-5 H"}, flags)
		tl, err := e.svc.Timeline(e.ctx, "p1")
		require.NoError(t, err)
		for _, en := range tl {
			if en.Type != clinical.EncounterType {
				assert.Equal(t, enc.ID, en.Encounter, "%s/%s belongs to the visit", en.Type, en.ID)
			}
		}
		assert.Len(t, tl, 1+3+1+1+2+5+10+1, "encounter, vitals, problem, allergy, two responses, their observations, note")
	})
}
