package rx_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
}

func signedOrder() rx.Order {
	o := medOrder("1049221", "Acetaminophen 325 MG / oxyCODONE Hydrochloride 5 MG Oral Tablet")
	o.ID, o.Status = "o-000007", rx.Active
	o.Authored, o.Signed = t0, t0.Add(5*time.Minute)
	o.Medication.Instructions = "1 tablet every 6 hours | as needed ^ for pain"
	o.Medication.FrequencyPerDay = decimal.NewFromInt(4)
	o.Medication.Refills = 0
	o.Medication.SubstitutionAllowed = false
	o.Reasons = []ehrkit.CodeableConcept{ehrkit.Concept(ehrkit.SystemSNOMED, "22253000", "Pain")}
	return o
}

func TestEncodeRDE(t *testing.T) {
	msg, err := rx.EncodeRDE(signedOrder(), t0.Add(6*time.Minute))
	require.NoError(t, err)
	segs := strings.Split(strings.TrimSuffix(string(msg), "\r"), "\r")
	require.Len(t, segs, 5)
	for i, name := range []string{"MSH", "PID", "ORC", "RXE", "RXR"} {
		assert.True(t, strings.HasPrefix(segs[i], name+"|"), segs[i])
	}
	assert.Equal(t, "RDE^O11^RDE_O11", strings.Split(segs[0], "|")[8])
	assert.Contains(t, segs[3], `\F\ as needed \S\ for pain`, "delimiters in text are escaped")
	golden(t, "rde_o11.hl7", msg)

	_, err = rx.EncodeRDE(labOrder(), t0)
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.True(t, ve.Has("kind", ehrkit.IssueNotSupported))
}

func TestEncodeMedicationRequest(t *testing.T) {
	b, err := rx.EncodeMedicationRequest(signedOrder())
	require.NoError(t, err)
	var r map[string]any
	require.NoError(t, json.Unmarshal(b, &r))
	assert.Equal(t, "MedicationRequest", r["resourceType"])
	assert.Equal(t, "active", r["status"])
	assert.Equal(t, "order", r["intent"])
	assert.Equal(t, "Patient/p1", r["subject"].(map[string]any)["reference"])
	assert.Equal(t, false, r["substitution"].(map[string]any)["allowedBoolean"])
	var pretty strings.Builder
	enc := json.NewEncoder(&pretty)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(r))
	golden(t, "medicationrequest.json", []byte(pretty.String()))

	every2days := signedOrder()
	every2days.Medication.FrequencyPerDay = decimal.RequireFromString("0.5")
	b, err = rx.EncodeMedicationRequest(every2days)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"repeat":{"frequency":1,"period":2,"periodUnit":"d"}`)

	_, err = rx.EncodeMedicationRequest(labOrder())
	require.ErrorIs(t, err, ehrkit.ErrInvalid)
}
