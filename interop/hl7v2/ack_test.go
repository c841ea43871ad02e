package hl7v2_test

import (
	"testing"
	"time"

	"github.com/ehrkit/ehrkit/interop/hl7v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAck(t *testing.T) {
	orig, err := hl7v2.Parse([]byte(oru))
	require.NoError(t, err)
	at := time.Date(2026, 11, 25, 9, 6, 0, 0, time.UTC)

	ack := hl7v2.Ack(orig, hl7v2.AA, "a-1", at)
	assert.Equal(t, "MSH|^~\\&|EHR|CLINIC|LAB|HOSP|20261125090600+0000||ACK^R01^ACK|a-1|P|2.5.1\rMSA|AA|c-1\r", string(ack.Encode()))

	_, perr := hl7v2.Parse([]byte("MSH|^~\\&|A\rOBX|1|ST|c||x~a^b\\Q\\c"))
	var pe *hl7v2.Error
	require.ErrorAs(t, perr, &pe)
	ack = hl7v2.Ack(orig, hl7v2.CE, "a-2", at, hl7v2.ParseAckError(pe))
	back, err := hl7v2.Parse(ack.Encode())
	require.NoError(t, err, "an ACK parses")
	assert.Equal(t, "CE", back.Get("MSA-1"), "enhanced mode commit error")
	assert.Equal(t, orig.ControlID(), back.Get("MSA-2"), "MSA-2 is the original MSH-10")
	assert.Equal(t, "OBX", back.Get("ERR-2.1"))
	assert.Equal(t, "2", back.Get("ERR-2.2"))
	assert.Equal(t, "5", back.Get("ERR-2.3"))
	assert.Equal(t, "2", back.Get("ERR-2.4"))
	assert.Equal(t, "2", back.Get("ERR-2.5"))
	assert.Equal(t, "102", back.Get("ERR-3.1"))
	assert.Equal(t, "E", back.Get("ERR-4"))
	assert.Equal(t, pe.Reason, back.Get("ERR-8"))
}
