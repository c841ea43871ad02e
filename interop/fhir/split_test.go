package fhir_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/interop/fhir"
)

// split is the outcome of splitting one input.
type split struct {
	typ     string
	entries []fhir.Entry
	err     error
}

// splitBoth splits in held whole and streamed a byte at a time, and checks
// that both ways agree.
func splitBoth(t *testing.T, in []byte) split {
	t.Helper()
	var whole, streamed split
	whole.typ, whole.err = fhir.SplitBundle(in, "s", func(e fhir.Entry) error {
		whole.entries = append(whole.entries, e)
		return nil
	})
	streamed.typ, streamed.err = fhir.StreamBundle(iotest.OneByteReader(bytes.NewReader(in)), "s", func(e fhir.Entry) error {
		streamed.entries = append(streamed.entries, e)
		return nil
	})
	require.Equal(t, whole.entries, streamed.entries)
	require.Equal(t, whole.typ, streamed.typ)
	if whole.err == nil || streamed.err == nil {
		require.Equal(t, whole.err, streamed.err)
	} else {
		var a, b *fhir.SourceError
		require.ErrorAs(t, whole.err, &a)
		require.ErrorAs(t, streamed.err, &b)
		require.Equal(t, a.Index, b.Index)
		require.Equal(t, a.Offset, b.Offset)
		require.Equal(t, errors.Is(a, fhir.ErrMalformedJSON), errors.Is(b, fhir.ErrMalformedJSON))
	}
	return whole
}

// referenceSplit is the splitter's contract written with encoding/json: what
// it must return for in, or the class of error (ErrMalformedJSON,
// ErrBundleShape) it must fail with.
func referenceSplit(in []byte) (string, []fhir.Entry, error) {
	in = bytes.TrimPrefix(in, []byte("\xef\xbb\xbf"))
	if !json.Valid(in) {
		return "", nil, fhir.ErrMalformedJSON
	}
	top, ok := members(in, "resourceType", "type", "entry")
	if !ok {
		return "", nil, fhir.ErrBundleShape
	}
	var rt, typ string
	if !stringMember(top, "resourceType", &rt) || rt != "Bundle" || !stringMember(top, "type", &typ) {
		return "", nil, fhir.ErrBundleShape
	}
	var list []json.RawMessage
	if raw, ok := top["entry"]; ok && (jsonKind(raw) != '[' || json.Unmarshal(raw, &list) != nil) {
		return "", nil, fhir.ErrBundleShape
	}
	var entries []fhir.Entry
	for i, raw := range list {
		m, ok := members(raw, "fullUrl", "resource", "request")
		if !ok || !stringMember(m, "fullUrl", new(string)) ||
			m["resource"] != nil && jsonKind(m["resource"]) != '{' || m["request"] != nil && jsonKind(m["request"]) != '{' {
			return "", nil, fhir.ErrBundleShape
		}
		e := fhir.Entry{Source: "s", Index: i, JSON: []byte(m["resource"]), Request: []byte(m["request"])}
		stringMember(m, "fullUrl", &e.FullURL)
		entries = append(entries, e)
	}
	return typ, entries, nil
}

// members returns the members of a JSON object, false when raw is not an
// object or one of the names given appears twice.
func members(raw []byte, unique ...string) (map[string]json.RawMessage, bool) {
	if jsonKind(raw) != '{' {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, false
	}
	out := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		name := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		if _, dup := out[name]; dup && contains(unique, name) {
			return nil, false
		}
		out[name] = v
	}
	return out, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// stringMember decodes m[name] into v; false when present and not a string.
func stringMember(m map[string]json.RawMessage, name string, v *string) bool {
	raw, ok := m[name]
	if !ok {
		return true
	}
	return jsonKind(raw) == '"' && json.Unmarshal(raw, v) == nil
}

