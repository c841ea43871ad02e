package fhir_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/storage/memstore"
	"github.com/stretchr/testify/require"
)

// corpus returns the path of a corpus folder, skipping the test when the
// corpus is absent.
func corpus(t testing.TB, sub string) string {
	t.Helper()
	root := os.Getenv("EHRKIT_CORPUS")
	if root == "" {
		root = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	dir := filepath.Join(root, sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus not found at %s (set EHRKIT_CORPUS): %v", dir, err)
	}
	return dir
}

func TestImportSynthea(t *testing.T) {
	dir := corpus(t, "fhir/synthea")
	s := memstore.New()
	im := fhir.NewImporter(s)
	require.NoError(t, im.ImportPaths(context.Background(), dir))
	rep := im.Report()
	t.Logf("%+v", rep)
}
