package fhir

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCheckJSON checks the pre-parse check against encoding/json's reading of
// the same bytes: whatever it lets through decodes to text without NUL,
// without a replacement character the input did not hold, and nested no
// deeper than MaxDepth.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{
		`{"resourceType":"Patient","name":[{"family":"M\u00fcller","given":["\ud83d\ude00"]}]}`,
		`{"a":"\u0000"}`, "{\"a\":\"\xff\"}", `{"a":"\ud800"}`, `{"a":"\udc00\ud800"}`, `{"a":[[[[]]]]}`,
		`{"a":"x\\"}`, `["\"", "\\u0000", 1e5, true, null]`, strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := checkJSON(data)
		var v any
		if json.Unmarshal(data, &v) != nil || err != nil {
			return // not JSON (the parser's to report), or refused
		}
		replacement := bytes.Contains(data, []byte("\uFFFD")) || bytes.Contains(bytes.ToLower(data), []byte(`\ufffd`))
		var walk func(v any, depth int)
		walk = func(v any, depth int) {
			check := func(s string) {
				if strings.ContainsRune(s, 0) {
					t.Fatalf("passed a string holding NUL: %q", s)
				}
				if !replacement && strings.ContainsRune(s, utf8.RuneError) {
					t.Fatalf("passed a string the decoder rewrote: %q", s)
				}
			}
			switch v := v.(type) {
			case string:
				check(v)
			case []any:
				if depth+1 > MaxDepth {
					t.Fatalf("passed nesting deeper than %d", MaxDepth)
				}
				for _, e := range v {
					walk(e, depth+1)
				}
			case map[string]any:
				if depth+1 > MaxDepth {
					t.Fatalf("passed nesting deeper than %d", MaxDepth)
				}
				for k, e := range v {
					check(k)
					walk(e, depth+1)
				}
			}
		}
		walk(v, 0)
	})
}
