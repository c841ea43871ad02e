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
	var out, errb bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"-script", "-db", filepath.Join(t.TempDir(), "clinic.db")}, &out, &errb), errb.String())
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
		// 3. the visit: flags where there are some, nothing where there are none
		"vital Body height: 172 cm\n",
		"vital Body weight: 81 kg\n",
		"Systolic blood pressure: 142 mm[Hg] [H]\n",
		"Body mass index (BMI) [Ratio]: 27.4 kg/m2 [H]\n",
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
		// 8. audit: each act once as a decision and once as an act, and the
		// summary says it counts them apart
		"audit chain verified",
		"who accessed pat-000001's record today (record accesses; permission decisions and recorded acts counted apart):",
		// The signing refused for its alert ran in a transaction that rolled
		// back, its granted decision with it: two rx.sign decisions remain.
		"decisions: note.sign 1, rx.override 1, rx.sign 2\n",
		"acts: note.sign 1, rx.override 1, rx.sign 2\n",
		"decisions: note.sign 1 (1 denied), rx.sign 1 (1 denied)\n",
	} {
		assert.Contains(t, got, line)
	}
	assert.NotContains(t, got, "[]", "no empty flag lists")
	assert.NotContains(t, got, "rx-000003 transmitted", "a draft is never transmitted")
	assert.NotContains(t, got, "temporary file", "a -db file is kept")
}

func TestClinicRefusesExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clinic.db")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	var out bytes.Buffer
	require.ErrorIs(t, play(context.Background(), path, &out), errExists)
	assert.Empty(t, out.String())

	var errb bytes.Buffer
	assert.Equal(t, 1, run(context.Background(), []string{"-script", "-db", path}, &out, &errb))
	assert.Contains(t, errb.String(), path)
	assert.Contains(t, errb.String(), "already exists")
}

// TestClinicUnopenableDB: a -db file that cannot be created is named in the
// error.
func TestClinicUnopenableDB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no-such-folder", "clinic.db")
	var out, errb bytes.Buffer
	assert.Equal(t, 1, run(context.Background(), []string{"-script", "-db", path}, &out, &errb))
	assert.Contains(t, errb.String(), "open "+path)
}

// TestClinicRemovesItsTemporaryStore: without -db the day runs in a
// temporary folder that is gone afterwards.
func TestClinicRemovesItsTemporaryStore(t *testing.T) {
	if testing.Short() {
		t.Skip("plays the whole day")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var out, errb bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"-script"}, &out, &errb), errb.String())
	assert.Contains(t, out.String(), "store: SQLite "+tmp)
	assert.Contains(t, out.String(), "has been removed")
	left, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, left, "nothing is left in the temporary folder")
}

func TestClinicUsage(t *testing.T) {
	var out, errb bytes.Buffer
	assert.Equal(t, 2, run(context.Background(), []string{"extra"}, &out, &errb))
	assert.Equal(t, 2, run(context.Background(), []string{"-nope"}, &out, &errb))
	assert.Empty(t, out.String())
}
