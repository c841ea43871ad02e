package x12_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/interop/x12"
)

var testInterchange = x12.Interchange{SenderQualifier: "ZZ", Sender: "CLINIC", ReceiverQualifier: "ZZ", Receiver: "PAYER",
	AppSender: "CLINIC", AppReceiver: "PAYER", Control: 42, Time: time.Date(2026, 3, 4, 9, 30, 0, 0, time.UTC)}

// TestWriteRead writes two sets with computed envelopes and reads them back
// strictly: every count and control number must agree.
func TestWriteRead(t *testing.T) {
	var buf bytes.Buffer
	w := x12.NewWriter(&buf, x12.DefaultDelimiters)
	require.NoError(t, w.Begin(testInterchange, "HC", "005010X222A2"))
	for range 2 {
		require.NoError(t, w.BeginSet("837", "005010X222A2"))
		require.NoError(t, w.Write(x12.NewSegment("BHT", "0019", "00", "1", "20260304", "0930", "CH")))
		require.NoError(t, w.Write(x12.NewSegment("REF", "EA", "X", "", "")))
		require.NoError(t, w.EndSet())
	}
	require.NoError(t, w.End())
	assert.Error(t, w.EndSet(), "no set is open after End")

	r := x12.NewReader(&buf, x12.WithLeniency(x12.LenientStructure))
	var ids []string
	for {
		s, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		ids = append(ids, s.ID())
		if s.ID() == "SE" {
			assert.Equal(t, "4", s.Element(1))
		}
		if s.ID() == "REF" {
			assert.Equal(t, 2, s.Len(), "trailing empty elements are not written")
		}
	}
	assert.Equal(t, []string{"ISA", "GS", "ST", "BHT", "REF", "SE", "ST", "BHT", "REF", "SE", "GE", "IEA"}, ids)
	assert.Equal(t, "000000042", r.Envelope().Interchange)
}
