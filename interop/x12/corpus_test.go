package x12_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/interop/x12"
)

func corpusDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("EHRKIT_CORPUS")
	if dir == "" {
		t.Skip("EHRKIT_CORPUS not set: the X12 corpus tests need it")
	}
	return filepath.Join(dir, "x12")
}

// readAll reads a whole file segment by segment and returns the segment count
// and the first error.
func readAll(t *testing.T, path string, opts ...x12.Option) (int, *x12.Error) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	r := x12.NewReader(f, opts...)
	n := 0
	for {
		_, err := r.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			var xe *x12.Error
			require.ErrorAs(t, err, &xe)
			require.ErrorIs(t, err, ehrkit.ErrInvalid)
			return n, xe
		}
		n++
	}
}

// TestCorpus reads every file of the X12 corpus in place. The LinuxForHealth
// files are implementation-guide examples and parse; the imsweb files are
// parser test fixtures: the broken ones fail with the segment named, and the
// "valid" ones carry SE01 counts that do not count their segments, which
// strict reading refuses and LenientCounts accepts.
func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	type want struct {
		segment  string
		position int
		element  int
		lenient  x12.Leniency // with these leniencies the file parses
	}
	broken := map[string]want{
		// SE02 is 4323 for ST02 4321.
		"271_005010X279A1_subscriber-health-benefit-check-error.271": {"SE", 9, 2, x12.LenientControlNumbers},
		// IEA02 is 000000001 for ISA13 000000286.
		"imsweb/x12_999_accepted.x12":               {"IEA", 9, 2, x12.LenientControlNumbers},
		"imsweb/x12_bad_first_line.x12":             {"ISA", 0, 2, 0},
		"imsweb/x12_no_isa_line.x12":                {"GS", 0, 0, 0},
		"imsweb/x12_missing_elements.x12":           {"NM1", 6, 2, 0},
		"imsweb/x12_segments_out_of_order.x12":      {"REF", 10, 0, 0}, // REF before the required N4
		"imsweb/x12_loop_errors3_missing_loops.x12": {"NM1", 8, 0, 0},
		"imsweb/x12_valid.x12":                      {"SE", 35, 1, x12.LenientCounts},
		"imsweb/x12_valid_different_separators.x12": {"SE", 35, 1, x12.LenientCounts},
		"imsweb/x12_complex.x12":                    {"SE", 148, 1, x12.LenientCounts},
		"imsweb/x12_many_claims.x12":                {"SE", 11487, 1, x12.LenientCounts},
		"imsweb/x12_multiple_gs.x12":                {"SE", 35, 1, x12.LenientCounts},
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.*"))
	require.NoError(t, err)
	more, err := filepath.Glob(filepath.Join(dir, "imsweb", "*.x12"))
	require.NoError(t, err)
	files = append(files, more...)
	seen := 0
	for _, path := range files {
		name, _ := filepath.Rel(dir, path)
		if filepath.Ext(name) == ".md" {
			continue
		}
		seen++
		t.Run(name, func(t *testing.T) {
			n, xe := readAll(t, path)
			w, isBroken := broken[name]
			if !isBroken {
				require.Nil(t, xe, "%v", xe)
				assert.Positive(t, n)
				return
			}
			require.NotNil(t, xe, "strict reading must refuse %s", name)
			assert.Equal(t, w.segment, xe.Segment, xe.Error())
			assert.Equal(t, w.position, xe.Position, xe.Error())
			assert.Equal(t, w.element, xe.Element, xe.Error())
			if w.lenient != 0 {
				_, xe := readAll(t, path, x12.WithLeniency(w.lenient))
				assert.Nil(t, xe, "%v", xe)
			}
		})
	}
	assert.Equal(t, 53, seen)
}
