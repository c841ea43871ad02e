package fhir_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/membound"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// failures returns the report's failures by entry.
func failures(rep *fhir.Report) map[int][]string {
	out := map[int][]string{}
	for _, f := range rep.Failed {
		out[f.Entry] = f.Issues
	}
	return out
}

// TestNDJSONLineOverLimit imports a file whose second line is longer than the
// resource limit: that line is reported, with its line number, and the lines
// after it are imported.
func TestNDJSONLineOverLimit(t *testing.T) {
	long := `{"resourceType":"Patient","id":"long","name":[{"family":"` + strings.Repeat("x", 5000) + `"}]}`
	ndjson := strings.Join([]string{
		`{"resourceType":"Patient","id":"before","name":[{"family":"Before"}]}`,
		long,
		`{"resourceType":"Patient","id":"after","name":[{"family":"After"}]}`,
		`{"resourceType":"Patient","id":"last","name":[{"family":"Last"}]}`,
	}, "\n")
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		im := fhir.NewImporter(access.Trusted(s), fhir.WithMaxResource(1024))
		require.NoError(t, im.ImportNDJSON(importing(), strings.NewReader(ndjson), "p.ndjson"))
		rep := im.Report()
		assert.Equal(t, 4, rep.Resources)
		assert.Equal(t, map[string]int{"Patient": 3}, rep.Imported)
		failed := failures(rep)
		require.Len(t, failed, 1)
		require.Contains(t, failed, 2)
		assert.Contains(t, failed[2][0], "limit is 1024")
		for _, id := range []string{"before", "after", "last"} {
			_, err := s.Get(context.Background(), "Patient", id)
			assert.NoError(t, err, id)
		}
	})
}

// TestReadNDJSONReportsLongLine checks the reader's typed error for a line
// over the limit, and that reading goes on.
func TestReadNDJSONReportsLongLine(t *testing.T) {
	r := io.MultiReader(strings.NewReader(`{"a":"`), &repeat{b: 'x', n: fhir.MaxLine + 10},
		strings.NewReader("\"}\n{\"resourceType\":\"Patient\"}\n"))
	var got []fhir.Entry
	require.NoError(t, fhir.ReadNDJSON(r, "big.ndjson", func(e fhir.Entry) error {
		got = append(got, e)
		return nil
	}))
	require.Len(t, got, 2)
	var se *fhir.SourceError
	require.ErrorAs(t, got[0].Err, &se)
	assert.True(t, errors.Is(got[0].Err, fhir.ErrTooLarge))
	assert.True(t, errors.Is(got[0].Err, ehrkit.ErrInvalid))
	assert.Equal(t, 1, se.Index)
	assert.Nil(t, got[0].JSON)
	assert.Equal(t, 2, got[1].Index)
	assert.JSONEq(t, `{"resourceType":"Patient"}`, string(got[1].JSON))
}

// repeat is a reader of n copies of b, so that a test reads a huge input
// without holding it.
type repeat struct {
	b byte
	n int
}

func (r *repeat) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n)
	for i := range k {
		p[i] = r.b
	}
	r.n -= k
	return k, nil
}

// TestHugeInputBoundedMemory imports a 200 MB single-line NDJSON file and a
// 15 MB resource (issue 18: the latter took 1.6 GB): each is refused as over
// the default limit (fhir.DefaultMaxResource) with a typed report entry,
// and the import allocates a small multiple of the limit, not of the input.
func TestHugeInputBoundedMemory(t *testing.T) {
	names := strings.Repeat(`{"family":"Abc","given":["D","E"]},`, 15<<20/35)
	dense := `{"resourceType":"Patient","id":"dense","name":[` + names[:len(names)-1] + `]}` + "\n"
	for _, tc := range []struct {
		name string
		in   func() io.Reader
		size int
	}{
		{"200 MB line", func() io.Reader {
			return io.MultiReader(strings.NewReader(`{"resourceType":"Patient","id":"big","name":[{"family":"`),
				&repeat{b: 'a', n: 200 << 20}, strings.NewReader("\"}]}\n"))
		}, 200 << 20},
		{"15 MB resource", func() io.Reader { return strings.NewReader(dense) }, len(dense)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := access.Trusted(testbackends.All()[0].Open(t, ehrkit.RealClock{}))
			svc, err := fhir.NewServices(s) // built before measuring: its one-time cost is not the input's
			require.NoError(t, err)
			im := fhir.NewImporter(s, fhir.WithWorkers(2), fhir.WithServices(svc))
			in := tc.in()
			n := membound.Alloc(func() {
				require.NoError(t, im.ImportNDJSON(importing(), in, "huge.ndjson"))
			})
			rep := im.Report()
			require.Len(t, rep.Failed, 1)
			assert.Equal(t, 1, rep.Failed[0].Entry)
			assert.Contains(t, rep.Failed[0].Issues[0], "limit is")
			assert.Less(t, n, uint64(8*fhir.DefaultMaxResource), "allocated %d bytes for a %d-byte input", n, tc.size)
		})
	}
}

