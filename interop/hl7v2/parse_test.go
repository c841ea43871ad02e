package hl7v2_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/interop/hl7v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const oru = "MSH|^~\\&|LAB|HOSP|EHR|CLINIC|20261125090500||ORU^R01^ORU_R01|c-1|P|2.5.1\r" +
	"PID|1||mrn-1^^^HOSP^MR~ssn-9^^^SSA^SS||DOE^JANE^Q\r" +
	"OBX|1|TX|11529-5^Surgical path^LN||a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\.br\\g\\X41\\\\H\\h\\N\\||||||F\r" +
	"OBX|2|ST|x^y^LN||sub1&sub2^c2\r" +
	"ZPI|custom|kept\r"

func TestParseFieldsAndEscapes(t *testing.T) {
	m, err := hl7v2.Parse([]byte(oru))
	require.NoError(t, err)
	assert.Equal(t, "ORU^R01", m.Type())
	assert.Equal(t, "c-1", m.ControlID())
	assert.Equal(t, "2.5.1", m.Version())
	assert.Equal(t, "mrn-1", m.Get("PID-3.1"))
	assert.Equal(t, "ssn-9", m.Get("PID-3[2].1"))
	assert.Equal(t, "SS", m.Get("PID-3[2].5"))
	assert.Equal(t, "JANE", m.Get("PID-5.2"))
	assert.Equal(t, "a|b^c&d~e\\f\ngAh", m.Get("OBX-5"), "the full escape set")
	assert.Equal(t, "sub2", m.Get("OBX(2)-5.1.2"))
	assert.Equal(t, "c2", m.Get("OBX(2)-5.2"))
	assert.Equal(t, "", m.Get("OBX(3)-5"), "absent segment")
	assert.Equal(t, "", m.Get("PID-99.1"), "absent field")
	assert.Equal(t, "", m.Get("bad"), "malformed path")
	assert.Len(t, m.All("OBX"), 2)
	z, ok := m.Segment("ZPI", 1)
	require.True(t, ok, "Z-segments are kept")
	assert.Equal(t, "kept", z.Field(2).Text())
	pid, _ := m.Segment("PID", 1)
	assert.Len(t, pid.Field(3).Repetitions(), 2)
	assert.Equal(t, oru, string(m.Encode()), "byte-identical round trip")
}

