package fhir_test

import (
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/stretchr/testify/require"
)

// TestFormResponseRoundTrip sends a PHQ-style response with every answer kind
// a QuestionnaireResponse can carry through FHIR and back.
func TestFormResponseRoundTrip(t *testing.T) {
	m, ok := fhir.MappingFor("QuestionnaireResponse")
	require.True(t, ok)
	want := clinical.FormResponse{
		ID: "qr-1", Patient: "p-1", Encounter: "e-1", Form: clinical.FormIntake, Status: clinical.ResponseCompleted,
		Authored: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC), Author: ehrkit.Ref("Practitioner", "prac-1"),
		Items: []clinical.ResponseItem{
			{LinkID: "reason", Answers: []clinical.Value{clinical.TextValue("Cough")}},
			{LinkID: "measurements", Items: []clinical.ResponseItem{
				{LinkID: "weight", Answers: []clinical.Value{clinical.QuantityValue(ehrkit.Qty("81.50", "kg"))}},
			}},
			{LinkID: "tobacco", Answers: []clinical.Value{clinical.CodedValue(ehrkit.Concept(ehrkit.SystemSNOMED, "266919005", "Never smoked tobacco"))}},
			{LinkID: "has-allergies", Answers: []clinical.Value{clinical.BooleanValue(false)}},
			{LinkID: "last-visit", Answers: []clinical.Value{clinical.DateValue(ehrkit.MustDate("2025-11"))}},
		},
	}
	raw, err := fhir.ExportValue("QuestionnaireResponse", want)
	require.NoError(t, err)
	codec, err := fhir.NewCodec()
	require.NoError(t, err)
	_, err = codec.Parse(raw)
	require.NoError(t, err, "the export is valid FHIR R4")
	back, err := m.Import(raw, "qr-1", fhir.NewRefs())
	require.NoError(t, err)
	require.Equal(t, want, back.Domain())
}
