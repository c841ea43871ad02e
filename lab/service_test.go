package lab_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// orders is an OrderSource over a fixed table.
type orders map[string]lab.Order

func (o orders) LabOrder(_ context.Context, _ storage.Reader, placer string) (lab.Order, error) {
	if v, ok := o[placer]; ok {
		return v, nil
	}
	return lab.Order{}, fmt.Errorf("order %s: %w", placer, ehrkit.ErrNotFound)
}

type env struct {
	ctx   context.Context
	store storage.Store
	clock *ehrkit.FakeClock
	lab   *lab.Service
	chart *clinical.Service
	p     patient.ID
}

func newEnv(t *testing.T, s storage.Store, clock *ehrkit.FakeClock) env {
	t.Helper()
	ctx := access.WithPrincipal(t.Context(), access.Principal{ID: "dr-a", Kind: access.User, Roles: []string{access.RolePhysician}})
	store := access.Trusted(s)
	pats, err := patient.NewService(store, patient.WithClock(clock))
	require.NoError(t, err)
	p, err := pats.Register(ctx, patient.Patient{Names: []ehrkit.HumanName{{Family: "Rivera", Given: []string{"Ana"}}},
		Gender: patient.GenderFemale, BirthDate: ehrkit.NewDate(1970, time.May, 1)})
	require.NoError(t, err)
	chart := clinical.NewService(store, clinical.WithClock(clock))
	svc := lab.NewService(store, chart, lab.WithClock(clock), lab.WithEscalation(15*time.Minute, "dr-backup"),
		lab.WithOrders(orders{"ord-1": {ID: "ord-1", Patient: p.ID, Requester: "dr-a"}, "ord-x": {ID: "ord-x", Patient: "someone-else", Requester: "dr-z"}}))
	return env{ctx: ctx, store: store, clock: clock, lab: svc, chart: chart, p: p.ID}
}

func loinc(code string) ehrkit.CodeableConcept { return ehrkit.Concept(ehrkit.SystemLOINC, code, "") }

func potassium(id, value string, flags ...string) lab.Result {
	return lab.Result{ID: id, Code: loinc(lab.LOINCPotassium), Value: qty(value, "mmol/L"), Status: clinical.ObservationFinal, Interpretation: flags}
}

func (e env) save(t *testing.T, r lab.Report) error {
	t.Helper()
	return e.store.Update(e.ctx, func(tx storage.Tx) error { _, err := e.lab.SaveReport(e.ctx, tx, r); return err })
}

func events(t *testing.T, s storage.Store, topic string) []lab.Notification {
	t.Helper()
	changes, err := s.Changes(t.Context(), 0, 1000)
	require.NoError(t, err)
	var out []lab.Notification
	for _, c := range changes {
		if c.Kind == storage.ChangeEvent && c.Topic == topic {
			var n lab.Notification
			require.NoError(t, json.Unmarshal(c.Payload, &n))
			out = append(out, n)
		}
	}
	return out
}

func TestSaveReport(t *testing.T) {
	clock := ehrkit.NewFakeClock(t0)
	testbackends.RunClock(t, clock, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, clock)
		bmp := lab.Report{ID: "r1", Patient: e.p, Status: lab.ReportFinal, Code: loinc("24323-8"), Effective: t0, Placer: "ord-1", Filler: "F100",
			Results: []lab.Result{
				potassium("", "6.5"), // critical, no sender flag: computed HH
				{Code: loinc(lab.LOINCSodium), Value: qty("150", "mmol/L"), Status: clinical.ObservationFinal, Interpretation: []string{"N"}}, // sender says N, ehrkit H
				{Code: loinc(lab.LOINCGlucose), Value: qty("90", "mg/dL"), Status: clinical.ObservationPreliminary},
			}}
		require.NoError(t, e.save(t, bmp))

		r, err := e.lab.Report(e.ctx, "r1")
		require.NoError(t, err)
		assert.Equal(t, "ord-1", r.Order)
		assert.False(t, r.Unsolicited)
		assert.Equal(t, "dr-a", r.Requester)
		require.Len(t, r.Results, 3)
		assert.Equal(t, "r1-1", r.Results[0].ID)
		assert.Equal(t, lab.FlagCriticalHigh, r.Results[0].Computed)
		assert.True(t, r.Results[0].Critical())
		assert.Equal(t, lab.FlagHigh, r.Results[1].Computed)
		assert.True(t, r.Results[1].Disagrees, "the sender's N disagrees with the computed H")

		obs, err := e.chart.Observations(e.ctx, e.p, ehrkit.Coding{})
		require.NoError(t, err)
		byID := map[string]clinical.Observation{}
		for _, o := range obs {
			byID[o.ID] = o
		}
		assert.Equal(t, []string{"HH"}, byID["r1-1"].Interpretation, "a computed flag fills the gap")
		assert.Equal(t, []string{"N"}, byID["r1-2"].Interpretation, "the sender's flag is kept as sent")
		assert.Equal(t, []string{clinical.CategoryLaboratory}, byID["r1-3"].Categories)

		notes := events(t, s, lab.TopicResult)
		require.Len(t, notes, 2, "final results only, not the preliminary one")
		assert.Equal(t, "dr-a", notes[0].To)
		assert.True(t, notes[0].Urgent)
		assert.False(t, notes[1].Urgent)

		// Saving the same report again changes nothing and tells nobody again.
		require.NoError(t, e.save(t, bmp))
		assert.Len(t, events(t, s, lab.TopicResult), 2)

		// A correction is a new version; the old value stays in the history.
		corrected := bmp
		corrected.Status = lab.ReportCorrected
		corrected.Results = []lab.Result{potassium("r1-1", "4.0"), bmp.Results[1], bmp.Results[2]}
		corrected.Results[0].Status = clinical.ObservationCorrected
		require.NoError(t, e.save(t, corrected))
		hist, err := s.History(e.ctx, clinical.ObservationType, "r1-1")
		require.NoError(t, err)
		require.Len(t, hist, 2)
		old, err := clinical.ObservationRecords.Decode(hist[0])
		require.NoError(t, err)
		assert.Equal(t, "6.5", old.Value.Quantity.Value.String())
		assert.Len(t, events(t, s, lab.TopicResult), 3)
	})
}

