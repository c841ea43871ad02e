package access_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/pgstore"
	"github.com/ehrkit/ehrkit/storage/sqlitestore"
)

// Environment of the child process of TestAcknowledgedReadsSurviveSIGKILL.
const (
	crashChildEnv   = "ACCESS_CRASH_CHILD"   // "sqlite" or "postgres"
	crashPlaceEnv   = "ACCESS_CRASH_PLACE"   // SQLite file, or PostgreSQL DSN
	crashSchemaEnv  = "ACCESS_CRASH_SCHEMA"  // PostgreSQL schema
	crashJournalEnv = "ACCESS_CRASH_JOURNAL" // the audit journal, "" for none
)

// crashReaders is how many goroutines of the child read at once, so that
// the kill lands in batches of several events.
const crashReaders = 8

// crashOpen opens the store of the crash test, in the parent or the child.
func crashOpen(backend, place, schema string) (storage.Store, error) {
	if backend == "postgres" {
		return pgstore.Open(context.Background(), place, pgstore.WithSchema(schema))
	}
	return sqlitestore.Open(context.Background(), place)
}

// TestAcknowledgedReadsSurviveSIGKILL runs guarded reads in a child process
// (this test binary again) that prints a line for every read returned to it,
// kills it with SIGKILL at a random point, and checks that every read it
// acknowledged left its audit event and the chain verifies, several times
// per backend. A read's event is durable before its data is returned, so no
// kill may lose one (HIPAA 45 CFR 164.312(b): every access recorded). The
// journal variant audits through an audit journal (WithJournal): the kills
// land before, during and after its drains, and the journal is replayed
// once at the end.
func TestAcknowledgedReadsSurviveSIGKILL(t *testing.T) {
	if backend := os.Getenv(crashChildEnv); backend != "" {
		crashChild(t, backend)
		return
	}
	if testing.Short() {
		t.Skip("kills a child process several times")
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		for _, journal := range []bool{false, true} {
			name := backend
			if journal {
				name += "/journal"
			}
			t.Run(name, func(t *testing.T) { crashBackend(t, backend, journal) })
		}
	}
}

func crashBackend(t *testing.T, backend string, journal bool) {
	place, schema := filepath.Join(t.TempDir(), "crash.db"), ""
	if backend == "postgres" {
		place, schema = testbackends.PostgresSchema(t)
	}
	jpath := ""
	if journal {
		jpath = filepath.Join(t.TempDir(), "audit.journal")
	}
	s, err := crashOpen(backend, place, schema)
	require.NoError(t, err)
	seedPatients(t, s)
	for i := range 50 {
		seed(t, s, rec("Observation", fmt.Sprintf("o%02d", i), "p1"))
	}
	require.NoError(t, s.Close())
	acked := map[string]int{} // record id -> reads acknowledged
	for kill := range 4 {
		crashRound(t, backend, place, schema, jpath, 20+rand.IntN(200), acked)
		t.Logf("after kill %d: %d reads acknowledged in all", kill+1, total(acked))
	}
	s, err = crashOpen(backend, place, schema)
	require.NoError(t, err)
	defer func() { _ = s.Close() }()
	if journal {
		before := total(reads(t, s))
		j, err := access.OpenJournal(context.Background(), jpath, s)
		require.NoError(t, err)
		require.NoError(t, j.Close())
		t.Logf("%d read events in the chain, %d after the journal's replay", before, total(reads(t, s)))
	}
	require.NoError(t, access.Verify(context.Background(), s))
	audited := reads(t, s)
	for id, n := range acked {
		assert.GreaterOrEqual(t, audited[id], n, "reads of %s acknowledged, events of them", id)
	}
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// crashRound starts the child, kills it once it has acknowledged after
// reads, and adds every read it acknowledged to acked.
func crashRound(t *testing.T, backend, place, schema, journal string, after int, acked map[string]int) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestAcknowledgedReadsSurviveSIGKILL$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+backend, crashPlaceEnv+"="+place, crashSchemaEnv+"="+schema, crashJournalEnv+"="+journal)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	lines := bufio.NewScanner(out)
	n := 0
	for lines.Scan() {
		id, ok := strings.CutPrefix(lines.Text(), "ack ")
		if !ok {
			continue
		}
		acked[id]++
		if n++; n == after {
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		}
	}
	err = cmd.Wait()
	require.Error(t, err, "the child ends only when killed")
	require.GreaterOrEqual(t, n, after, "the child was killed before it read enough: %v", err)
}

// crashChild reads until it is killed, printing "ack <id>" for every read
// returned.
func crashChild(t *testing.T, backend string) {
	s, err := crashOpen(backend, os.Getenv(crashPlaceEnv), os.Getenv(crashSchemaEnv))
	require.NoError(t, err)
	opts := []access.Option{}
	if path := os.Getenv(crashJournalEnv); path != "" {
		j, err := access.OpenJournal(context.Background(), path, s)
		require.NoError(t, err)
		opts = append(opts, access.WithJournal(j), access.WithConsentCache(time.Second))
	}
	g := access.Guard(s, testPolicy(t), opts...)
	ctx := as(physician)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for r := range crashReaders {
		wg.Go(func() {
			for i := r; ; i++ {
				id := fmt.Sprintf("o%02d", i%50)
				if _, err := g.Get(ctx, "Observation", id); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ack %s\n", id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
