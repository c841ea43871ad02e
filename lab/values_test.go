package lab_test

import (
	"context"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestValueTypes files one result of each value type: ED results stay on the
// report (no chart observation), the others reach the chart.
func TestValueTypes(t *testing.T) {
	clock := ehrkit.NewFakeClock(t0)
	testbackends.RunClock(t, clock, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, clock)
		titer := clinical.RangeValue(ehrkit.Qty("1", "{titer}"), ehrkit.Qty("128", "{titer}"))
		pos := clinical.CodedValue(ehrkit.Concept(ehrkit.SystemSNOMED, "10828004", "Positive"))
		r := lab.Report{ID: "r1", Patient: e.p, Status: lab.ReportFinal, Code: loinc("24323-8"), Effective: t0,
			Specimen:  &lab.Specimen{ID: "S1", Type: ehrkit.Coding{System: ehrkit.SystemSNOMED, Code: "119364003"}, Collected: t0},
			Performer: []ehrkit.Reference{ehrkit.Ref("Organization", "lab-1")},
			Results: []lab.Result{
				{Type: lab.TypeNumeric, Code: loinc(lab.LOINCSodium), Value: qty("140", "mmol/L"), Status: clinical.ObservationFinal},
				{Type: lab.TypeStructured, Code: loinc(lab.LOINCTroponinI), Value: cmpQty(">", "50", "ng/mL"), Status: clinical.ObservationFinal},
				{Type: lab.TypeStructured, Code: loinc("5370-2"), Value: titer, Status: clinical.ObservationFinal},
				{Type: lab.TypeCodedWith, Code: loinc("600-7"), Value: pos, Status: clinical.ObservationFinal, Range: &lab.ReferenceRange{Critical: []ehrkit.Coding{pos.Concept.Coding[0]}}},
				{Type: lab.TypeText, Code: loinc("600-7"), Value: clinical.TextValue("see comment"), Status: clinical.ObservationFinal},
				{Type: lab.TypeEncoded, Code: loinc("600-7"), Attachment: &lab.Attachment{ContentType: "application/pdf", Data: []byte("%PDF-1.4")}, Status: clinical.ObservationFinal},
			}}
		require.NoError(t, e.save(t, r))
		got, err := e.lab.Report(e.ctx, "r1")
		require.NoError(t, err)
		assert.Equal(t, lab.FlagHigh, got.Results[1].Computed)
		assert.Equal(t, lab.FlagCriticalAbnormal, got.Results[3].Computed)
		assert.Equal(t, "S1", got.Specimen.ID)
		assert.Equal(t, []string{"r1-1", "r1-2", "r1-3", "r1-4", "r1-5"}, got.Observations, "the ED result is no chart observation")
		_, err = s.Get(e.ctx, clinical.ObservationType, "r1-6")
		assert.ErrorIs(t, err, ehrkit.ErrNotFound)
	})
}

// TestEscalatorRun escalates on its first pass and stops with its context.
func TestEscalatorRun(t *testing.T) {
	clock := ehrkit.NewFakeClock(t0)
	testbackends.RunClock(t, clock, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, clock)
		require.NoError(t, e.save(t, lab.Report{ID: "r1", Patient: e.p, Status: lab.ReportFinal, Code: loinc(lab.LOINCPotassium), Effective: t0,
			Results: []lab.Result{potassium("k1", "7.0")}}))
		// Sending the result again keeps its alert as it is.
		require.NoError(t, e.save(t, lab.Report{ID: "r1", Patient: e.p, Status: lab.ReportFinal, Code: loinc(lab.LOINCPotassium), Effective: t0,
			Results: []lab.Result{potassium("k1", "7.0")}, Conclusion: "repeat"}))
		clock.Advance(time.Hour)
		ctx, cancel := context.WithTimeout(e.ctx, 300*time.Millisecond)
		defer cancel()
		err := lab.Escalator{Service: e.lab, Interval: 10 * time.Millisecond}.Run(ctx)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		alerts, err := e.lab.Alerts(e.ctx, e.p)
		require.NoError(t, err)
		require.Len(t, alerts, 1)
		assert.Equal(t, lab.AlertEscalated, alerts[0].Status)
	})
}