func TestEscapeText(t *testing.T) {
	d := hl7v2.StandardDelimiters
	for _, s := range []string{"plain", "a|b^c&d~e\\f", "\\", "\\\\", "trailing\\", "x\ny"} {
		assert.Equal(t, s, d.UnescapeText(d.EscapeText(s)), s)
	}
	assert.Equal(t, `\E\\E\`, d.EscapeText(`\\`), "consecutive escape characters")
	assert.Equal(t, "a\\", d.UnescapeText(`a\E\`), `\E\ at the end of a field`)
	assert.Equal(t, "line1\nline2", d.UnescapeText(`line1\.br\line2`))
}

// Non-standard delimiters come from MSH-1 and MSH-2.
func TestNonStandardDelimiters(t *testing.T) {
	msg := "MSH#*@!%#SND######ADT*A01#9#P#2.3\rPID#1##a*b@c*d%e#!F!x\r"
	m, err := hl7v2.Parse([]byte(msg))
	require.NoError(t, err)
	assert.Equal(t, hl7v2.Delimiters{Field: '#', Component: '*', Repetition: '@', Escape: '!', Subcomponent: '%'}, m.Delims)
	assert.Equal(t, "ADT^A01", m.Type())
	assert.Equal(t, "c", m.Get("PID-3[2].1"))
	assert.Equal(t, "e", m.Get("PID-3[2].2.2"))
	assert.Equal(t, "#x", m.Get("PID-4"))
	assert.Equal(t, msg, string(m.Encode()))
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, msg                   string
		opts                        []hl7v2.Option
		seg                         string
		line, field, rep, comp, sub int
		limit                       bool
	}{
		{name: "unknown escape", msg: "MSH|^~\\&|A\rOBX|1|ST|c||x~a^b\\Q\\c", seg: "OBX", line: 2, field: 5, rep: 2, comp: 2, sub: 1},
		{name: "unterminated escape", msg: "MSH|^~\\&|A\rPID|1||a&b\\F", seg: "PID", line: 2, field: 3, rep: 1, comp: 1, sub: 2},
		{name: "line feed", msg: "MSH|^~\\&|A\nPID|1", line: 1},
		{name: "bad segment name", msg: "MSH|^~\\&|A\rpid|1", line: 2},
		{name: "duplicate delimiters", msg: "MSH|^^\\&|A\r", seg: "MSH", line: 1, field: 2},
		{name: "not MSH", msg: "PID|1\r", line: 1},
		{name: "field limit", msg: "MSH|^~\\&|A\rOBX|1|ED|c||0123456789", opts: []hl7v2.Option{hl7v2.WithMaxFieldLength(5)}, seg: "OBX", line: 2, field: 5, limit: true},
		{name: "segment limit", msg: "MSH|^~\\&|A\rPID|1\rPV1|1\r", opts: []hl7v2.Option{hl7v2.WithMaxSegments(2)}, line: 3, limit: true},
		{name: "size limit", msg: "MSH|^~\\&|A\r", opts: []hl7v2.Option{hl7v2.WithMaxMessageSize(4)}, limit: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := hl7v2.Parse([]byte(tc.msg), tc.opts...)
			var pe *hl7v2.Error
			require.ErrorAs(t, err, &pe)
			assert.ErrorIs(t, err, ehrkit.ErrInvalid)
			assert.Equal(t, tc.limit, errors.Is(err, hl7v2.ErrLimit))
			assert.Equal(t, tc.seg, pe.Segment)
			assert.Equal(t, tc.line, pe.SegmentIndex)
			assert.Equal(t, []int{tc.field, tc.rep, tc.comp, tc.sub}, []int{pe.Field, pe.Repetition, pe.Component, pe.Subcomponent})
		})
	}
	_, err := hl7v2.Parse([]byte("MSH|^~\\&|A\rOBX|1|ST|c||x\\Q\\"), hl7v2.AllowUnknownEscapes())
	assert.NoError(t, err, "AllowUnknownEscapes keeps them as text")
	_, err = hl7v2.Parse([]byte("MSH|^~\\&|A\r\nPID|1\n\nPV1|1\n"), hl7v2.AllowLineFeeds())
	assert.NoError(t, err)
}

// Errors never repeat message content.
func TestErrorsCarryNoPHI(t *testing.T) {
	_, err := hl7v2.Parse([]byte("MSH|^~\\&|A\rPID|1||SECRETNAME\\Q\\"))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "SECRET")
	_, err = hl7v2.Parse([]byte("MSH|^~\\&|A\rSECRET|1"))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "SECRET")
}

func TestParseBatch(t *testing.T) {
	body := "MSH|^~\\&|A|||||||ADT^A01|m1|P|2.5.1\rPID|1\r"
	bad := "MSH|^~\\&|A|||||||ADT^A01|m2|P|2.5.1\rPID|1||x\\Q\\\r"
	file := "FHS|^~\\&|A\rBHS|^~\\&|A\r" + body + bad + body + "BTS|3\rFTS|1\r"
	b, err := hl7v2.ParseBatch([]byte(file))
	require.NoError(t, err)
	require.Len(t, b.Messages, 3)
	assert.NoError(t, b.Errs[0])
	var pe *hl7v2.Error
	require.ErrorAs(t, b.Errs[1], &pe, "one bad message does not hide the others")
	assert.Equal(t, 2, pe.SegmentIndex, "the line within its message")
	assert.NoError(t, b.Errs[2])
	require.Len(t, b.Envelope, 4)
	assert.Equal(t, "FHS", b.Envelope[0].Segment.Name)
	assert.Equal(t, 3, b.Envelope[3].Before)
	assert.Equal(t, strings.Replace(file, bad, "", 1), string(b.Encode()))

	bare, err := hl7v2.ParseBatch([]byte(body + body))
	require.NoError(t, err)
	assert.Len(t, bare.Messages, 2, "bare multi-MSH files")
	_, err = hl7v2.Parse([]byte(body + body))
	require.ErrorAs(t, err, &pe, "Parse reads one message")
	_, err = hl7v2.ParseBatch(nil)
	require.ErrorAs(t, err, &pe)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(oru))
	f.Add([]byte("MSH#*@!%#SND######ADT*A01#9#P#2.3\rPID#1##a*b@c*d%e#!F!x\r"))
	f.Add([]byte("FHS|^~\\&\rMSH|^~\\&|A\rBTS|1\r"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := hl7v2.Parse(data, hl7v2.WithMaxMessageSize(1<<16))
		if err != nil {
			var pe *hl7v2.Error
			if !errors.As(err, &pe) {
				t.Fatalf("untyped error %T", err)
			}
			return
		}
		again, err := hl7v2.Parse(m.Encode())
		if err != nil {
			t.Fatalf("re-parse of an encoded message: %v", err)
		}
		if string(again.Encode()) != string(m.Encode()) {
			t.Fatal("encoding is not stable")
		}
		_ = m.Get("PID-3[2].1.1")
		if b, err := hl7v2.ParseBatch(data, hl7v2.AllowLineFeeds()); err == nil {
			_ = b.Encode()
		}
	})
}
