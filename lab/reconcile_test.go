package lab_test

import (
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReceiveAndReconcile(t *testing.T) {
	clock := ehrkit.NewFakeClock(t0)
	testbackends.RunClock(t, clock, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, clock)
		pats, err := patient.NewService(s)
		require.NoError(t, err)
		p, err := pats.Get(e.ctx, e.p)
		require.NoError(t, err)
		require.NotEmpty(t, p.Identifiers)
		mrn := p.Identifiers[0]
		report := func(id string) lab.Report {
			return lab.Report{ID: id, Status: lab.ReportFinal, Code: loinc(lab.LOINCPotassium), Effective: t0, Results: []lab.Result{potassium(id+"-k", "4.0")}}
		}
		receive := func(in lab.Incoming) (patient.ID, string) {
			var got patient.ID
			var queued string
			require.NoError(t, e.store.Update(e.ctx, func(tx storage.Tx) error {
				var err error
				got, queued, err = e.lab.Receive(e.ctx, tx, in)
				return err
			}))
			return got, queued
		}
		got, queued := receive(lab.Incoming{Report: report("u1"), Named: patient.Named{Identifiers: []ehrkit.Identifier{mrn}, BirthDate: p.BirthDate}})
		assert.Equal(t, e.p, got)
		assert.Empty(t, queued)

		_, queued = receive(lab.Incoming{Report: report("u2"), Named: patient.Named{Identifiers: []ehrkit.Identifier{{System: "urn:oid:1.2.3", Value: "999"}}}})
		assert.Equal(t, "u2", queued)
		_, queued = receive(lab.Incoming{Report: report("u3"), Named: patient.Named{Identifiers: []ehrkit.Identifier{mrn}, BirthDate: ehrkit.NewDate(1999, time.January, 1)}})
		assert.Equal(t, "u3", queued, "an identifier match whose birth date differs is not confident")

		open, err := e.lab.Queue(e.ctx)
		require.NoError(t, err)
		require.Len(t, open, 2)
		reasons := map[string]string{open[0].ID: open[0].Reason, open[1].ID: open[1].Reason}
		assert.Equal(t, map[string]string{"u2": "no-match", "u3": "demographics-differ"}, reasons)
		_, err = s.Get(e.ctx, clinical.ObservationType, "u2-k")
		assert.ErrorIs(t, err, ehrkit.ErrNotFound, "a queued result is in no chart")

		require.NoError(t, e.lab.Resolve(e.ctx, "u2", e.p))
		r, err := e.lab.Report(e.ctx, "u2")
		require.NoError(t, err)
		assert.Equal(t, e.p, r.Patient)
		open, err = e.lab.Queue(e.ctx)
		require.NoError(t, err)
		assert.Len(t, open, 1)
		assert.Error(t, e.lab.Resolve(e.ctx, "u2", e.p), "an entry is resolved once")
	})
}
