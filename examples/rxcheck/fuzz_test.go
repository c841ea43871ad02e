package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzRun feeds arbitrary documents to the program: it never panics, and it
// either exits 0 with the documented output or exits 2 with a message in
// the document's terms, never Go's.
func FuzzRun(f *testing.F) {
	f.Add(`{"active": [{"code": "36567"}], "orders": [{"medication": {"code": "21212"}, "dose": {"value": 1, "unit": "g"}}]}`)
	f.Add(`{"patient": {"birthDate": "1970", "allergies": [{"display": "Penicillins"}]}, "orders": [{"medication": {"display": "Amoxicillin 500 MG / Clavulanate 125 MG"}}]}`)
	f.Add(`{"orders": [{"medication": {"code": "x"}, "frequencyPerDay": -1}]}`)
	f.Fuzz(func(t *testing.T, input string) {
		var stdout, stderr bytes.Buffer
		switch code := run(nil, strings.NewReader(input), &stdout, &stderr); code {
		case exitOK:
			var out map[string]json.RawMessage
			if err := json.Unmarshal(stdout.Bytes(), &out); err != nil || out["alerts"] == nil || out["unresolved"] == nil {
				t.Fatalf("bad output %q", stdout.String())
			}
		case exitUsage:
			if stderr.Len() == 0 || stdout.Len() != 0 {
				t.Fatalf("usage error without message or with output")
			}
			if strings.Contains(stderr.String(), "Go ") {
				t.Fatalf("message names Go types: %s", stderr.String())
			}
		default:
			t.Fatalf("exit %d", code)
		}
	})
}
