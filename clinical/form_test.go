package clinical_test

import (
	"encoding/json"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func builtin(t testing.TB, id string) clinical.FormDefinition {
	t.Helper()
	f, err := clinical.BuiltinForm(id)
	require.NoError(t, err)
	return f
}

func answer(linkID string, v ...clinical.Value) clinical.ResponseItem {
	return clinical.ResponseItem{LinkID: linkID, Answers: v}
}

func group(linkID string, items ...clinical.ResponseItem) clinical.ResponseItem {
	return clinical.ResponseItem{LinkID: linkID, Items: items}
}

func coded(system, code string) clinical.Value {
	return clinical.CodedValue(ehrkit.CodeableConcept{Coding: []ehrkit.Coding{{System: system, Code: code}}})
}

// phq9Answers are the LOINC answer codes of the PHQ-9 frequency scale (LL358-3),
// worth 0 to 3 points.
var phq9Answers = []string{"LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"}

func phq9Response(points ...int) clinical.FormResponse {
	r := clinical.FormResponse{ID: "qr1", Patient: "p1", Form: clinical.FormPHQ9, Status: clinical.ResponseCompleted, Authored: fixed}
	for i, p := range points {
		r.Items = append(r.Items, answer("phq9-"+string(rune('1'+i)), coded(ehrkit.SystemLOINC, phq9Answers[p])))
	}
	return r
}

func TestBuiltinForms(t *testing.T) {
	for _, id := range []string{clinical.FormIntake, clinical.FormPHQ9} {
		f := builtin(t, id)
		require.NoError(t, f.Validate(), id)
		assert.NotEmpty(t, f.Source, "%s names its source", id)
	}
	_, err := clinical.BuiltinForm("gad-7")
	assert.ErrorIs(t, err, ehrkit.ErrNotFound)
}

// TestPHQ9Score checks the scoring of Kroenke, Spitzer and Williams (J Gen
// Intern Med 2001;16:606-613): items scored 0-3, total 0-27, severity cut
// points 5, 10, 15 and 20 (mild, moderate, moderately severe, severe).
func TestPHQ9Score(t *testing.T) {
	f := builtin(t, clinical.FormPHQ9)
	tests := []struct {
		points []int
		total  int
		band   string
	}{
		{[]int{0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, "None-minimal depression"},
		{[]int{1, 1, 1, 1, 0, 0, 0, 0, 0}, 4, "None-minimal depression"},
		{[]int{1, 1, 1, 1, 1, 0, 0, 0, 0}, 5, "Mild depression"},
		{[]int{2, 2, 2, 1, 1, 1, 0, 0, 0}, 9, "Mild depression"},
		{[]int{2, 2, 2, 2, 2, 0, 0, 0, 0}, 10, "Moderate depression"},
		{[]int{2, 2, 2, 2, 2, 2, 2, 0, 0}, 14, "Moderate depression"},
		{[]int{3, 3, 3, 2, 2, 2, 0, 0, 0}, 15, "Moderately severe depression"},
		{[]int{3, 3, 3, 3, 3, 2, 2, 0, 0}, 19, "Moderately severe depression"},
		{[]int{3, 3, 3, 3, 2, 2, 2, 1, 1}, 20, "Severe depression"},
		{[]int{3, 3, 3, 3, 3, 3, 3, 3, 3}, 27, "Severe depression"},
	}
	for _, tt := range tests {
		r := phq9Response(tt.points...)
		if tt.total > 0 {
			r.Items = append(r.Items, answer("phq9-10", coded(ehrkit.SystemLOINC, "LA6573-5")))
		}
		require.NoError(t, f.Check(&r), "%v", tt.points)
		scores := f.Score(&r)
		require.Len(t, scores, 1)
		assert.Equal(t, tt.total, scores[0].Total, "%v", tt.points)
		assert.True(t, scores[0].Complete)
		require.NotNil(t, scores[0].Band)
		assert.Equal(t, tt.band, scores[0].Band.Meaning.Text, "%v", tt.points)
	}
}

func TestPHQ9EnableWhen(t *testing.T) {
	f := builtin(t, clinical.FormPHQ9)
	// All "not at all": the difficulty question is hidden and may not be answered.
	r := phq9Response(0, 0, 0, 0, 0, 0, 0, 0, 0)
	r.Items = append(r.Items, answer("phq9-10", coded(ehrkit.SystemLOINC, "LA6573-5")))
	assert.Equal(t, []string{"item[phq9-10] invariant"}, issues(t, f.Check(&r)))
	// One problem checked: it shows (and is optional).
	r = phq9Response(0, 0, 0, 0, 0, 0, 0, 0, 1)
	require.NoError(t, f.Check(&r))
}

func validIntake() clinical.FormResponse {
	return clinical.FormResponse{ID: "qr2", Patient: "p1", Encounter: "e1", Form: clinical.FormIntake, Status: clinical.ResponseCompleted, Authored: fixed,
		Items: []clinical.ResponseItem{
			answer("reason", clinical.TextValue("Cough for three days")),
			answer("onset", clinical.DateValue(ehrkit.MustDate("2026-02-27"))),
			group("measurements", answer("height", clinical.QuantityValue(qty("65", "[in_i]"))), answer("weight", clinical.QuantityValue(qty("150", "[lb_av]")))),
			answer("tobacco", coded(ehrkit.SystemSNOMED, "428041000124106")),
			answer("packs", clinical.QuantityValue(qty("0.5", "{pack}/d"))),
			answer("has-allergies", clinical.BooleanValue(true)),
			group("allergies", answer("substance", clinical.TextValue("penicillin")), answer("reaction", clinical.TextValue("hives"))),
			group("allergies", answer("substance", clinical.TextValue("peanuts"))),
			group("medications", answer("medication", clinical.TextValue("metformin 500 mg")), answer("dose", clinical.TextValue("twice daily"))),
		}}
}

func TestIntakeCheck(t *testing.T) {
	f := builtin(t, clinical.FormIntake)
	r := validIntake()
	require.NoError(t, f.Check(&r))

	// An in-progress response may leave required items out.
	partial := clinical.FormResponse{Patient: "p1", Form: clinical.FormIntake, Status: clinical.ResponseInProgress, Authored: fixed,
		Items: []clinical.ResponseItem{answer("reason", clinical.TextValue("Cough"))}}
	require.NoError(t, f.Check(&partial))
	partial.Status = clinical.ResponseCompleted
	assert.ElementsMatch(t, []string{"item[measurements] required", "item[tobacco] required", "item[has-allergies] required"}, issues(t, f.Check(&partial)))

	// Every problem at once, each at its item path.
	bad := validIntake()
	bad.Items = []clinical.ResponseItem{
		answer("reason", clinical.TextValue("  ")),
		answer("onset", clinical.TextValue("last week")),
		group("measurements", answer("height", clinical.QuantityValue(qty("70", "kg"))), answer("weight", clinical.QuantityValue(qty("150", "lbs")))),
		answer("tobacco", coded(ehrkit.SystemSNOMED, "266919005")),
		answer("packs", clinical.QuantityValue(qty("1", "{pack}/d"))),
		answer("has-allergies", clinical.BooleanValue(true), clinical.BooleanValue(false)),
		group("allergies", answer("reaction", clinical.TextValue("hives"))),
		group("allergies", answer("substance", clinical.TextValue("latex")), answer("colour", clinical.TextValue("red"))),
		answer("weight", clinical.QuantityValue(qty("70", "kg"))),
		group("medications", answer("medication", clinical.TextValue("aspirin")), answer("dose", clinical.TextValue("81 mg"), clinical.TextValue("daily"))),
	}
	assert.ElementsMatch(t, []string{
		"item[weight] structure",
		"item[reason].answer[0].text required",
		"item[onset].answer[0].kind value",
		"item[measurements].item[height].answer[0].quantity.unit value",
		"item[measurements].item[weight].answer[0].quantity.unit code-invalid",
		"item[packs] invariant",
		"item[has-allergies].answer structure",
		"item[allergies][0].item[substance] required",
		"item[allergies][1].item[colour] structure",
		"item[medications][0].item[dose].answer structure",
	}, issues(t, f.Check(&bad)))

	// Out of range, not an option, a non-repeating group twice.
	bad = validIntake()
	bad.Items[2] = group("measurements", answer("height", clinical.QuantityValue(qty("10", "[ft_i]"))), answer("weight", clinical.QuantityValue(qty("0.1", "kg"))))
	bad.Items[3] = answer("tobacco", coded(ehrkit.SystemSNOMED, "77176002"))
	bad.Items = append(bad.Items, bad.Items[2])
	assert.ElementsMatch(t, []string{
		"item[measurements] structure",
		"item[measurements].item[height].answer[0].quantity.value value",
		"item[measurements].item[weight].answer[0].quantity.value value",
		"item[measurements].item[height].answer[0].quantity.value value",
		"item[measurements].item[weight].answer[0].quantity.value value",
		"item[tobacco].answer[0].concept code-invalid",
		"item[packs] invariant",
	}, issues(t, f.Check(&bad)))
}

func TestExtract(t *testing.T) {
	f := builtin(t, clinical.FormIntake)
	r := validIntake()
	obs, err := f.Extract(&r)
	require.NoError(t, err)
	var got []string
	for _, o := range obs {
		require.NoError(t, o.Validate())
		assert.Equal(t, []ehrkit.Reference{ehrkit.Ref(clinical.FormResponseType, "qr2")}, o.DerivedFrom)
		assert.Equal(t, "e1", o.Encounter)
		assert.Equal(t, fixed, o.Effective)
		got = append(got, o.Categories[0]+" "+o.Code.CodeIn(ehrkit.SystemLOINC))
	}
	assert.Equal(t, []string{"vital-signs 8302-2", "vital-signs 29463-7", "social-history 72166-2", "social-history 8663-7"}, got)

	phq := builtin(t, clinical.FormPHQ9)
	pr := phq9Response(3, 3, 2, 2, 1, 1, 1, 0, 0)
	pr.Items = append(pr.Items, answer("phq9-10", coded(ehrkit.SystemLOINC, "LA6575-0")))
	obs, err = phq.Extract(&pr)
	require.NoError(t, err)
	require.Len(t, obs, 10, "nine items and the total")
	total := obs[9]
	assert.True(t, total.Code.Has(ehrkit.SystemLOINC, "44261-6"))
	assert.Equal(t, "13 {score}", total.Value.Quantity.String())
	require.Len(t, total.Components, 1)
	assert.Equal(t, "Moderate depression", total.Components[0].Value.Concept.Text)

	// An incomplete PHQ-9 (in progress) yields no total; an invalid response no observations.
	pr = phq9Response(1, 1)
	pr.Status = clinical.ResponseInProgress
	obs, err = phq.Extract(&pr)
	require.NoError(t, err)
	assert.Len(t, obs, 2)
	pr.Status = clinical.ResponseCompleted
	_, err = phq.Extract(&pr)
	assert.ErrorIs(t, err, ehrkit.ErrInvalid)
}

func TestFormDefinitionValidate(t *testing.T) {
	score := 1
	f := clinical.FormDefinition{ID: "f", Title: "Broken", Status: "active",
		Items: []clinical.FormItem{
			{LinkID: "a", Text: "A", Type: clinical.ItemNumber},
			{LinkID: "a", Text: "dup", Type: clinical.ItemText, Unit: "kg"},
			{LinkID: "g", Text: "G", Type: clinical.ItemGroup},
			{LinkID: "c", Text: "C", Type: clinical.ItemChoice, Options: []clinical.AnswerOption{{Coding: ehrkit.Coding{System: ehrkit.SystemLOINC, Code: "LA1-"}, Score: &score}}},
			{LinkID: "w", Text: "W", Type: "slider", EnableWhen: []clinical.EnableWhen{{Question: "nope", Operator: "~"}, {Question: "w", Operator: clinical.OpExists, Answer: clinical.BooleanValue(true)}}},
			{LinkID: "x", Text: "X", Type: clinical.ItemText, Extract: true},
		},
		Scores: []clinical.ScoreRule{{Code: loinc("44261-6", ""), Items: []string{"a"}, Bands: []clinical.Band{{Min: 5, Max: 1, Meaning: ehrkit.CodeableConcept{Text: "x"}}}}},
	}
	assert.ElementsMatch(t, []string{
		"items[0].unit required", "items[1].linkId duplicate", "items[1].unit structure", "items[2].items required",
		"items[3].options[0].coding.code code-invalid", "items[4].type code-invalid", "items[4].enableWhen[0].question value",
		"items[4].enableWhen[0].operator code-invalid", "items[4].enableWhen[0].answer.kind value", "items[4].enableWhen[1].question value",
		"items[5].code required", "scores[0].items[0] value", "scores[0].bands[0].max invariant",
	}, issues(t, f.Validate()))
}

// FuzzFormResponse decodes arbitrary JSON as a response to the intake form:
// checking and extracting never panic, and a response that checks extracts.
func FuzzFormResponse(f *testing.F) {
	valid := validIntake()
	b, err := json.Marshal(valid)
	require.NoError(f, err)
	f.Add(b)
	f.Add([]byte(`{"status":"completed","items":[{"linkId":"allergies","items":[{"linkId":"substance"}]}]}`))
	def := builtin(f, clinical.FormIntake)
	f.Fuzz(func(t *testing.T, data []byte) {
		var r clinical.FormResponse
		if json.Unmarshal(data, &r) != nil {
			return
		}
		err := def.Check(&r)
		_, xerr := def.Extract(&r)
		assert.Equal(t, err == nil, xerr == nil)
	})
}

// TestPHQ9SafetyItem: item 9 (thoughts of self-harm) answered above "not at
// all" is a safety finding whatever the total (Kroenke 2001; PHQ-9
// instructions: any positive answer calls for a suicide-risk assessment).
func TestPHQ9SafetyItem(t *testing.T) {
	phq := builtin(t, clinical.FormPHQ9)
	tests := []struct {
		name     string
		scores   []int
		findings int
	}{
		{"total 1, item 9 several days", []int{0, 0, 0, 0, 0, 0, 0, 0, 1}, 1},
		{"total 3, item 9 nearly every day", []int{0, 0, 0, 0, 0, 0, 0, 0, 3}, 1},
		{"total 18, item 9 not at all", []int{3, 3, 2, 2, 2, 2, 2, 2, 0}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := phq9Response(tt.scores...)
			found := phq.SafetyFindings(&r)
			require.Len(t, found, tt.findings)
			obs, err := phq.Extract(&r)
			require.NoError(t, err)
			item9 := obs[8]
			require.True(t, item9.Code.Has(ehrkit.SystemLOINC, "44260-8"))
			if tt.findings > 0 {
				assert.Equal(t, "phq9-9", found[0].LinkID)
				assert.Equal(t, []string{clinical.InterpretationCriticalAbnormal}, item9.Interpretation)
			} else {
				assert.Empty(t, item9.Interpretation)
			}
		})
	}
}
