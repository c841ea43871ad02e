package clinical_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// issues returns the "path code" pairs of a validation error, failing the
// test when err is not one.
func issues(t *testing.T, err error) []string {
	t.Helper()
	var ve *ehrkit.ValidationError
	require.True(t, errors.As(err, &ve), "want a *ehrkit.ValidationError, got %v", err)
	require.ErrorIs(t, err, ehrkit.ErrInvalid)
	out := make([]string, len(ve.Issues))
	for i, is := range ve.Issues {
		out[i] = is.Path + " " + string(is.Code)
	}
	return out
}

func qty(v, unit string) ehrkit.Quantity { return ehrkit.Qty(v, unit) }

func qp(v, unit string) *ehrkit.Quantity {
	q := ehrkit.Qty(v, unit)
	return &q
}

func loinc(code, display string) ehrkit.CodeableConcept {
	return ehrkit.Concept(ehrkit.SystemLOINC, code, display)
}

// fixed is the time the tests' clock starts at.
var fixed = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func decimalOf(f float64) decimal.Decimal { return decimal.NewFromFloat(f) }

// corpusDir returns a folder of the shared corpus (env EHRKIT_CORPUS, relative
// paths taken from the repository root; default ../shared/corpus), skipping the
// test when it is absent.
func corpusDir(t *testing.T, sub string) string {
	t.Helper()
	root := os.Getenv("EHRKIT_CORPUS")
	if root == "" {
		root = "../shared/corpus"
	}
	if !filepath.IsAbs(root) {
		root = filepath.Join("..", root)
	}
	dir := filepath.Join(root, sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus folder %s not available (set EHRKIT_CORPUS): %v", dir, err)
	}
	return dir
}
