package hl7v2_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/interop/hl7v2"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// signedOrder is a signed oxycodone/acetaminophen prescription whose
// instructions hold HL7 delimiters.
func signedOrder() rx.Order {
	return rx.Order{
		ID: "o-000007", Patient: "p1", Kind: rx.KindMedication, Status: rx.Active, Requester: "dr-1",
		Authored: t0, Signed: t0.Add(5 * time.Minute),
		Medication: &rx.MedicationDetail{
			Medication: ehrkit.Coding{System: ehrkit.SystemRxNorm, Code: "1049221", Display: "Acetaminophen 325 MG / oxyCODONE Hydrochloride 5 MG Oral Tablet"},
			Dose:       ehrkit.Qty("1", "{tablet}"), FrequencyPerDay: decimal.NewFromInt(4), Route: "oral",
			Instructions: "1 tablet every 6 hours | as needed ^ for pain", Quantity: ehrkit.Qty("30", "{tablet}"),
		},
	}
}

func TestRDEEncoder(t *testing.T) {
	msg, ct, err := hl7v2.RDEEncoder{}.Encode(signedOrder())
	require.NoError(t, err)
	assert.Equal(t, hl7v2.MediaTypeER7, ct)
	segs := strings.Split(strings.TrimSuffix(string(msg), "\r"), "\r")
	require.Len(t, segs, 5)
	for i, name := range []string{"MSH", "PID", "ORC", "RXE", "RXR"} {
		assert.True(t, strings.HasPrefix(segs[i], name+"|"), segs[i])
	}
	msh := strings.Split(segs[0], "|")
	assert.Equal(t, "RDE^O11^RDE_O11", msh[8])
	assert.Equal(t, "o-000007", msh[9], "the control id is the order id")
	assert.Equal(t, "20261125090500+0000", msh[6], "the message time is the signing time")
	assert.Equal(t, "N", strings.Split(segs[3], "|")[9], "RXE-9: no substitution")
	assert.Contains(t, segs[3], `\F\ as needed \S\ for pain`, "delimiters in text are escaped")
	golden(t, "rde_o11.hl7", msg)

	again, _, err := hl7v2.RDEEncoder{}.Encode(signedOrder())
	require.NoError(t, err)
	assert.Equal(t, msg, again, "deterministic: a replay sends the same bytes")

	named, _, err := hl7v2.RDEEncoder{Sender: "CLINIC", Receiver: "CORNER|RX"}.Encode(signedOrder())
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(named), `MSH|^~\&|CLINIC||CORNER\F\RX||`), string(named))

	noRoute := signedOrder()
	noRoute.Medication.Route, noRoute.Medication.SubstitutionAllowed = "", true
	msg, _, err = hl7v2.RDEEncoder{}.Encode(noRoute)
	require.NoError(t, err)
	segs = strings.Split(strings.TrimSuffix(string(msg), "\r"), "\r")
	require.Len(t, segs, 4, "no RXR without a route")
	assert.Equal(t, "G", strings.Split(segs[3], "|")[9], "RXE-9: generic substitution allowed")

	var ve *ehrkit.ValidationError
	lab := rx.Order{ID: "o-8", Patient: "p1", Kind: rx.KindLab, Status: rx.Active, Signed: t0}
	_, _, err = hl7v2.RDEEncoder{}.Encode(lab)
	require.ErrorAs(t, err, &ve)
	assert.True(t, ve.Has("kind", ehrkit.IssueNotSupported))
	draft := signedOrder()
	draft.Status, draft.Signed = rx.Draft, time.Time{}
	_, _, err = hl7v2.RDEEncoder{}.Encode(draft)
	require.ErrorAs(t, err, &ve)
	assert.True(t, ve.Has("status", ehrkit.IssueBusinessRule))
}

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
