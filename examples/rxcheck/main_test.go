package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// output is the documented output shape, decoded loosely so that the test
// checks the JSON field names of the contract.
type output struct {
	Alerts []struct {
		Kind         string   `json:"kind"`
		Severity     string   `json:"severity"`
		Interruptive *bool    `json:"interruptive"`
		Codes        []string `json:"codes"`
		Message      string   `json:"message"`
		Mechanism    *string  `json:"mechanism"`
		Management   string   `json:"management"`
		Source       string   `json:"source"`
	} `json:"alerts"`
	Unresolved []map[string]string `json:"unresolved"`
}

const rxnorm = `"system": "http://www.nlm.nih.gov/research/umls/rxnorm"`

func runJSON(t *testing.T, input string, args ...string) (output, int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(input), &stdout, &stderr)
	var out output
	if code == 0 {
		require.NoError(t, json.Unmarshal(stdout.Bytes(), &out), stdout.String())
	}
	return out, code, stderr.String()
}

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		input      string
		args       []string
		kinds      []string
		unresolved []string
	}{
		{
			name: "issue example: simvastatin product with clarithromycin and a penicillin allergy",
			input: `{"patient": {"birthDate": "1970-05-01", "weightKg": 80, "allergies": [{` + rxnorm + `, "code": "7980", "display": "Penicillin G"}]},
			  "active": [{` + rxnorm + `, "code": "312961", "display": "Simvastatin 20 MG Oral Tablet"}],
			  "orders": [{"medication": {` + rxnorm + `, "code": "21212", "display": "clarithromycin"}, "dose": {"value": 500, "unit": "mg"}, "frequencyPerDay": 2},
			             {"medication": {` + rxnorm + `, "code": "723", "display": "amoxicillin"}, "dose": {"value": 500, "unit": "mg"}, "frequencyPerDay": 3}]}`,
			kinds:      []string{"drug-drug", "drug-allergy"},
			unresolved: nil,
		},
		{
			name: "unknown code resolved by display, another reported",
			input: `{"patient": {}, "active": [{` + rxnorm + `, "code": "111111111", "display": "Fluvoxamine 50 MG Oral Tablet"}],
			  "orders": [{"medication": {` + rxnorm + `, "code": "57258", "display": "tizanidine"}}, {"medication": {` + rxnorm + `, "code": "222222222", "display": "Unknownium 5 MG"}}]}`,
			kinds:      []string{"drug-drug"},
			unresolved: []string{"222222222"},
		},
		{
			name:  "dose range",
			input: `{"patient": {"birthDate": "1970-05-01"}, "active": [], "orders": [{"medication": {` + rxnorm + `, "code": "5640"}, "dose": {"value": 1200, "unit": "mg"}, "frequencyPerDay": 4}]}`,
			kinds: []string{"dose-range", "dose-range"},
		},
		{
			name:  "dose in a unit that cannot be converted is reported, not passed",
			input: `{"patient": {"birthDate": "1970-05-01"}, "orders": [{"medication": {` + rxnorm + `, "code": "312961"}, "dose": {"value": 10000, "unit": "xyz"}, "frequencyPerDay": 1}]}`,
			kinds: []string{"dose-unchecked"},
		},
		{
			name:  "dose in millilitres against a mass limit",
			input: `{"orders": [{"medication": {` + rxnorm + `, "code": "36567"}, "dose": {"value": 10000, "unit": "mL"}}]}`,
			kinds: []string{"dose-unchecked"},
		},
		{
			name:  "dose in pounds",
			input: `{"orders": [{"medication": {` + rxnorm + `, "code": "36567"}, "dose": {"value": 10000, "unit": "lbs"}}]}`,
			kinds: []string{"dose-unchecked"},
		},
		{
			name:  "duplicate therapy",
			input: `{"active": [{` + rxnorm + `, "code": "7646"}], "orders": [{"medication": {` + rxnorm + `, "code": "40790"}}]}`,
			kinds: []string{"duplicate-therapy"},
		},
		{
			name:  "site knowledge base merged",
			input: `{"active": [{` + rxnorm + `, "code": "855332"}], "orders": [{"medication": {` + rxnorm + `, "code": "313782"}}]}`,
			args:  []string{"-kb", "testdata"},
			kinds: []string{"drug-drug"}, // the site rule merged with ONC-NI-18
		},
		{
			name:  "suppressed rule",
			input: `{"active": [{` + rxnorm + `, "code": "7646"}], "orders": [{"medication": {` + rxnorm + `, "code": "40790"}}]}`,
			args:  []string{"-suppress", "DUP_PPIS"},
			kinds: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code, stderr := runJSON(t, tt.input, tt.args...)
			require.Equal(t, 0, code, stderr)
			var kinds []string
			for _, a := range out.Alerts {
				kinds = append(kinds, a.Kind)
				assert.NotEmpty(t, a.Severity)
				assert.NotNil(t, a.Interruptive)
				assert.NotNil(t, a.Mechanism)
				assert.NotEmpty(t, a.Codes)
				assert.NotEmpty(t, a.Message)
				assert.NotEmpty(t, a.Source)
			}
			assert.ElementsMatch(t, tt.kinds, kinds)
			var unresolved []string
			for _, u := range out.Unresolved {
				unresolved = append(unresolved, u["code"])
			}
			assert.Equal(t, tt.unresolved, unresolved)
			assert.NotNil(t, out.Unresolved, "unresolved is always present")
		})
	}
}

