package hl7v2_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ehrkit/ehrkit/interop/hl7v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// corpusFiles lists the HL7 v2 corpus files, skipping the test without the corpus.
func corpusFiles(tb testing.TB) []string {
	tb.Helper()
	dir := os.Getenv("EHRKIT_CORPUS")
	if dir == "" {
		tb.Skip("EHRKIT_CORPUS is not set: the HL7 v2 corpus tests need it")
	}
	files, err := filepath.Glob(filepath.Join(dir, "hl7v2", "*.hl7"))
	require.NoError(tb, err)
	more, err := filepath.Glob(filepath.Join(dir, "hl7v2", "*", "*.hl7"))
	require.NoError(tb, err)
	files = append(files, more...)
	if len(files) == 0 {
		tb.Skip("no HL7 v2 messages under EHRKIT_CORPUS/hl7v2")
	}
	return files
}

// canonical rewrites a file's line endings to the HL7 segment terminator and
// drops empty lines: the bytes a strict sender would have sent.
func canonical(data []byte) []byte {
	s := strings.ReplaceAll(strings.TrimPrefix(string(data), "\uFEFF"), "\r\n", "\n")
	var b strings.Builder
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		b.WriteString(l)
		b.WriteByte('\r')
	}
	return []byte(b.String())
}

// The corpus files that are broken on purpose, with the position a strict
// parser must report.
var corpusRejects = map[string]struct {
	segment       string
	line, field   int
	noMessageFile bool
}{
	"Test_Message_empty.hl7":                         {noMessageFile: true},
	"Test_Message_msh_present_but_missing_msh-2.hl7": {segment: "MSH", line: 1, field: 2},
	// prose annotations between the segments
	"TN_001_TN_ORU_R01_LRI_annotated_for_transformation.hl7": {line: 6},
}

// Every corpus message parses (line feeds allowed: the files were saved by
// editors), and its canonical form parses strictly and encodes back to the
// same bytes.
func TestCorpusRoundTrip(t *testing.T) {
	for _, f := range corpusFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			b, err := hl7v2.ParseBatch(data, hl7v2.AllowLineFeeds())
			if want, ok := corpusRejects[filepath.Base(f)]; ok {
				var pe *hl7v2.Error
				if want.noMessageFile {
					require.ErrorAs(t, err, &pe)
					return
				}
				if err == nil {
					require.Len(t, b.Errs, 1)
					err = b.Errs[0]
				}
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, want.segment, pe.Segment)
				assert.Equal(t, want.line, pe.SegmentIndex)
				assert.Equal(t, want.field, pe.Field)
				assert.NotContains(t, pe.Error(), string(data[max(0, pe.Offset-1):min(len(data), pe.Offset+8)]), "no message bytes in the error")
				return
			}
			require.NoError(t, err)
			require.Len(t, b.Messages, 1)
			require.NoError(t, b.Errs[0])
			m := b.Messages[0]
			assert.NotEmpty(t, m.Type())
			assert.Equal(t, "MSH", m.Segments[0].Name)

			canon := canonical(data)
			assert.Equal(t, string(canon), string(m.Encode()), "encode gives the canonical bytes")
			strict, err := hl7v2.Parse(canon)
			require.NoError(t, err, "the canonical form parses strictly")
			assert.True(t, bytes.Equal(canon, strict.Encode()), "byte-identical round trip")
			_, err = hl7v2.Parse(data)
			if bytes.IndexByte(data, '\n') >= 0 {
				var pe *hl7v2.Error
				require.ErrorAs(t, err, &pe, "strictly, a line feed is an error")
			}
		})
	}
}

// The fields a result feed reads come out of corpus messages unescaped.
func TestCorpusFields(t *testing.T) {
	dir := os.Getenv("EHRKIT_CORPUS")
	if dir == "" {
		t.Skip("EHRKIT_CORPUS is not set")
	}
	data, err := os.ReadFile(filepath.Join(dir, "hl7v2", "fhir-converter", "ADT-A40-01.hl7"))
	require.NoError(t, err)
	b, err := hl7v2.ParseBatch(data, hl7v2.AllowLineFeeds())
	require.NoError(t, err)
	m := b.Messages[0]
	assert.Equal(t, "ADT^A40", m.Type())
	mrg, ok := m.Segment("MRG", 1)
	require.True(t, ok)
	assert.NotEmpty(t, mrg.Field(1).Rep(1).Component(1).Sub(1))
	assert.NotEmpty(t, m.Get("PID-3.1"))
}
