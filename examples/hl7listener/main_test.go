package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"net"

	"github.com/ehrkit/ehrkit/examples/internal/hl7feed"
	"github.com/ehrkit/ehrkit/interop/hl7v2"
	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/sqlitestore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for the listener and the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func corpusMessage(t *testing.T, name string) []byte {
	t.Helper()
	dir := os.Getenv("EHRKIT_CORPUS")
	if dir == "" {
		t.Skip("EHRKIT_CORPUS is not set: the listener test sends hl7v2/fhir-converter messages")
	}
	data, err := os.ReadFile(filepath.Join(dir, "hl7v2", "fhir-converter", name))
	if os.IsNotExist(err) {
		t.Skipf("%s is not in the corpus", name)
	}
	require.NoError(t, err)
	segs := strings.FieldsFunc(strings.TrimPrefix(string(data), "\uFEFF"), func(r rune) bool { return r == '\r' || r == '\n' })
	return []byte(strings.Join(segs, "\r") + "\r")
}

// start runs the listener on a free loopback port over db; it returns the
// address and a stop function that cancels it (as SIGTERM does) and waits
// for its exit status.
func start(t *testing.T, db string) (string, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-db", db}, &out, &errOut) }()
	re := regexp.MustCompile(`listening on (\S+)`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1], func() int {
				cancel()
				select {
				case code := <-done:
					return code
				case <-time.After(10 * time.Second):
					t.Fatal("the listener did not drain")
					return -1
				}
			}
		}
		select {
		case code := <-done:
			t.Fatalf("the listener exited with %d: %s", code, errOut.String())
		default:
		}
		require.True(t, time.Now().Before(deadline), "the listener did not start: %s", errOut.String())
		time.Sleep(10 * time.Millisecond)
	}
}

// sendFragmented writes one MLLP frame in pieces of n bytes, as TCP may
// deliver it.
func sendFragmented(t *testing.T, c net.Conn, msg []byte, n int) {
	t.Helper()
	var frame bytes.Buffer
	require.NoError(t, hl7v2.WriteMLLP(&frame, msg))
	b := frame.Bytes()
	for len(b) > 0 {
		k := min(n, len(b))
		_, err := c.Write(b[:k])
		require.NoError(t, err)
		b = b[k:]
		time.Sleep(time.Millisecond)
	}
}

// Real corpus messages over TCP, in fragments: the CBC report's patient is
// registered by an A04 carrying its PID, its ten results are filed and the
// final one is notified; the converter's A04 registers the patient its SIU
// then books; every ACK answers its message, in order; a DFT is refused AR.
func TestListener(t *testing.T) {
	cbc := corpusMessage(t, "LAB-ORU-1.hl7")
	a04 := corpusMessage(t, "ADT-A04-01.hl7")
	siu := corpusMessage(t, "SIU-S12-01.hl7")
	dft := corpusMessage(t, "DFT-P03-01.hl7")
	cbcPID := regexp.MustCompile(`(?m)PID\|[^\r]*`).Find(cbc)
	register := []byte("MSH|^~\\&|REG|HOSP|EHR|HOSP|20141006060000||ADT^A04^ADT_A04|reg-1|P|2.5.1\rEVN|A04|20141006060000\r" + string(cbcPID) + "\r")

	db := filepath.Join(t.TempDir(), "listener.db")
	addr, stop := start(t, db)
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	r := hl7v2.NewMLLPReader(c, 0)
	want := map[string]string{"reg-1": "AA", "182": "AA"}
	for i, m := range [][]byte{register, cbc, a04, siu, dft} {
		sendFragmented(t, c, m, 7+i*13)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(20*time.Second)))
		ack, err := r.ReadMessage()
		require.NoError(t, err)
		am, err := hl7v2.Parse(ack)
		require.NoError(t, err)
		sent, err := hl7v2.Parse(m)
		require.NoError(t, err)
		assert.Equal(t, sent.ControlID(), am.Get("MSA-2"), "the ACK answers message %d", i)
		code := am.Get("MSA-1")
		if w, ok := want[sent.ControlID()]; ok {
			assert.Equal(t, w, code, "message %d", i)
		} else if sent.Get("MSH-9.1") == "DFT" {
			assert.Equal(t, "AR", code)
		} else {
			assert.Equal(t, "AA", code, "message %d: %q", i, ack)
		}
	}

	// SIGTERM with the connection open: the listener drains and exits 0.
	assert.Equal(t, 0, stop())

	ctx := hl7feed.Context(t.Context())
	store, err := sqlitestore.Open(ctx, db)
	require.NoError(t, err)
	defer store.Close()
	feed, err := hl7feed.New(store)
	require.NoError(t, err)
	counts, err := feed.Counts(ctx)
	require.NoError(t, err)
	assert.Equal(t, hl7feed.Counts{Patients: 2, Results: 10, Reconciliation: 0}, counts)
	changes, err := store.Changes(ctx, 0, 10000)
	require.NoError(t, err)
	var notified []lab.Notification
	booked := 0
	for _, ch := range changes {
		if ch.Kind == storage.ChangeEvent && ch.Topic == lab.TopicResult {
			var n lab.Notification
			require.NoError(t, json.Unmarshal(ch.Payload, &n))
			notified = append(notified, n)
		}
		if ch.Type == "Appointment" {
			booked++
		}
	}
	require.Len(t, notified, 1, "the one final result of the CBC (platelets, OBX-11 F)")
	assert.NotEmpty(t, notified[0].Patient)
	assert.Equal(t, 1, booked)
}

func TestListenerUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	assert.Equal(t, 2, run(t.Context(), []string{"-nope"}, &out, &errOut))
	assert.Equal(t, 2, run(t.Context(), []string{"-db", "a.db", "-postgres", "x"}, &out, &errOut))
	assert.Equal(t, 2, run(t.Context(), []string{"extra"}, &out, &errOut))
}
