package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/internal/workload"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/memstore"
)

// TestImportKeepsFileOrder: an NDJSON file lists each patient before the
// resources that name it, so an uninterrupted import refuses none of them,
// however many goroutines parse (the parsed resources are cut into
// transactions in file order, not in the order the parsers finish).
func TestImportKeepsFileOrder(t *testing.T) {
	var file bytes.Buffer
	require.NoError(t, workload.WriteImport(&file, 400))
	ctx := workload.As(context.Background(), workload.Feed)
	im := fhir.NewImporter(access.Trusted(memstore.New()), fhir.WithWorkers(8), fhir.WithBatchSize(2))
	require.NoError(t, im.ImportNDJSON(ctx, &file, "import.ndjson"))
	assert.Empty(t, im.Report().Failed)
}

// TestDispatchAfterMerge: a prescription signed for a patient who is merged
// into another before the dispatcher runs still reaches the pharmacy, once,
// under the surviving patient (the order as the merge re-pointed it), and its
// transmission is the survivor's; an event naming an order that was never in
// its patient's compartment is still dropped.
func TestDispatchAfterMerge(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		c, err := workload.New(s)
		require.NoError(t, err)
		rng := rand.New(rand.NewPCG(5, 5))
		var ids [3]patient.ID
		for i := range ids {
			a, err := c.Register(ctx, rng)
			require.NoError(t, err)
			ids[i] = patient.ID(a.ID)
		}
		src, dst, other := ids[0], ids[1], ids[2]
		signed, err := c.SignFor(ctx, src, workload.Drugs[3], false)
		require.NoError(t, err)
		_, err = c.MergeInto(ctx, src, dst)
		require.NoError(t, err)
		// An event naming the order under a patient it never belonged to.
		payload, err := json.Marshal(map[string]string{"order": signed.ID})
		require.NoError(t, err)
		require.NoError(t, access.Trusted(s).Update(ctx, func(tx storage.Tx) error {
			return tx.Emit(ctx, storage.Event{Topic: rx.TopicPrescription, Key: "forged", Compartment: string(other), Payload: payload})
		}))

		sent := map[string]patient.ID{}
		enc, err := fhir.NewPrescriptionEncoder()
		require.NoError(t, err)
		d, err := rx.NewDispatcher(access.Trusted(s), enc, pharmacyFunc(func(_ context.Context, p rx.Prescription) (rx.Ack, error) {
			_, twice := sent[p.Order.ID]
			assert.False(t, twice, "sent twice")
			sent[p.Order.ID] = p.Order.Patient
			return rx.Ack{Status: rx.Accepted}, nil
		}))
		require.NoError(t, err)
		for {
			n, err := d.Poll(workload.As(ctx, workload.Feed))
			require.NoError(t, err)
			if n == 0 {
				break
			}
		}
		assert.Equal(t, map[string]patient.ID{signed.ID: dst}, sent)
		orders, err := rx.NewService(access.Trusted(s), rx.Shipped())
		require.NoError(t, err)
		tr, err := orders.Transmission(ctx, signed.ID)
		require.NoError(t, err)
		assert.Equal(t, rx.Accepted, tr.Status)
		assert.Equal(t, dst, tr.Patient)
	})
}
