package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The messages of a day's feed, one file each way a sender writes them.
const (
	a04 = "MSH|^~\\&|REG|HOSP|EHR|HOSP|20260301090000||ADT^A04^ADT_A04|m1|P|2.5.1\n" +
		"EVN|A04|20260301090000\nPID|1||A1^^^HOSP^MR||DOE^JANE||19700101|F\n"
	oruKnown = "MSH|^~\\&|LIS|HOSP|EHR|HOSP|20260302100000||ORU^R01^ORU_R01|m2|P|2.5.1\r" +
		"PID|1||A1^^^HOSP^MR||DOE^JANE||19700101|F\r" +
		"OBR|1||F-1^LAB|2823-3^Potassium^LN|||20260302083000|||||||||||||||||||F\r" +
		"OBX|1|NM|2823-3^Potassium^LN||4.2|mmol/L|||||F\r" +
		"OBX|2|NM|2951-2^Sodium^LN||140|mmol/L|||||F\r"
	oruUnknown = "MSH|^~\\&|LIS|HOSP|EHR|HOSP|20260302100000||ORU^R01^ORU_R01|m3|P|2.5.1\r\n" +
		"PID|1||ZZ9^^^HOSP^MR||ROE^RICHARD||19600101|M\r\n" +
		"OBR|1||F-2^LAB|2951-2^Sodium^LN|||20260302083000|||||||||||||||||||F\r\n" +
		"OBX|1|NM|2951-2^Sodium^LN||138|mmol/L|||||F\r\n"
	oruBad = "MSH|^~\\&|LIS|HOSP|EHR|HOSP|20260302100000||ORU^R01^ORU_R01|m4|P|2.5.1\r" +
		"PID|1||A1^^^HOSP^MR\rOBX|1|NM|2823-3^Potassium^LN||4.0|mmol/L|||||F\r"
	garbled = "MSH|^~\\&|LIS|HOSP|EHR|HOSP|20260302100000||ORU^R01^ORU_R01|m5|P|2.5.1\rOBX|1|ST|x||SECRET\\Q\\\r"
)

func TestIngestJSON(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "feed.db")
	day := write(t, "day.hl7", a04+"\n"+oruKnown+oruUnknown)
	bad := write(t, "bad.hl7", oruBad+garbled)
	var out, errOut bytes.Buffer
	code := run(t.Context(), []string{"ingest", "-db", db, "-json", day, bad}, &out, &errOut)
	assert.Equal(t, 1, code, "two messages were refused")
	var rep map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep), out.String())
	rejected := rep["rejected"].([]any)
	delete(rep, "rejected")
	assert.Equal(t, map[string]any{"messages": 5.0, "accepted": 3.0, "patients": 1.0, "results": 2.0, "reconciliation": 1.0}, rep)
	require.Len(t, rejected, 2)
	r0, r1 := rejected[0].(map[string]any), rejected[1].(map[string]any)
	assert.Equal(t, bad, r0["source"])
	assert.Equal(t, 0.0, r0["index"])
	assert.Equal(t, "AE", r0["ack"])
	assert.Contains(t, r0["error"], "OBX^3")
	assert.Equal(t, 1.0, r1["index"])
	assert.Equal(t, "AR", r1["ack"])
	assert.Contains(t, r1["error"], "OBX^2^5")
	assert.NotContains(t, out.String(), "SECRET", "no message content")
	assert.NotContains(t, out.String(), "DOE")

	// The same files again: the store already holds them, nothing doubles.
	out.Reset()
	run(t.Context(), []string{"ingest", "-db", db, "-json", day}, &out, &errOut)
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep), out.String())
	assert.Equal(t, 2.0, rep["results"])
	assert.Equal(t, 1.0, rep["reconciliation"])
}

func TestIngestACKs(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(t.Context(), []string{"ingest", "-db", filepath.Join(t.TempDir(), "x.db"), write(t, "day.hl7", a04+oruKnown)}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var msa []string
	for _, l := range lines {
		if strings.HasPrefix(l, "MSA|") {
			msa = append(msa, l)
		}
	}
	assert.Equal(t, []string{"MSA|AA|m1", "MSA|AA|m2"}, msa)
	assert.True(t, strings.HasPrefix(lines[0], "MSH|^~\\&|EHR|HOSP|REG|HOSP|"))

	assert.Equal(t, 2, run(t.Context(), []string{"ingest"}, &out, &errOut), "no file")
	assert.Equal(t, 2, run(t.Context(), []string{"ingest", "-db", "a.db", "-postgres", "x", "f.hl7"}, &out, &errOut), "two stores")
}

// Every message of the FHIR-Converter set is answered: accepted, or AE/AR
// with the place of the problem.
func TestIngestCorpus(t *testing.T) {
	dir := os.Getenv("EHRKIT_CORPUS")
	if dir == "" {
		t.Skip("EHRKIT_CORPUS is not set: the ingest corpus test needs hl7v2/fhir-converter")
	}
	files, err := filepath.Glob(filepath.Join(dir, "hl7v2", "fhir-converter", "*.hl7"))
	require.NoError(t, err)
	if len(files) == 0 {
		t.Skip("no hl7v2/fhir-converter messages in the corpus")
	}
	var out, errOut bytes.Buffer
	run(t.Context(), append([]string{"ingest", "-json", "-db", filepath.Join(t.TempDir(), "c.db")}, files...), &out, &errOut)
	var rep ingestReport
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep), errOut.String())
	assert.Equal(t, len(files), rep.Messages)
	assert.Positive(t, rep.Accepted)
	assert.Positive(t, rep.Patients)
	for _, r := range rep.Rejected {
		assert.Contains(t, []string{"AE", "AR"}, r.Ack, r.Source)
		assert.NotEmpty(t, r.Error, r.Source)
	}
	t.Logf("%d messages, %d accepted, %d patients, %d results, %d in reconciliation", rep.Messages, rep.Accepted, rep.Patients, rep.Results, rep.Reconciliation)
}
