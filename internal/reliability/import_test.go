package reliability

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/workload"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/storage/memstore"
)

// knownEnv enables tests of open defects, which fail until they are fixed.
const knownEnv = "EHRKIT_KNOWN_DEFECTS"

// TestImportKeepsFileOrder: an NDJSON file lists each patient before the
// resources that name it, so an uninterrupted import refuses none of them,
// however many goroutines parse. Open defect: parsed resources are cut into
// transactions in the order the parsers finish, so a condition can reach an
// earlier transaction than its patient and is refused ("subject: no such
// patient"). Run with EHRKIT_KNOWN_DEFECTS=1.
func TestImportKeepsFileOrder(t *testing.T) {
	if os.Getenv(knownEnv) == "" {
		t.Skip("open defect of interop/fhir's Importer: set " + knownEnv + "=1 to run")
	}
	var file bytes.Buffer
	require.NoError(t, workload.WriteImport(&file, 400))
	ctx := workload.As(context.Background(), workload.Feed)
	im := fhir.NewImporter(access.Trusted(memstore.New()), fhir.WithWorkers(8), fhir.WithBatchSize(2))
	require.NoError(t, im.ImportNDJSON(ctx, &file, "import.ndjson"))
	assert.Empty(t, im.Report().Failed)
}