func TestRunBadInput(t *testing.T) {
	tests := []struct {
		name, input string
		args        []string
		code        int
	}{
		{"malformed JSON", `{"orders": [`, nil, exitUsage},
		{"empty input", ``, nil, exitUsage},
		{"wrong type", `{"orders": {"medication": 1}}`, nil, exitUsage},
		{"two documents", `{} {}`, nil, exitUsage},
		{"order without code or display", `{"orders": [{"medication": {}}]}`, nil, exitUsage},
		{"negative dose", `{"orders": [{"medication": {"code": "5640"}, "dose": {"value": -1, "unit": "mg"}}]}`, nil, exitUsage},
		{"10 MB input", `{"orders": [{"medication": {"display": "` + strings.Repeat("a", 10<<20) + `"}}]}`, nil, exitUsage},
		{"invalid UTF-8", "{\"orders\": [{\"medication\": {\"display\": \"caf\xe9\"}}]}", nil, exitUsage},
		{"NUL byte in a string", "{\"orders\": [{\"medication\": {\"display\": \"a\x00b\"}}]}", nil, exitUsage},
		{"NUL byte outside strings", "{\"orders\": []}\x00", nil, exitUsage},
		{"impossible date", `{"date": "2026-02-30", "orders": [{"medication": {"code": "5640"}}]}`, nil, exitUsage},
		{"negative weight", `{"patient": {"weightKg": -70}, "orders": [{"medication": {"code": "5640"}}]}`, nil, exitUsage},
		{"negative frequency", `{"orders": [{"medication": {"code": "5640"}, "frequencyPerDay": -2}]}`, nil, exitUsage},
		{"100 000-level nested JSON", `{"orders": ` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`, nil, exitUsage},
		{"unknown flag", `{}`, []string{"-nope"}, exitUsage},
		{"bad knowledge base", `{}`, []string{"-kb", "no-such-dir"}, exitError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, strings.NewReader(tt.input), &stdout, &stderr)
			assert.Equal(t, tt.code, code)
			assert.Empty(t, stdout.String())
			assert.Contains(t, stderr.String(), "rxcheck")
		})
	}
}

// TestRunErrorsNamePaths: a value of the wrong kind is reported at its JSON
// path, in JSON terms, never by Go type.
func TestRunErrorsNamePaths(t *testing.T) {
	tests := []struct{ name, input, want string }{
		{"string for a dose value", `{"orders": [{"medication": {"code": "1"}, "dose": {"value": "abc", "unit": "mg"}}]}`, "orders[0].dose.value: not a number"},
		{"object for orders", `{"orders": {"medication": 1}}`, "orders: want an array, got an object"},
		{"number for a code", `{"orders": [{"medication": {"code": "1"}}, {"medication": {"code": 1}}]}`, "orders[1].medication.code: want a string, got a number"},
		{"malformed date of the check", `{"date": "2026-13-45"}`, "date: not a date"},
		{"malformed birth date", `{"patient": {"birthDate": "1970-99"}}`, "patient.birthDate: not a date"},
		{"number for a date", `{"date": 5}`, "date: not a date"},
		{"bool for a frequency", `{"orders": [{"medication": {"code": "1"}, "frequencyPerDay": true}]}`, "orders[0].frequencyPerDay: not a number"},
		{"string for a dose", `{"orders": [{"medication": {"code": "1"}, "dose": "500 mg"}]}`, "orders[0].dose: want an object, got a string"},
		{"string for an allergy list", `{"patient": {"allergies": "penicillin"}}`, "patient.allergies: want an array, got a string"},
		{"array for the document", `[1]`, "the document: want an object, got an array"},
		{"truncated document", `{"orders": [`, "ends early"},
		{"invalid value after decoding", `{"orders": [{"medication": {"code": "5640"}, "dose": {"value": -1, "unit": "mg"}}]}`, "orders[0].dose.value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(nil, strings.NewReader(tt.input), &stdout, &stderr)
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, stdout.String())
			assert.Contains(t, stderr.String(), tt.want)
			for _, goish := range []string{"Go value", "Go struct", "rx.", "decimal.", "ehrkit."} {
				assert.NotContains(t, stderr.String(), goish)
			}
		})
	}
}

// TestBinary builds the program and drives it through a pipe, as a tool would.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "rxcheck")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())

	cmd := exec.Command(bin)
	cmd.Stdin = strings.NewReader(`{"active": [{` + rxnorm + `, "code": "343047"}], "orders": [{"medication": {` + rxnorm + `, "code": "7646"}}, {"medication": {` + rxnorm + `, "code": "4278"}}]}`)
	stdout, err := cmd.Output()
	require.NoError(t, err)
	var out output
	require.NoError(t, json.Unmarshal(stdout, &out))
	// Omeprazole is contraindicated with atazanavir (ONC); famotidine only needs
	// its doses timed (VA, significant): shown, never interrupting.
	require.Len(t, out.Alerts, 2)
	assert.Equal(t, "contraindicated", out.Alerts[0].Severity)
	assert.ElementsMatch(t, []string{"7646", "343047"}, out.Alerts[0].Codes)
	assert.Equal(t, "moderate", out.Alerts[1].Severity)
	assert.False(t, *out.Alerts[1].Interruptive)

	cmd = exec.Command(bin)
	cmd.Stdin = strings.NewReader(`not json`)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, exitUsage, exit.ExitCode())
	assert.Contains(t, stderr.String(), "malformed input")
}
