package clinical_test

import (
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/internal/redacttest"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/shopspring/decimal"
)

// TestRedaction prints and logs every clinical value that holds PHI with
// every fmt verb (%#v included) and slog handler: none shows its content.
func TestRedaction(t *testing.T) {
	const phi = "lives alone with a cat"
	concept := ehrkit.CodeableConcept{Text: phi}
	text := clinical.Value{Kind: clinical.KindText, Text: phi}
	obs := clinical.Observation{ID: "o-1", Patient: "p-1", Code: concept, Value: text}
	cond := clinical.Condition{ID: "c-1", Patient: "p-1", Code: concept, Note: phi}
	allergy := clinical.AllergyIntolerance{ID: "a-1", Patient: "p-1", Code: concept}
	study := clinical.ImagingStudy{ID: "s-1", Patient: "p-1", Description: phi}
	weight := ehrkit.Quantity{Value: decimal.RequireFromString("81.25"), Unit: "kg"}
	for name, v := range map[string]any{
		"Encounter":          clinical.Encounter{ID: "e-1", Patient: "p-1", Reasons: []ehrkit.CodeableConcept{concept}},
		"Condition":          cond,
		"AllergyIntolerance": allergy,
		"Observation":        obs,
		"Procedure":          clinical.Procedure{ID: "pr-1", Patient: "p-1", Code: concept, Note: phi},
		"Immunization":       clinical.Immunization{ID: "i-1", Patient: "p-1", VaccineCode: concept},
		"CarePlan":           clinical.CarePlan{ID: "cp-1", Patient: "p-1", Title: phi},
		"PatientGoal":        clinical.PatientGoal{ID: "g-1", Patient: "p-1", Description: concept},
		"Note":               clinical.Note{ID: "n-1", Patient: "p-1", Text: phi},
		"FormResponse": clinical.FormResponse{ID: "r-1", Patient: "p-1",
			Items: []clinical.ResponseItem{{LinkID: "q1", Answers: []clinical.Value{text}}}},
		"ImagingStudy":  study,
		"IncomingStudy": clinical.IncomingStudy{Study: study},
		"QueuedStudy":   clinical.QueuedStudy{ID: "s-1", Incoming: clinical.IncomingStudy{Study: study}},
		"Entry":         clinical.Entry{Type: clinical.NoteType, ID: "n-1", Title: phi},
		"Medication":    clinical.Medication{Code: concept, Dosage: phi},
		"Summary": clinical.Summary{Patient: patient.ID("p-1"), ActiveProblems: []clinical.Condition{cond},
			Allergies: []clinical.AllergyIntolerance{allergy}, LatestVitals: []clinical.Observation{obs}},
		"Vitals": clinical.Vitals{Weight: &weight},
	} {
		t.Run(name, func(t *testing.T) {
			if name == "Vitals" {
				redacttest.Check(t, v, "81.25")
				return
			}
			redacttest.Check(t, v, phi)
		})
	}
}