func TestSaveReportOrdersAndDelta(t *testing.T) {
	clock := ehrkit.NewFakeClock(t0)
	testbackends.RunClock(t, clock, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, clock)
		require.NoError(t, e.save(t, lab.Report{ID: "r1", Patient: e.p, Status: lab.ReportFinal, Code: loinc(lab.LOINCPotassium), Effective: t0,
			Placer: "unknown-order", Results: []lab.Result{potassium("k1", "4.0")}}))
		r, err := e.lab.Report(e.ctx, "r1")
		require.NoError(t, err)
		assert.True(t, r.Unsolicited, "a report of no ehrkit order is kept and flagged")

		require.NoError(t, e.save(t, lab.Report{ID: "r2", Patient: e.p, Status: lab.ReportFinal, Code: loinc(lab.LOINCPotassium), Effective: t0.Add(24 * time.Hour),
			Results: []lab.Result{potassium("k2", "5.5")}}))
		r, err = e.lab.Report(e.ctx, "r2")
		require.NoError(t, err)
		require.NotNil(t, r.Results[0].Delta)
		assert.Equal(t, "k1", r.Results[0].Delta.Previous)
		assert.True(t, r.Results[0].Delta.Exceeded)

		err = e.save(t, lab.Report{ID: "r3", Patient: e.p, Status: lab.ReportFinal, Code: loinc(lab.LOINCPotassium), Effective: t0, Placer: "ord-x",
			Results: []lab.Result{potassium("k3", "4.0")}})
		var ve *ehrkit.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("placer", ehrkit.IssueBusinessRule), "never attached to another patient's order")
	})
}

func TestSaveReportInvalid(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, ehrkit.NewFakeClock(t0))
		err := e.save(t, lab.Report{ID: "r1", Patient: "nobody", Status: "done", Effective: t0, Results: []lab.Result{
			{ID: "a", Code: ehrkit.Concept(ehrkit.SystemLOINC, "2823-4", ""), Type: lab.TypeNumeric, Value: clinical.TextValue("x"), Status: clinical.ObservationFinal},
			{ID: "a", Code: ehrkit.Concept(ehrkit.SystemSNOMED, "260385009", ""), Type: lab.TypeEncoded, Status: clinical.ObservationFinal},
		}})
		var ve *ehrkit.ValidationError
		require.ErrorAs(t, err, &ve)
		for _, want := range []struct {
			path string
			code ehrkit.IssueCode
		}{
			{"status", ehrkit.IssueCodeInvalid}, {"code", ehrkit.IssueRequired},
			{"results[0].value.kind", ehrkit.IssueValue}, {"results[1].code", ehrkit.IssueCodeInvalid},
			{"results[1].attachment", ehrkit.IssueRequired}, {"results[1].id", ehrkit.IssueDuplicate},
		} {
			assert.True(t, ve.Has(want.path, want.code), "%s %s in %v", want.path, want.code, ve.Issues)
		}
		_, err = s.Get(e.ctx, lab.ReportType, "r1")
		assert.ErrorIs(t, err, ehrkit.ErrNotFound, "nothing is written")
	})
}

func TestCriticalEscalation(t *testing.T) {
	clock := ehrkit.NewFakeClock(t0)
	testbackends.RunClock(t, clock, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, clock)
		require.NoError(t, e.save(t, lab.Report{ID: "r1", Patient: e.p, Status: lab.ReportFinal, Code: loinc(lab.LOINCPotassium), Effective: t0, Placer: "ord-1",
			Results: []lab.Result{potassium("k1", "2.1"), potassium("k2", "7.0", "HH")}}))
		open, err := e.lab.Alerts(e.ctx, e.p)
		require.NoError(t, err)
		require.Len(t, open, 2)

		clock.Advance(10 * time.Minute)
		n, err := e.lab.Escalate(e.ctx)
		require.NoError(t, err)
		assert.Zero(t, n, "not yet due")
		a, err := e.lab.Acknowledge(e.ctx, open[0].ID)
		require.NoError(t, err)
		assert.Equal(t, lab.AlertAcknowledged, a.Status)
		assert.Equal(t, "dr-a", a.By)

		clock.Advance(10 * time.Minute)
		n, err = e.lab.Escalate(e.ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, n, "only the unacknowledged alert escalates")
		esc := events(t, s, lab.TopicEscalated)
		require.Len(t, esc, 1)
		assert.Equal(t, "dr-backup", esc[0].To)
		assert.Equal(t, open[1].ID, esc[0].Alert)
		n, err = e.lab.Escalate(e.ctx)
		require.NoError(t, err)
		assert.Zero(t, n, "an alert escalates once")
	})
}
