package hl7v2_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit/interop/hl7v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMLLPReader(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, hl7v2.WriteMLLP(&buf, []byte(oru)))
	buf.WriteString("\r\n")
	require.NoError(t, hl7v2.WriteMLLP(&buf, []byte("MSH|^~\\&|B\r")))
	r := hl7v2.NewMLLPReader(&buf, 0)
	m, err := r.ReadMessage()
	require.NoError(t, err)
	assert.Equal(t, oru, string(m))
	m, err = r.ReadMessage()
	require.NoError(t, err)
	assert.Equal(t, "MSH|^~\\&|B\r", string(m))
	_, err = r.ReadMessage()
	assert.ErrorIs(t, err, io.EOF)

	_, err = hl7v2.NewMLLPReader(bytes.NewBufferString(oru), 0).ReadMessage()
	assert.ErrorIs(t, err, hl7v2.ErrUnframed, "a peer that does not frame")
	_, err = hl7v2.NewMLLPReader(bytes.NewBufferString("\x0bMSH|\x1cX"), 0).ReadMessage()
	assert.ErrorIs(t, err, hl7v2.ErrUnframed, "0x1C not followed by 0x0D")
	_, err = hl7v2.NewMLLPReader(bytes.NewBufferString("\x0bMSH|^~"), 0).ReadMessage()
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	big := append(append([]byte{0x0b}, bytes.Repeat([]byte("x"), 10000)...), 0x1c, 0x0d)
	_, err = hl7v2.NewMLLPReader(bytes.NewReader(big), 100).ReadMessage()
	assert.ErrorIs(t, err, hl7v2.ErrFrameTooLarge)
}

// A server on loopback answers fragmented messages with the handler's ACK
// and drains on cancel.
func TestServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	at := time.Date(2026, 11, 25, 9, 6, 0, 0, time.UTC)
	go func() {
		done <- hl7v2.Server{IdleTimeout: 5 * time.Second}.Serve(ctx, ln, func(_ context.Context, msg []byte) []byte {
			m, err := hl7v2.Parse(msg)
			if err != nil {
				return []byte("MSH|^~\\&|EHR\rMSA|AR|\r")
			}
			return hl7v2.Ack(m, hl7v2.AA, "ack-"+m.ControlID(), at).Encode()
		})
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	var frame bytes.Buffer
	require.NoError(t, hl7v2.WriteMLLP(&frame, []byte(oru)))
	b := frame.Bytes()
	for i := 0; i < len(b); i += 7 { // fragmented writes
		_, err := c.Write(b[i:min(i+7, len(b))])
		require.NoError(t, err)
		time.Sleep(time.Millisecond)
	}
	ack, err := hl7v2.NewMLLPReader(c, 0).ReadMessage()
	require.NoError(t, err)
	am, err := hl7v2.Parse(ack)
	require.NoError(t, err)
	assert.Equal(t, "AA", am.Get("MSA-1"))
	assert.Equal(t, "c-1", am.Get("MSA-2"))

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not drain")
	}
}

func FuzzMLLP(f *testing.F) {
	var buf bytes.Buffer
	_ = hl7v2.WriteMLLP(&buf, []byte(oru))
	f.Add(buf.Bytes())
	f.Add([]byte("\x0b\x1c\r\x0bab\x1c"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := hl7v2.NewMLLPReader(bytes.NewReader(data), 1<<12)
		for range 100 {
			m, err := r.ReadMessage()
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, hl7v2.ErrUnframed) && !errors.Is(err, hl7v2.ErrFrameTooLarge) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if len(m) > 1<<12 {
				t.Fatal("frame over the limit")
			}
		}
	})
}

// Framing problems are *FrameError values with the stream offset, the
// sentinel of the problem inside; a peer that stops inside a frame is a
// FrameError wrapping the timeout, not a bare timeout.
func TestMLLPFrameErrors(t *testing.T) {
	var fe *hl7v2.FrameError
	_, err := hl7v2.NewMLLPReader(bytes.NewBufferString("\r\nGET / HTTP/1.1"), 0).ReadMessage()
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, hl7v2.FrameError{Offset: 2, Err: hl7v2.ErrUnframed}, *fe)
	_, err = hl7v2.NewMLLPReader(bytes.NewBufferString("\x0bMSH|\x1cX"), 0).ReadMessage()
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, hl7v2.FrameError{Offset: 7, InFrame: true, Err: hl7v2.ErrUnframed}, *fe)
	assert.NotContains(t, err.Error(), "MSH", "no message bytes")

	server, client := net.Pipe()
	defer server.Close()
	defer client.Close()
	go func() { _, _ = client.Write([]byte("\x0bMSH|^~\\&|partial")) }()
	require.NoError(t, server.SetReadDeadline(time.Now().Add(100*time.Millisecond)))
	_, err = hl7v2.NewMLLPReader(server, 0).ReadMessage()
	require.ErrorAs(t, err, &fe)
	assert.True(t, fe.InFrame)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
}

// A peer that does not frame gets a framed AR saying so before the server
// closes the connection, instead of waiting for an answer until it times out.
func TestServeAnswersUnframedPeer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_ = hl7v2.Server{IdleTimeout: 5 * time.Second}.Serve(ctx, ln, func(context.Context, []byte) []byte { return nil })
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("MSH|^~\\&|LAB\r"))
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	ack, err := hl7v2.NewMLLPReader(c, 0).ReadMessage()
	require.NoError(t, err)
	m, err := hl7v2.Parse(ack)
	require.NoError(t, err)
	assert.Equal(t, "AR", m.Get("MSA-1"))
	assert.Contains(t, m.Get("ERR-8"), "outside an MLLP frame")
	_, err = c.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "then the connection is closed")
}
