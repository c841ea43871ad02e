package fhir_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bundleOf is a Bundle of type typ holding a valid patient, an invalid one
// (an unknown gender) and an observation of the invalid one.
func bundleOf(typ string) string {
	return fmt.Sprintf(`{"resourceType":"Bundle","type":%q,"entry":[
	 {"fullUrl":"urn:uuid:1b0e5d1e-0000-4000-8000-000000000001","resource":{"resourceType":"Patient","id":"good","name":[{"family":"Good"}]}},
	 {"fullUrl":"urn:uuid:1b0e5d1e-0000-4000-8000-000000000002","resource":{"resourceType":"Patient","id":"bad","name":[{"family":"Bad"}],"gender":"woman"}},
	 {"resource":%s}]}`, typ, heartRate("obs-of-bad", "bad", "72", ""))
}

// TestTransactionBundleIsAtomic: a FHIR R4 Bundle of type "transaction"
// succeeds or fails as a whole (RESTful API, "Batch/Transaction",
// http.html#transaction). An observation of a patient that
// failed must not be imported, and neither must the valid patient beside
// them; a batch or collection Bundle keeps every entry's own outcome.
func TestTransactionBundleIsAtomic(t *testing.T) {
	ctx := importing()
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		im := fhir.NewImporter(access.Trusted(s))
		require.NoError(t, im.ImportBundle(ctx, strings.NewReader(bundleOf("transaction")), "tx.json"))
		rep := im.Report()
		assert.Equal(t, 3, rep.Resources)
		assert.Empty(t, rep.Imported)
		assert.Equal(t, map[string]int{"Patient": 1}, rep.RolledBack)
		failed := failures(rep)
		assert.Len(t, failed, 2, "the invalid patient and the observation of it")
		assert.Contains(t, failed, 1)
		assert.Contains(t, failed, 2)
		for _, key := range [][2]string{{patient.RecordType, "good"}, {patient.RecordType, "bad"}, {clinical.ObservationType, "obs-of-bad"}} {
			_, err := s.Get(context.Background(), key[0], key[1])
			assert.ErrorIs(t, err, ehrkit.ErrNotFound, "%s is not written", key)
		}

		for _, typ := range []string{"batch", "collection"} {
			im := fhir.NewImporter(access.Trusted(s))
			require.NoError(t, im.ImportBundle(ctx, strings.NewReader(bundleOf(typ)), typ+".json"))
			rep := im.Report()
			assert.Empty(t, rep.RolledBack, typ)
			assert.Len(t, rep.Failed, 2, typ)
			_, err := s.Get(context.Background(), patient.RecordType, "good")
			assert.NoError(t, err, "a %s keeps the valid entry", typ)
		}
	})
}
