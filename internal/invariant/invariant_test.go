package invariant_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/invariant"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/internal/workload"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/schedule"
	"github.com/ehrkit/ehrkit/storage"
)

// TestCheckFindsEachBreak: a clinic's store passes; then each write that
// bypasses a write path is reported under its rule, on every backend.
func TestCheckFindsEachBreak(t *testing.T) {
	for _, b := range testbackends.All() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := workload.As(context.Background(), access.Principal{Kind: access.System, ID: "test"})
			s := b.Open(t, ehrkit.RealClock{})
			c, err := workload.New(s)
			require.NoError(t, err)
			require.NoError(t, c.Setup(ctx))
			rng := rand.New(rand.NewPCG(7, 7))
			var booked, registered []workload.Ack
			for len(booked) < 2 || len(registered) < 2 {
				ack, err := c.Step(ctx, rng)
				if err != nil {
					require.True(t, workload.Expected(err), "%v", err)
					continue
				}
				switch ack.Op {
				case workload.OpBook:
					booked = append(booked, ack)
				case workload.OpRegister:
					registered = append(registered, ack)
				}
			}
			require.NoError(t, invariant.Check(ctx, s))

			put := func(rec storage.Record) {
				require.NoError(t, s.Update(ctx, func(tx storage.Tx) error {
					_, err := tx.Put(ctx, rec, storage.Any)
					return err
				}))
			}
			// A booking without its ledger entry: the appointment rewritten to
			// another day behind the service's back.
			rec, err := s.Get(ctx, schedule.RecordAppointment, booked[0].ID)
			require.NoError(t, err)
			a, err := schedule.AppointmentRecords.Decode(rec)
			require.NoError(t, err)
			a.Start, a.End = a.Start.AddDate(0, 0, 1), a.End.AddDate(0, 0, 1)
			next := storage.Record{Type: rec.Type, ID: rec.ID, Compartment: rec.Compartment, Terms: schedule.AppointmentRecords.Meta(&a).Terms}
			next.Value = envelope(t, a)
			put(next)
			// A second patient claiming the first one's MRN, with the terms the
			// registry derives.
			p2, err := patient.Records.Decode(get(t, s, patient.RecordType, registered[1].ID))
			require.NoError(t, err)
			p2.Identifiers[0].Value = registered[0].Detail
			put(storage.Record{Type: patient.RecordType, ID: string(p2.ID), Compartment: string(p2.ID),
				Terms: append(patient.Records.Meta(&p2).Terms, storage.Term{Name: access.FacilityTerm, Value: workload.Facility}), Value: envelope(t, p2)})

			err = invariant.Check(ctx, s)
			var ie *invariant.Error
			require.ErrorAs(t, err, &ie)
			for _, rule := range []invariant.Rule{invariant.RuleLedger, invariant.RuleIdentifier} {
				assert.True(t, ie.Has(rule), "%s not reported: %v", rule, err)
			}
			assert.False(t, ie.Has(invariant.RuleCheckAborted), "%v", err)

			if b.Overwrite != nil { // an audit event edited in the database
				b.Overwrite(t, s, access.AuditEventType, "000000000001", 1, []byte(`{"v":1,"d":{}}`))
				require.ErrorAs(t, invariant.Check(ctx, s), &ie)
				assert.True(t, ie.Has(invariant.RuleAudit), "%v", ie)
			}
		})
	}
}

func get(t *testing.T, s storage.Store, typ, id string) storage.Record {
	t.Helper()
	rec, err := s.Get(workload.As(context.Background(), access.Principal{Kind: access.System, ID: "test"}), typ, id)
	require.NoError(t, err)
	return rec
}

// envelope encodes v as the storage encoding does (storage.Kind).
func envelope(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(struct {
		V int `json:"v"`
		D any `json:"d"`
	}{1, v})
	require.NoError(t, err)
	return b
}
