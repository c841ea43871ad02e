package fhir_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/directory"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/storage"
)

// dirtyNDJSON is migration data with terminology problems only (the
// observation category "vital-sign", which is not a FHIR code, and an NPI
// failing its check digit) beside a structural one (an observation without
// a code).
var dirtyNDJSON = strings.Join([]string{
	`{"resourceType":"Patient","id":"p1","name":[{"family":"Dirty"}]}`,
	strings.Replace(heartRate("hr-1", "p1", "72", ""), `"code":"vital-signs"`, `"code":"vital-sign"`, 1),
	`{"resourceType":"Practitioner","id":"dr-1","name":[{"family":"Greenfelder"}],"identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"190"}]}`,
	`{"resourceType":"Observation","id":"no-code","status":"final","code":{"text":""},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-03-02T09:00:00Z"}`,
}, "\n")

// TestLenientImport: strict (the default) refuses resources with terminology
// problems; Lenient stores them as sent, labelled, with a warning naming the
// field, and still refuses structural problems.
func TestLenientImport(t *testing.T) {
	ctx := importing()
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		strict := fhir.NewImporter(access.Trusted(s), fhir.WithWorkers(1))
		require.NoError(t, strict.ImportNDJSON(ctx, strings.NewReader(dirtyNDJSON), "dirty.ndjson"))
		rep := strict.Report()
		assert.Equal(t, map[string]int{"Patient": 1}, rep.Imported)
		require.Len(t, rep.Failed, 3)
		assert.Empty(t, rep.Warnings)
		_, err := s.Get(ctx, clinical.ObservationType, "hr-1")
		require.ErrorIs(t, err, ehrkit.ErrNotFound, "strict stores nothing of a refused resource")

		lenient := fhir.NewImporter(access.Trusted(s), fhir.WithWorkers(1), fhir.Lenient())
		require.NoError(t, lenient.ImportNDJSON(ctx, strings.NewReader(dirtyNDJSON), "dirty.ndjson"))
		rep = lenient.Report()
		assert.Equal(t, map[string]int{"Observation": 1, "Practitioner": 1}, rep.Imported)
		require.Len(t, rep.Failed, 1, "a structural problem still fails")
		assert.Equal(t, 4, rep.Failed[0].Entry)
		require.Len(t, rep.Warnings, 2)
		assert.Equal(t, 2, rep.Warnings[0].Entry)
		assert.Contains(t, rep.Warnings[0].Issues[0], "(code-invalid)")
		assert.Equal(t, "Practitioner", rep.Warnings[1].Type)
		assert.Contains(t, rep.Warnings[1].Issues[0], "identifier[0].value")

		for _, key := range [][2]string{{clinical.ObservationType, "hr-1"}, {directory.PractitionerType, "dr-1"}} {
			rec, err := s.Get(ctx, key[0], key[1])
			require.NoError(t, err)
			assert.True(t, rec.HasLabel(ehrkit.LabelUnverifiedCode), "%s is labelled", key)
		}
		obs, err := clinical.NewService(access.Trusted(s)).Observation(ctx, "hr-1")
		require.NoError(t, err)
		require.Len(t, obs.Categories, 1)
		assert.Equal(t, "vital-sign", obs.Categories[0], "the sender's code is kept as sent")

		// The corrected resource, imported strictly, drops the label.
		fixed := heartRate("hr-1", "p1", "72", "")
		again := fhir.NewImporter(access.Trusted(s), fhir.WithWorkers(1))
		require.NoError(t, again.ImportNDJSON(ctx, strings.NewReader(fixed), "fixed.ndjson"))
		require.Empty(t, again.Report().Failed)
		rec, err := s.Get(ctx, clinical.ObservationType, "hr-1")
		require.NoError(t, err)
		assert.False(t, rec.HasLabel(ehrkit.LabelUnverifiedCode))
	})
}

// TestLenientOnlyWaivesTerminology: the services accept a terminology problem
// only under ehrkit.Lenient.
func TestLenientOnlyWaivesTerminology(t *testing.T) {
	s := access.Trusted(testbackends.All()[0].Open(t, ehrkit.RealClock{}))
	d := directory.NewService(s)
	bad := directory.Practitioner{ID: "dr-2", Names: []ehrkit.HumanName{{Family: "X"}}, Identifiers: []ehrkit.Identifier{{System: ehrkit.SystemNPI, Value: "190"}}}
	ctx := importing()
	err := s.Update(ctx, func(tx storage.Tx) error { _, err := d.Practitioners.Save(ctx, tx, bad); return err })
	require.True(t, ehrkit.Waivable(err), "%v", err)
	err = s.Update(ctx, func(tx storage.Tx) error { _, err := d.Practitioners.Save(ehrkit.Lenient(ctx), tx, bad); return err })
	require.NoError(t, err)
	bad.Names = nil
	err = s.Update(ctx, func(tx storage.Tx) error { _, err := d.Practitioners.Save(ehrkit.Lenient(ctx), tx, bad); return err })
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.True(t, ve.Has("name", ehrkit.IssueRequired))
}
