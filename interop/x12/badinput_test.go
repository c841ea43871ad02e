package x12_test

import (
	"errors"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/internal/membound"
	"github.com/ehrkit/ehrkit/interop/x12"
)

// badInputBound is what reading any of the bad interchanges below may
// allocate: the reader holds one segment at a time (WithMaxSegment, 64 KiB by
// default), so a 10 MB element costs no more than a short file.
const badInputBound = 1 << 20

// drain reads seq to its end and returns the first error.
func drain[T any](seq iter.Seq2[T, error]) error {
	for _, err := range seq {
		if err != nil {
			return err
		}
	}
	return nil
}

// sample returns a fixture from testdata, or a file of the shared corpus
// (skipping t, saying so, when EHRKIT_CORPUS is not set).
func sample(t *testing.T, path string) string {
	t.Helper()
	if dir, ok := strings.CutPrefix(path, "corpus:"); ok {
		root := os.Getenv("EHRKIT_CORPUS")
		if root == "" {
			t.Skip("EHRKIT_CORPUS not set: the sample " + dir + " is in the shared corpus")
		}
		path = filepath.Join(root, dir)
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// TestReadersBadInput: bad bytes in an 837, 835, 271 or 999 are refused by
// the reader with an *x12.Error naming the segment and element (the segment
// position for an empty input), never a panic, and allocate at most
// badInputBound. The readers take no dates from a 271 or 999, and no
// quantities from a 271, so those rows are absent; 835 units may be negative
// (reversals, 835 TR3 section 1.10.2.8), so none is refused there.
func TestReadersBadInput(t *testing.T) {
	huge := strings.Repeat("A", 10<<20)
	type badCase struct {
		name     string
		old, new string // the edit of the sample; old "" replaces the whole sample
		segment  string
		element  int
	}
	readers := []struct {
		name   string
		sample string
		read   func(string) error
		cases  []badCase
	}{
		{"837", "testdata/clinic-visit.837", func(s string) error { return drain(x12.Claims837(strings.NewReader(s), "USD")) }, []badCase{
			{"NUL in the subscriber's name", "NM1*IL*1*DOE", "NM1*IL*1*D\x00OE", "NM1", 3},
			{"invalid UTF-8 in the subscriber's name", "NM1*IL*1*DOE", "NM1*IL*1*D\xffOE", "NM1", 3},
			{"10 MB address line", "N3*1 MAIN ST", "N3*" + huge, "N3", 0},
			// 2023 is no leap year (ISO 8601 calendar): there is no 30 February.
			{"impossible service date", "DTP*472*D8*20260302", "DTP*472*D8*20230230", "DTP", 3},
			{"negative units", "*UN*2*", "*UN*-2*", "SV1", 4},
		}},
		{"835", "testdata/clinic-visit.835", func(s string) error { return drain(x12.Payments835(strings.NewReader(s), "USD")) }, []badCase{
			{"NUL in the payer's name", "N1*PR*ACME", "N1*PR*AC\x00ME", "N1", 2},
			{"invalid UTF-8 in the payer's name", "N1*PR*ACME", "N1*PR*AC\xffME", "N1", 2},
			{"10 MB address line", "N3*1 PAYER WAY", "N3*" + huge, "N3", 0},
			{"impossible service date", "DTM*472*20260302", "DTM*472*20230230", "DTM", 2},
		}},
		{"271", "corpus:x12/271_005010X279A1_dependent-health-benefit-check.271", func(s string) error { return drain(x12.Eligibility271(strings.NewReader(s), "USD")) }, []badCase{
			{"NUL in the subscriber's name", "NM1*IL*1*SMITH", "NM1*IL*1*SMI\x00TH", "NM1", 3},
			{"invalid UTF-8 in the subscriber's name", "NM1*IL*1*SMITH", "NM1*IL*1*SMI\xffTH", "NM1", 3},
			{"10 MB address line", "N3*15197", "N3*" + huge, "N3", 0},
		}},
		{"999", "corpus:x12/imsweb/x12_999_rejected.x12", func(s string) error { return drain(x12.Acks999(strings.NewReader(s))) }, []badCase{
			{"NUL in the group control number", "AK1*HC*28", "AK1*HC*2\x008", "AK1", 2},
			{"invalid UTF-8 in the group control number", "AK1*HC*28", "AK1*HC*2\xff8", "AK1", 2},
			{"10 MB set control number", "AK2*837*0028", "AK2*837*" + huge, "AK2", 0},
			// IK302 is the segment's position in the set, counted from 1 (999 TR3, IK3 segment).
			{"negative segment position", "IK3*NM*17", "IK3*NM*-17", "IK3", 2},
		}},
	}
	for _, rd := range readers {
		t.Run(rd.name, func(t *testing.T) {
			valid := sample(t, rd.sample)
			require.NoError(t, rd.read(valid), "the sample itself reads")
			cases := append([]badCase{{name: "empty", segment: ""}}, rd.cases...)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					data := ""
					if tc.old != "" {
						require.Contains(t, valid, tc.old)
						data = strings.Replace(valid, tc.old, tc.new, 1)
					}
					var err error
					membound.Check(t, badInputBound, func() { err = rd.read(data) })
					var xe *x12.Error
					require.True(t, errors.As(err, &xe), "want *x12.Error, got %v", err)
					assert.Equal(t, tc.segment, xe.Segment)
					assert.Equal(t, tc.element, xe.Element)
					assert.NotContains(t, xe.Error(), "DOE", "no element value in the error")
				})
			}
		})
	}
}
