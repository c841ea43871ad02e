package fhir_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var rxTime = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// prescription is a signed oxycodone/acetaminophen order, four times a day.
func prescription() rx.Order {
	return rx.Order{
		ID: "o-000007", Patient: "p1", Kind: rx.KindMedication, Status: rx.Active, Priority: rx.PriorityRoutine,
		Requester: "dr-1", Authored: rxTime, Signed: rxTime.Add(5 * time.Minute), SignedBy: "u-dr",
		Reasons: []ehrkit.CodeableConcept{ehrkit.Concept(ehrkit.SystemSNOMED, "22253000", "Pain")},
		Alerts:  []rx.Alert{{Rule: "R1", Severity: rx.Minor, Message: "internal"}},
		Medication: &rx.MedicationDetail{
			Medication: ehrkit.Coding{System: ehrkit.SystemRxNorm, Code: "1049221", Display: "Acetaminophen 325 MG / oxyCODONE Hydrochloride 5 MG Oral Tablet"},
			Dose:       ehrkit.Qty("1", "{tablet}"), FrequencyPerDay: decimal.NewFromInt(4), Route: "26643006",
			Instructions: "1 tablet every 6 hours as needed for pain", DurationDays: 7, Quantity: ehrkit.Qty("28", "{tablet}"),
		},
	}
}

func TestPrescriptionEncoder(t *testing.T) {
	enc, err := fhir.NewPrescriptionEncoder()
	require.NoError(t, err)
	b, ct, err := enc.Encode(prescription())
	require.NoError(t, err)
	assert.Equal(t, fhir.MediaTypeJSON, ct)

	codec, err := fhir.NewCodec()
	require.NoError(t, err)
	cr, err := codec.Parse(b)
	require.NoError(t, err, "the prescription is valid R4")
	typ, _ := fhir.ResourceOf(cr)
	assert.Equal(t, "MedicationRequest", typ)

	var r map[string]any
	require.NoError(t, json.Unmarshal(b, &r))
	assert.Equal(t, "active", r["status"])
	assert.Equal(t, "order", r["intent"])
	assert.Equal(t, "Patient/p1", r["subject"].(map[string]any)["reference"])
	assert.Equal(t, false, r["substitution"].(map[string]any)["allowedBoolean"])
	assert.NotContains(t, r, "extension", "the ehrkit order state stays home")
	var pretty bytes.Buffer
	require.NoError(t, json.Indent(&pretty, b, "", "  "))
	pretty.WriteByte('\n')
	golden(t, "prescription.json", pretty.Bytes())

	again, _, err := enc.Encode(prescription())
	require.NoError(t, err)
	assert.Equal(t, b, again, "deterministic: a replay sends the same bytes")

	var ve *ehrkit.ValidationError
	draft := prescription()
	draft.Status, draft.Signed = rx.Draft, time.Time{}
	_, _, err = enc.Encode(draft)
	require.ErrorAs(t, err, &ve)
	assert.True(t, ve.Has("status", ehrkit.IssueBusinessRule))
	assert.True(t, ve.Has("signed", ehrkit.IssueBusinessRule))
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

// pharmacy keeps what it receives and accepts it.
type pharmacy struct{ got []rx.Prescription }

func (p *pharmacy) Transmit(_ context.Context, pr rx.Prescription) (rx.Ack, error) {
	p.got = append(p.got, pr)
	return rx.Ack{Status: rx.Accepted, Reference: "ph-" + pr.Order.ID}, nil
}

// TestDispatchFHIR wires the rx Dispatcher with the FHIR encoder: the pharmacy
// receives the signed order as a valid MedicationRequest.
func TestDispatchFHIR(t *testing.T) {
	ctx := access.WithPrincipal(context.Background(), access.Principal{Kind: access.User, ID: "u-dr", Roles: []string{"physician"}})
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		s = access.Trusted(s)
		reg, err := patient.NewService(s)
		require.NoError(t, err)
		_, err = reg.Register(ctx, patient.Patient{ID: "p1", Active: true, Names: []ehrkit.HumanName{{Family: "Doe"}}, BirthDate: ehrkit.MustDate("1970-05-01")})
		require.NoError(t, err)
		svc, err := rx.NewService(s, rx.Shipped())
		require.NoError(t, err)
		o := prescription()
		o.ID, o.Status, o.Signed, o.SignedBy, o.Alerts = "", "", time.Time{}, "", nil
		o, err = svc.Draft(ctx, o)
		require.NoError(t, err)
		_, err = svc.Sign(ctx, o.ID, "")
		require.NoError(t, err)

		enc, err := fhir.NewPrescriptionEncoder()
		require.NoError(t, err)
		ph := &pharmacy{}
		d, err := rx.NewDispatcher(s, enc, ph)
		require.NoError(t, err)
		_, err = d.Poll(ctx)
		require.NoError(t, err)
		require.Len(t, ph.got, 1)
		assert.Equal(t, fhir.MediaTypeJSON, ph.got[0].ContentType)
		codec, err := fhir.NewCodec()
		require.NoError(t, err)
		_, err = codec.Parse(ph.got[0].Message)
		require.NoError(t, err)
		var r struct {
			ID, Status string
		}
		require.NoError(t, json.Unmarshal(ph.got[0].Message, &r))
		assert.Equal(t, o.ID, r.ID)
		assert.Equal(t, "active", r.Status)
	})
}
