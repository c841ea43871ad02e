package hl7v2_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ehrkit/ehrkit/interop/hl7v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseBadInput: bad bytes are refused with an *hl7v2.Error that locates
// them (segment line and byte offset), never a panic. Memory is bounded by
// the message size limit (DefaultMaxMessageSize unless WithMaxMessageSize):
// larger input is refused before it is split.
func TestParseBadInput(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		segment int // the segment line named; 0 for the message as a whole
	}{
		{"empty", "", 0},
		{"10 MB over a 1 MiB limit", oru + "OBX|3|TX|x^y^LN||" + strings.Repeat("a", 10<<20) + "\r", 0},
		{"no MSH", "PID|1||mrn-1\r", 1},
		{"segment name of control bytes", oru + "\x01\x02\x03|x\r", 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := hl7v2.Parse([]byte(tt.data), hl7v2.WithMaxMessageSize(1<<20))
			var pe *hl7v2.Error
			require.True(t, errors.As(err, &pe), "want *hl7v2.Error, got %v", err)
			assert.Equal(t, tt.segment, pe.SegmentIndex)
			assert.GreaterOrEqual(t, pe.Offset, 0)
			assert.NotContains(t, pe.Error(), "DOE", "no message content in the error")
		})
	}
}
