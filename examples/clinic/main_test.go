package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClinicDay(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), filepath.Join(t.TempDir(), "clinic.db"), &out))
	got := out.String()
	for _, line := range []string{
		// 1. registration
		"registered pat-000001 José, MRN MRN000000018",
		"registered pat-000002 Amara",
		"refused, certain duplicate of pat-000001",
		`search "jose muller" finds pat-000001 José Müller-Lüdenscheidt`,
		// 2. scheduling
		"booked appt-000001 for pat-000001, 09:00-09:20, booked",
		"same slot: refused, slot unavailable",
		"checked in at 08:55: checked-in",
		// 3. the visit
		"Systolic blood pressure: 142 mm[Hg] [H]",
		"Body mass index (BMI) [Ratio]: 27.4 kg/m2 [H]",
		"ICD-10-CM E78.5",
		"allergy cl-000007: Penicillin G",
		"signed by Practitioner/prac-weber at 09:15",
		// 4. prescribing
		"Simvastatin 20 MG Oral Tablet: active, 0 alert(s)",
		"ALERT drug-drug contraindicated (ONC-HP-25)",
		"sign without an override: refused: 1 interruptive alert(s)",
		"sign with an override reason: active, override by dr-weber of ONC-HP-25",
		"ALERT drug-allergy major (ALLERGY_PENICILLINS)",
		// 5. the nurse
		"nurse signs note cl-000009: refused: permission denied",
		"nurse signs rx-000003 with an override: refused: permission denied",
		// 6. transmission
		"rx-000001 transmitted: accepted, pharmacy reference RX-0001, 1 attempt(s)",
		"rx-000002 transmitted: accepted, pharmacy reference RX-0002, 1 attempt(s)",
		// 7. export
		"Patient/pat-000001/$everything: a Bundle of 14 resources",
		"AllergyIntolerance 1, Appointment 1, Condition 1, DocumentReference 2, Encounter 1, MedicationRequest 3, Observation 4, Patient 1",
		// 8. audit
		"audit chain verified",
		"who accessed pat-000001's record today:",
		"note.sign 1 (1 denied)",
		"rx.sign 1 (1 denied)",
	} {
		assert.Contains(t, got, line)
	}
	assert.NotContains(t, got, "rx-000003 transmitted", "a draft is never transmitted")
}

func TestClinicRefusesExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clinic.db")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	var out bytes.Buffer
	err := run(context.Background(), path, &out)
	require.ErrorIs(t, err, errExists)
	assert.Empty(t, out.String())
}
