package reliability

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/workload"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/storage/memstore"
)

// knownEnv enables tests of open defects, which fail until they are fixed.
const knownEnv = "EHRKIT_KNOWN_DEFECTS"

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
// into another before the dispatcher runs still reaches the pharmacy. Open
// defect: the dispatcher drops the event, whose patient is no longer the
// order's ("the event's patient is not the order's"). Run with
// EHRKIT_KNOWN_DEFECTS=1.
func TestDispatchAfterMerge(t *testing.T) {
	if os.Getenv(knownEnv) == "" {
		t.Skip("open defect of rx's Dispatcher: set " + knownEnv + "=1 to run")
	}
	ctx := context.Background()
	s := memstore.New()
	c, err := workload.New(s)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(5, 5))
	src, err := c.Register(ctx, rng)
	require.NoError(t, err)
	dst, err := c.Register(ctx, rng)
	require.NoError(t, err)
	signed, err := c.SignFor(ctx, patient.ID(src.ID), workload.Drugs[3], false)
	require.NoError(t, err)
	_, err = c.MergeInto(ctx, patient.ID(src.ID), patient.ID(dst.ID))
	require.NoError(t, err)

	var sent []string
	enc, err := fhir.NewPrescriptionEncoder()
	require.NoError(t, err)
	d, err := rx.NewDispatcher(access.Trusted(s), enc, pharmacyFunc(func(_ context.Context, p rx.Prescription) (rx.Ack, error) {
		sent = append(sent, p.Order.ID)
		return rx.Ack{Status: rx.Accepted}, nil
	}))
	require.NoError(t, err)
	_, err = d.Poll(workload.As(ctx, workload.Feed))
	require.NoError(t, err)
	assert.Equal(t, []string{signed.ID}, sent)
}
