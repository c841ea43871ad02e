package fhir_test

import (
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/stretchr/testify/require"
)

// TestNoteRoundTrip sends notes in each state (draft, signed with an addendum,
// amended) through FHIR DocumentReference and back.
func TestNoteRoundTrip(t *testing.T) {
	m, ok := fhir.MappingFor("DocumentReference")
	require.True(t, ok)
	codec, err := fhir.NewCodec()
	require.NoError(t, err)
	at := time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC)
	sig := clinical.Signature{By: ehrkit.Ref("Practitioner", "prac-7"), Principal: "dr-smith", At: at}
	base := clinical.Note{
		ID: "n-1", Patient: "p-1", Encounter: "e-1", Title: "Visit", Text: "Acute bronchitis. Fluids, rest — Müller.",
		Type:   ehrkit.Concept(ehrkit.SystemLOINC, clinical.LOINCProgressNote, "Progress note"),
		Author: ehrkit.Ref("Practitioner", "prac-7"), Created: at.Add(-15 * time.Minute), Status: clinical.NoteDraft,
	}
	signed := base
	signed.Status, signed.Signature = clinical.NoteSigned, &sig
	signed.Addenda = []clinical.Addendum{{Text: "Chest X-ray normal.", Signature: sig}}
	amended := signed
	amended.Status = clinical.NoteAmended
	amended.Amendments = []clinical.Amendment{{Reason: "wrong side", Signature: sig, Supersedes: 2}}
	for _, want := range []clinical.Note{base, signed, amended} {
		t.Run(string(want.Status), func(t *testing.T) {
			raw, err := fhir.ExportValue("DocumentReference", want)
			require.NoError(t, err)
			_, err = codec.Parse(raw)
			require.NoError(t, err, "the export is valid FHIR R4: %s", raw)
			back, err := m.Import(raw, want.ID, fhir.NewRefs())
			require.NoError(t, err)
			require.Equal(t, want, back.Domain())
		})
	}
}