// jsonKind is the first byte of a JSON value.
func jsonKind(raw []byte) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// checkAgainstReference fails t when the splitter and the reference disagree.
func checkAgainstReference(t *testing.T, in []byte) {
	t.Helper()
	got := splitBoth(t, in)
	typ, entries, class := referenceSplit(in)
	if class != nil {
		require.Error(t, got.err)
		var se *fhir.SourceError
		require.ErrorAs(t, got.err, &se)
		require.ErrorIs(t, got.err, ehrkit.ErrInvalid)
		if class == fhir.ErrBundleShape { // well-formed: only the shape may be refused
			require.ErrorIs(t, got.err, fhir.ErrBundleShape, "%v", got.err)
		}
		return
	}
	require.NoError(t, got.err)
	require.Equal(t, typ, got.typ)
	require.Equal(t, len(entries), len(got.entries))
	for i := range entries {
		assert.Equal(t, entries[i], got.entries[i])
	}
}

// splitFixtures are the Bundles of testdata/split.
func splitFixtures(t testing.TB) map[string][]byte {
	files, err := filepath.Glob("testdata/split/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		out[filepath.Base(f)] = b
	}
	return out
}

// TestSplitFixtures splits the fixtures and checks them against the
// reference and by content.
func TestSplitFixtures(t *testing.T) {
	fx := splitFixtures(t)
	for name, b := range fx {
		t.Run(name, func(t *testing.T) { checkAgainstReference(t, b) })
	}
	got := splitBoth(t, fx["transaction.json"])
	require.NoError(t, got.err)
	assert.Equal(t, "transaction", got.typ)
	require.Len(t, got.entries, 4)
	assert.Equal(t, "urn:uuid:0b1c2d3e-0000-4000-8000-000000000003", got.entries[2].FullURL)
	assert.JSONEq(t, `{"method":"POST","url":"Observation"}`, string(got.entries[2].Request))
	assert.True(t, json.Valid(got.entries[0].JSON))
	assert.Nil(t, got.entries[3].JSON, "an entry without a resource")
	assert.JSONEq(t, `{"method":"DELETE","url":"Observation/old"}`, string(got.entries[3].Request))

	got = splitBoth(t, fx["batch-whitespace.json"])
	require.NoError(t, got.err)
	assert.Equal(t, "urn:uuid:a/b", got.entries[0].FullURL, "escapes decoded")
	assert.Contains(t, string(got.entries[0].JSON), `"\"q\""`, "the resource kept as sent")
	assert.Contains(t, string(got.entries[1].JSON), `"x":"dup","x":"dup"`, "a resource's duplicates are the parser's to judge")

	got = splitBoth(t, fx["collection-bom.json"])
	require.NoError(t, got.err)
	assert.Equal(t, "collection", got.typ)
	assert.Equal(t, "Patient/bom", got.entries[0].FullURL)
}

