package fhir_test

import (
	"strings"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/memstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goalSource is a patient with a problem, a Goal of its own addressing it and
// a CarePlan that references that Goal and contains one of its own.
const goalSource = `{"resourceType":"Patient","id":"p1","name":[{"family":"Weiß"}]}
{"resourceType":"Condition","id":"c1","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"E11.9"}]},"subject":{"reference":"Patient/p1"}}
{"resourceType":"Goal","id":"g1","lifecycleStatus":"active","achievementStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/goal-achievement","code":"in-progress"}]},"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/goal-category","code":"physiotherapy"}]}],"description":{"text":"HbA1c below 7 %"},"subject":{"reference":"Patient/p1"},"startDate":"2026-01-15","target":[{"measure":{"coding":[{"system":"http://loinc.org","code":"4548-4"}]},"detailQuantity":{"value":7,"comparator":"<","unit":"%","system":"http://unitsofmeasure.org","code":"%"},"dueDate":"2026-07-01"},{"dueDate":"2026-12-31"}],"addresses":[{"reference":"Condition/c1"}],"note":[{"text":"agreed at the visit"}]}
{"resourceType":"CarePlan","id":"cp1","status":"active","intent":"plan","subject":{"reference":"Patient/p1"},"goal":[{"reference":"Goal/g1"},{"reference":"#walk"}],"contained":[{"resourceType":"Goal","id":"walk","lifecycleStatus":"proposed","description":{"text":"walk daily"},"subject":{"reference":"Patient/p1"}}]}`

// TestGoalRoundTrip imports a standalone Goal and a CarePlan referencing it on
// every backend, checks the values the mapping made, exports the patient and
// imports the export into a fresh store: both hold equal goals and plans.
func TestGoalRoundTrip(t *testing.T) {
	ctx := importing()
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		im := fhir.NewImporter(access.Trusted(s))
		require.NoError(t, im.ImportNDJSON(ctx, strings.NewReader(goalSource), "goals.ndjson"))
		rep := im.Report()
		require.Empty(t, rep.Failed)
		assert.Equal(t, map[string]int{"Patient": 1, "Condition": 1, "Goal": 1, "CarePlan": 1}, rep.Imported)

		g := getGoal(t, s, "g1")
		seven := ehrkit.Qty("7", "%")
		seven.Comparator = "<"
		assert.Equal(t, clinical.PatientGoal{
			ID: "g1", Patient: "p1", LifecycleStatus: "active",
			AchievementStatus: ehrkit.Concept("http://terminology.hl7.org/CodeSystem/goal-achievement", "in-progress", ""),
			Categories:        []ehrkit.CodeableConcept{ehrkit.Concept("http://terminology.hl7.org/CodeSystem/goal-category", "physiotherapy", "")},
			Description:       ehrkit.CodeableConcept{Text: "HbA1c below 7 %"},
			Start:             ehrkit.MustDate("2026-01-15"),
			Targets: []clinical.GoalTarget{
				{Measure: ehrkit.Concept(ehrkit.SystemLOINC, "4548-4", ""), Detail: &seven, Due: ehrkit.MustDate("2026-07-01")},
				{Due: ehrkit.MustDate("2026-12-31")},
			},
			Addresses: []ehrkit.Reference{ehrkit.Ref(clinical.ConditionType, "c1")},
			Note:      "agreed at the visit",
		}, g)
		rec, err := s.Get(ctx, clinical.CarePlanType, "cp1")
		require.NoError(t, err)
		cp, err := clinical.CarePlanRecords.Decode(rec)
		require.NoError(t, err)
		assert.Equal(t, []ehrkit.Reference{ehrkit.Ref(clinical.GoalType, "g1")}, cp.GoalRefs, "the reference to a Goal of its own is kept")
		require.Len(t, cp.Goals, 1, "the contained Goal stays in the plan")
		assert.Equal(t, "walk daily", cp.Goals[0].Description.Text)

		x, err := fhir.NewExporter(s)
		require.NoError(t, err)
		out := t.TempDir()
		counts, err := x.Dir(ctx, out, "p1")
		require.NoError(t, err)
		assert.Equal(t, 1, counts["Goal"])
		fresh := memstore.New()
		back := fhir.NewImporter(access.Trusted(fresh))
		require.NoError(t, back.ImportPaths(ctx, out))
		require.Empty(t, back.Report().Failed)
		assert.Equal(t, g, getGoal(t, fresh, "g1"))
		rec, err = fresh.Get(ctx, clinical.CarePlanType, "cp1")
		require.NoError(t, err)
		cp2, err := clinical.CarePlanRecords.Decode(rec)
		require.NoError(t, err)
		assert.Equal(t, cp, cp2)
	})
}

func getGoal(t *testing.T, s storage.Store, id string) clinical.PatientGoal {
	t.Helper()
	rec, err := s.Get(importing(), clinical.GoalType, id)
	require.NoError(t, err)
	g, err := clinical.GoalRecords.Decode(rec)
	require.NoError(t, err)
	return g
}

// TestGoalUnknownPatient refuses, on every backend, a Goal whose subject is
// not a patient of the store, naming the FHIR element, and writes nothing.
func TestGoalUnknownPatient(t *testing.T) {
	ctx := importing()
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		im := fhir.NewImporter(access.Trusted(s))
		src := `{"resourceType":"Goal","id":"g9","lifecycleStatus":"active","description":{"text":"walk"},"subject":{"reference":"Patient/nobody"}}`
		require.NoError(t, im.ImportNDJSON(ctx, strings.NewReader(src), "goal.ndjson"))
		rep := im.Report()
		require.Len(t, rep.Failed, 1)
		assert.Equal(t, "Goal", rep.Failed[0].Type)
		require.NotEmpty(t, rep.Failed[0].Issues)
		assert.True(t, strings.HasPrefix(rep.Failed[0].Issues[0], "Goal.subject:"), rep.Failed[0].Issues)
		_, err := s.Get(ctx, clinical.GoalType, "g9")
		assert.ErrorIs(t, err, ehrkit.ErrNotFound)
	})
}