// TestRefusesNULAndInvalidUTF8 checks that text the parser would silently
// rewrite (invalid UTF-8, a lone UTF-16 surrogate) or that FHIR strings may
// not hold (NUL: R4 Datatypes §2.24.0.1 string) is refused with an issue
// naming the element path, and nothing of the resource is written.
func TestRefusesNULAndInvalidUTF8(t *testing.T) {
	codec, err := fhir.NewCodec()
	require.NoError(t, err)
	for _, tc := range []struct {
		name, json, path string
	}{
		{"escaped NUL", `{"resourceType":"Patient","id":"a","name":[{"family":"Ab\u0000c"}]}`, "Patient.name[0].family"},
		{"raw NUL", "{\"resourceType\":\"Patient\",\"id\":\"a\",\"name\":[{\"given\":[\"x\",\"y\x00\"]}]}", "Patient.name[0].given[1]"},
		{"invalid UTF-8", "{\"resourceType\":\"Patient\",\"id\":\"a\",\"name\":[{\"family\":\"ok\"},{\"family\":\"M\xfcller\"}]}", "Patient.name[1].family"},
		{"lone surrogate", `{"resourceType":"Patient","id":"a","address":[{"city":"x\ud800y"}]}`, "Patient.address[0].city"},
		{"type after the text", "{\"id\":\"a\",\"name\":[{\"text\":\"\x00\"}],\"resourceType\":\"Patient\"}", "Patient.name[0].text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := codec.Parse([]byte(tc.json))
			var ve *ehrkit.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.True(t, ve.Has(tc.path, ehrkit.IssueValue), "%v", ve.Issues)
			assert.Len(t, ve.Issues, 1)
		})
	}
	_, err = codec.Parse([]byte(`{"resourceType":"Patient","id":"a","name":[{"family":"M\u00fcller \ud83d\ude00"}]}`))
	assert.NoError(t, err, "escaped non-ASCII text and surrogate pairs are text")

	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		im := fhir.NewImporter(access.Trusted(s))
		in := "{\"resourceType\":\"Patient\",\"id\":\"nul\",\"name\":[{\"family\":\"A\\u0000\"}]}\n" +
			"{\"resourceType\":\"Patient\",\"id\":\"ok\",\"name\":[{\"family\":\"M\u00fcller\"}]}\n"
		require.NoError(t, im.ImportNDJSON(importing(), strings.NewReader(in), "n.ndjson"))
		failed := failures(im.Report())
		require.Len(t, failed, 1)
		assert.Equal(t, []string{"Patient.name[0].family: not valid UTF-8 text, or holds a NUL character (value)"}, failed[1])
		_, err := s.Get(context.Background(), "Patient", "nul")
		assert.ErrorIs(t, err, ehrkit.ErrNotFound)
		_, err = s.Get(context.Background(), "Patient", "ok")
		assert.NoError(t, err)
	})
}

// TestDeepNesting parses a resource nested 100 000 levels deep, alone, as an
// NDJSON line and inside a Bundle: a typed error, no panic, and the import
// goes on.
func TestDeepNesting(t *testing.T) {
	const depth = 100_000
	deep := `{"resourceType":"Patient","id":"deep","extension":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + "}"
	codec, err := fhir.NewCodec()
	require.NoError(t, err)
	_, err = codec.Parse([]byte(deep))
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Len(t, ve.Issues, 1)
	assert.Equal(t, ehrkit.IssueStructure, ve.Issues[0].Code)
	assert.True(t, strings.HasPrefix(ve.Issues[0].Path, "Patient.extension"), ve.Issues[0].Path)

	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		im := fhir.NewImporter(access.Trusted(s))
		in := deep + "\n" + `{"resourceType":"Patient","id":"flat","name":[{"family":"Flat"}]}`
		require.NoError(t, im.ImportNDJSON(importing(), strings.NewReader(in), "d.ndjson"))
		assert.Contains(t, failures(im.Report()), 1)
		assert.Equal(t, 1, im.Report().Imported["Patient"])

		bundle := `{"resourceType":"Bundle","type":"collection","entry":[{"resource":` + deep + `}]}`
		im = fhir.NewImporter(access.Trusted(s))
		require.NoError(t, im.ImportBundle(importing(), strings.NewReader(bundle), "d.json"))
		require.Len(t, im.Report().Failed, 1, "the Bundle is reported, not imported")
	})
}