// TestSplitErrors checks the typed error, its class and the entry index for
// malformed and ill-shaped Bundles.
func TestSplitErrors(t *testing.T) {
	const ok = `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient"}},`
	for _, tc := range []struct {
		name  string
		in    string
		class error
		index int
	}{
		{"empty", ``, fhir.ErrMalformedJSON, -1},
		{"not an object", `[1,2]`, fhir.ErrBundleShape, -1},
		{"scalar with garbage", `12x`, fhir.ErrMalformedJSON, -1},
		{"data after the Bundle", `{"resourceType":"Bundle"} {}`, fhir.ErrMalformedJSON, -1},
		{"no resourceType", `{"type":"batch"}`, fhir.ErrBundleShape, -1},
		{"other resourceType", `{"resourceType":"Patient"}`, fhir.ErrBundleShape, -1},
		{"resourceType null", `{"resourceType":null}`, fhir.ErrBundleShape, -1},
		{"type twice", `{"resourceType":"Bundle","type":"batch","type":"transaction"}`, fhir.ErrBundleShape, -1},
		{"entry twice", `{"resourceType":"Bundle","entry":[],"entry":[]}`, fhir.ErrBundleShape, -1},
		{"entry not an array", `{"resourceType":"Bundle","entry":{}}`, fhir.ErrBundleShape, -1},
		{"entry not an object", ok + `3]}`, fhir.ErrBundleShape, 1},
		{"resource twice", ok + `{"resource":{},"resource":{}}]}`, fhir.ErrBundleShape, 1},
		{"resource null", ok + `{"resource":null}]}`, fhir.ErrBundleShape, 1},
		{"fullUrl a number", ok + `{"fullUrl":1}]}`, fhir.ErrBundleShape, 1},
		{"request an array", ok + `{"request":[]}]}`, fhir.ErrBundleShape, 1},
		{"unterminated string", ok + `{"resource":{"id":"abc}]}`, fhir.ErrMalformedJSON, 1},
		{"control character", ok + "{\"resource\":{\"id\":\"a\tb\"}}]}", fhir.ErrMalformedJSON, 1},
		{"bad escape", ok + `{"resource":{"id":"a\xb"}}]}`, fhir.ErrMalformedJSON, 1},
		{"short unicode escape", ok + `{"resource":{"id":"\u12"}}]}`, fhir.ErrMalformedJSON, 1},
		{"bad number", ok + `{"resource":{"v":01}}]}`, fhir.ErrMalformedJSON, 1},
		{"bad literal", ok + `{"resource":{"v":nul}}]}`, fhir.ErrMalformedJSON, 1},
		{"unbalanced", ok + `{"resource":{"v":[1,2}}]}`, fhir.ErrMalformedJSON, 1},
		{"missing comma", ok + `{"resource":{"a":1 "b":2}}]}`, fhir.ErrMalformedJSON, 1},
		{"trailing comma", ok + `{"resource":{"a":1,}}]}`, fhir.ErrMalformedJSON, 1},
		{"truncated", ok + `{"resource":{"a":[`, fhir.ErrMalformedJSON, 1},
		{"too deep", ok + `{"resource":{"a":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}}]}`, fhir.ErrMalformedJSON, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := splitBoth(t, []byte(tc.in))
			var se *fhir.SourceError
			require.ErrorAs(t, got.err, &se)
			assert.ErrorIs(t, got.err, tc.class)
			assert.ErrorIs(t, got.err, ehrkit.ErrInvalid)
			assert.Equal(t, tc.index, se.Index)
			assert.Equal(t, "s", se.Source)
			checkAgainstReference(t, []byte(tc.in))
		})
	}
}

// TestSplitAccepts checks edge cases that are valid: unknown members given
// twice, deep but allowed nesting, every escape, whitespace everywhere.
func TestSplitAccepts(t *testing.T) {
	for _, in := range []string{
		`{"resourceType":"Bundle","link":[],"link":{},"entry":[{"search":1,"search":2,"resource":{}}]}`,
		`{"resourceType":"Bundle","entry":[{"resource":{"a":` + strings.Repeat("[", 9990) + strings.Repeat("]", 9990) + `}}]}`,
		`{"resourceType":"Bundle","entry":[{"fullUrl":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00","resource":{"s":"\"}]\\"}}]}`,
		" \r\n\t{ \"resourceType\" : \"Bundle\" , \"entry\" : [ ] } \n",
		`{"resourceType":"Bundle","entry":[{"resource":{"n":[-0,0.5,1e3,-2.5E-3,1E+2,true,false,null,"",{}]}}]}`,
		"{\"resourceType\":\"Bundle\",\"entry\":[{\"fullUrl\":\"\xff\xfe\",\"resource\":{\"s\":\"\xc3\"}}]}",
		`{"resourceType":"Bundle","type":"searchset","entry":[{}]}`,
	} {
		got := splitBoth(t, []byte(in))
		require.NoError(t, got.err, in[:min(len(in), 60)])
		checkAgainstReference(t, []byte(in))
	}
}

// FuzzSplitBundle checks the splitter, held whole and streamed, against its
// contract written with encoding/json.
func FuzzSplitBundle(f *testing.F) {
	for _, b := range splitFixtures(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"resource":{"a":[1,{"b":"\u0041"}]}},3]}`))
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"resource":null,"fullUrl":"x"}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		checkAgainstReference(t, in)
	})
}
