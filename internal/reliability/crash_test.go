package reliability

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/invariant"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/internal/workload"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/pgstore"
	"github.com/ehrkit/ehrkit/storage/sqlitestore"
)

var (
	crashFull  = flag.Bool("crash.full", false, "run the full crash suite: 50 SIGKILLs per backend")
	crashKills = flag.Int("crash.kills", 0, "SIGKILLs per backend (default 3, 50 with -crash.full)")
)

// Environment of the child process TestCrash runs.
const (
	childBackend = "RELIABILITY_CRASH_BACKEND" // sqlite or postgres
	childTarget  = "RELIABILITY_CRASH_TARGET"  // the SQLite file, or DSN and schema separated by a space
	childImport  = "RELIABILITY_CRASH_IMPORT"  // the NDJSON file the child imports
	childSeed    = "RELIABILITY_CRASH_SEED"
)

// importPatients is the size of the import the child runs: 5 resources each.
const importPatients = 60

// feedConsumer is the change-feed consumer the child runs; every change it
// handles is acknowledged as "feed <seq> -".
const feedConsumer = "crash-consumer"

// openTarget opens the store the child writes: a SQLite file or a PostgreSQL
// schema.
func openTarget(ctx context.Context, backend, target string) (storage.Store, error) {
	if backend == "sqlite" {
		return sqlitestore.Open(ctx, target)
	}
	dsn, schema, _ := strings.Cut(target, " ")
	return pgstore.Open(ctx, dsn, pgstore.WithSchema(schema))
}

// TestCrash runs the clinic workload in a child process — registrations,
// bookings, signed orders, merges, ADT registrations, a FHIR import, the
// prescription dispatcher and a change-feed consumer, all at once — kills it
// with SIGKILL at a random moment, reopens the store and checks that every
// acknowledged write is present and intact and every invariant holds, then
// starts the next child on the same store. At the end it finishes the
// interrupted import, which must give the counts of an uninterrupted one,
// and drains both outbox consumers: every prescription and every change was
// delivered at least once, and exactly once after idempotency filtering.
func TestCrash(t *testing.T) {
	if b := os.Getenv(childBackend); b != "" {
		crashChild(b)
		return
	}
	kills := *crashKills
	if kills == 0 {
		kills = 3
		if *crashFull {
			kills = 50
		}
	}
	if testing.Short() {
		t.Skip("-short: no crash runs")
	}
	dir := t.TempDir()
	importFile := filepath.Join(dir, "import.ndjson")
	f, err := os.Create(importFile)
	require.NoError(t, err)
	require.NoError(t, workload.WriteImport(f, importPatients))
	require.NoError(t, f.Close())

	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			target := filepath.Join(t.TempDir(), "crash.db")
			if backend == "postgres" {
				dsn, schema := testbackends.PostgresSchema(t)
				target = dsn + " " + schema
			}
			baseline := importBaseline(t, backend, target, importFile)
			runCrashes(t, backend, target, importFile, kills, baseline)
		})
	}
}

// importBaseline imports the file into a fresh store of the backend (a
// sibling SQLite file or schema) and returns its counts.
func importBaseline(t *testing.T, backend, target, importFile string) map[string]int {
	ctx := context.Background()
	var s storage.Store
	var err error
	if backend == "sqlite" {
		s, err = sqlitestore.Open(ctx, target+".baseline")
	} else {
		s, err = testbackends.PostgresPlace(t)(ehrkit.RealClock{})
	}
	require.NoError(t, err)
	defer s.Close()
	rep, err := workload.Import(ctx, s, importFile)
	require.NoError(t, err)
	require.Empty(t, rep.Failed)
	counts, err := workload.ImportCounts(ctx, s, importPatients)
	require.NoError(t, err)
	return counts
}

// crashRun is what the parent learned from the children.
type crashRun struct {
	acks      []workload.Ack
	delivered map[string]int // prescription key -> deliveries
	fed       map[int64]int  // feed seq -> deliveries to the consumer
	imports   int            // imports the children completed
}

func runCrashes(t *testing.T, backend, target, importFile string, kills int, baseline map[string]int) {
	ctx := context.Background()
	ackFile, err := os.Create(filepath.Join(t.TempDir(), "acks.log"))
	require.NoError(t, err)
	defer ackFile.Close()
	run := crashRun{delivered: map[string]int{}, fed: map[int64]int{}}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 18))
	for kill := range kills {
		lines := runChild(t, backend, target, importFile, rng, ackFile)
		for _, line := range lines {
			ack, err := workload.ParseAck(line)
			require.NoError(t, err)
			switch ack.Op {
			case "ready":
			case "import":
				run.imports++
			case "feed":
				seq, err := strconv.ParseInt(ack.ID, 10, 64)
				require.NoError(t, err)
				run.fed[seq]++
			case workload.OpDeliver:
				run.delivered[ack.ID]++
			default:
				run.acks = append(run.acks, ack)
			}
		}
		s, err := openTarget(ctx, backend, target)
		require.NoError(t, err, "reopen after kill %d", kill+1)
		for _, ack := range run.acks {
			require.NoError(t, workload.Confirm(ctx, s, ack), "after kill %d", kill+1)
		}
		require.NoError(t, invariant.Check(ctx, s), "after kill %d", kill+1)
		require.NoError(t, s.Close())
	}
	t.Logf("%s: %d kills, %d acknowledged writes confirmed, %d imports completed before a kill, %d prescriptions delivered, %d changes consumed",
		backend, kills, len(run.acks), run.imports, len(run.delivered), len(run.fed))

	s, err := openTarget(ctx, backend, target)
	require.NoError(t, err)
	defer s.Close()
	// The interrupted import, run again to completion, gives the counts of an
	// uninterrupted one.
	rep, err := workload.Import(ctx, s, importFile)
	require.NoError(t, err)
	require.Empty(t, rep.Failed)
	counts, err := workload.ImportCounts(ctx, s, importPatients)
	require.NoError(t, err)
	assert.Equal(t, baseline, counts, "import counts after the crashes")
	drainOutbox(t, s, &run)
	require.NoError(t, invariant.Check(ctx, s))
}

// runChild starts a child on the store, kills it with SIGKILL after a random
// time once it is ready, and returns the lines it acknowledged, each written
// and fsynced to ackFile as it arrives.
func runChild(t *testing.T, backend, target, importFile string, rng *rand.Rand, ackFile *os.File) []string {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrash$")
	cmd.Env = append(os.Environ(), childBackend+"="+backend, childTarget+"="+target, childImport+"="+importFile,
		childSeed+"="+strconv.FormatUint(rng.Uint64(), 10))
	cmd.ExtraFiles = []*os.File{w}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	require.NoError(t, w.Close())

	ready := make(chan struct{})
	var lines []string
	done := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			if _, err := io.WriteString(ackFile, line+"\n"); err != nil {
				done <- err
				return
			}
			if strings.HasPrefix(line, "ready ") {
				once.Do(func() { close(ready) })
			}
			lines = append(lines, line)
		}
		if err := ackFile.Sync(); err != nil {
			done <- err
			return
		}
		done <- sc.Err()
	}()
	select {
	case <-ready:
	case err := <-done:
		_ = cmd.Wait()
		t.Fatalf("child ended before it was ready (%v): %s", err, stderr.String())
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("child not ready after 60s: %s", stderr.String())
	}
	time.Sleep(time.Duration(50+rng.IntN(950)) * time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	err = cmd.Wait()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "child ended before the kill: %v\n%s", err, stderr.String())
	ws, _ := exit.Sys().(syscall.WaitStatus)
	require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "child ended before the kill: %v\n%s", err, stderr.String())
	require.NoError(t, <-done)
	require.NoError(t, r.Close())
	return lines
}

// drainOutbox runs both consumers to the end of the feed in the parent and
// checks delivery: every prescription event and every change delivered at
// least once, exactly once after filtering by key, nothing else delivered.
func drainOutbox(t *testing.T, s storage.Store, run *crashRun) {
	ctx := workload.As(context.Background(), access.Principal{Kind: access.System, ID: "drain"})
	enc, err := fhir.NewPrescriptionEncoder()
	require.NoError(t, err)
	ph := pharmacyFunc(func(_ context.Context, p rx.Prescription) (rx.Ack, error) {
		run.delivered[p.Key]++
		return rx.Ack{Status: rx.Accepted, Reference: "ph-" + p.Key}, nil
	})
	d, err := rx.NewDispatcher(access.Trusted(s), enc, ph)
	require.NoError(t, err)
	for {
		n, err := d.Poll(ctx)
		require.NoError(t, err)
		if n == 0 {
			break
		}
	}
	feed, err := storage.NewFeed(s, feedConsumer, 500)
	require.NoError(t, err)
	for {
		n, err := feed.Poll(ctx, func(_ context.Context, cs []storage.Change) error {
			for _, c := range cs {
				run.fed[c.Seq]++
			}
			return nil
		})
		require.NoError(t, err)
		if n == 0 {
			break
		}
	}
	keys := map[string]bool{}
	seqs := map[int64]bool{}
	after := int64(0)
	for {
		cs, err := s.Changes(ctx, after, storage.MaxChangeRead)
		require.NoError(t, err)
		if len(cs) == 0 {
			break
		}
		for _, c := range cs {
			seqs[c.Seq] = true
			if c.Kind == storage.ChangeEvent && c.Topic == rx.TopicPrescription {
				keys[c.Key] = true
			}
			after = c.Seq
		}
	}
	redelivered := 0
	for k, n := range run.delivered {
		assert.True(t, keys[k], "delivered a prescription the feed never held")
		redelivered += n - 1
	}
	for k := range keys {
		assert.Positive(t, run.delivered[k], "prescription %s never delivered", k)
	}
	replayed := 0
	for seq, n := range run.fed {
		assert.True(t, seqs[seq], "consumed change %d the feed does not hold", seq)
		replayed += n - 1
	}
	for seq := range seqs {
		assert.Positive(t, run.fed[seq], "change %d never consumed", seq)
	}
	t.Logf("outbox: %d prescriptions, %d redelivered after a crash and dropped by key; %d changes, %d replayed",
		len(keys), redelivered, len(seqs), replayed)
}

type pharmacyFunc func(ctx context.Context, p rx.Prescription) (rx.Ack, error)

func (f pharmacyFunc) Transmit(ctx context.Context, p rx.Prescription) (rx.Ack, error) {
	return f(ctx, p)
}

// crashChild is the child process: it runs the workload against the store
// until it is killed, acknowledging on file descriptor 3 each operation that
// returned success, after it returned.
func crashChild(backend string) {
	ackw := os.NewFile(3, "acks")
	var mu sync.Mutex
	ack := func(lines ...string) {
		mu.Lock()
		defer mu.Unlock()
		if _, err := io.WriteString(ackw, strings.Join(lines, "\n")+"\n"); err != nil {
			os.Exit(4)
		}
	}
	fail := func(what string, err error) {
		fmt.Fprintf(os.Stderr, "crash child: %s: %v\n", what, err)
		os.Exit(3)
	}
	seed, _ := strconv.ParseUint(os.Getenv(childSeed), 10, 64)
	ctx := context.Background()
	s, err := openTarget(ctx, backend, os.Getenv(childTarget))
	if err != nil {
		fail("open", err)
	}
	c, err := workload.New(s)
	if err != nil {
		fail("workload", err)
	}
	if err := c.Setup(ctx); err != nil {
		fail("setup", err)
	}
	if err := c.Resume(ctx); err != nil {
		fail("resume", err)
	}
	ack("ready - -")
	go func() { // the import, again and again: re-importing changes nothing
		for {
			rep, err := workload.Import(ctx, s, os.Getenv(childImport))
			if err != nil || len(rep.Failed) > 0 {
				fail("import", errors.Join(err, fmt.Errorf("%d failed", len(rep.Failed))))
			}
			ack("import - -")
		}
	}()
	go func() { // the prescription dispatcher
		enc, err := fhir.NewPrescriptionEncoder()
		if err != nil {
			fail("encoder", err)
		}
		ph := pharmacyFunc(func(_ context.Context, p rx.Prescription) (rx.Ack, error) {
			ack(workload.OpDeliver + " " + p.Key + " " + p.Order.ID)
			return rx.Ack{Status: rx.Accepted, Reference: "ph-" + p.Key}, nil
		})
		d, err := rx.NewDispatcher(access.Trusted(s), enc, ph)
		if err != nil {
			fail("dispatcher", err)
		}
		pctx := workload.As(ctx, access.Principal{Kind: access.System, ID: "dispatcher"})
		for {
			if _, err := d.Poll(pctx); err != nil && !workload.Expected(err) {
				fail("dispatch", err)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	go func() { // a change-feed consumer
		feed, err := storage.NewFeed(s, feedConsumer, 200)
		if err != nil {
			fail("feed", err)
		}
		for {
			_, err := feed.Poll(ctx, func(_ context.Context, cs []storage.Change) error {
				lines := make([]string, len(cs))
				for i, c := range cs {
					lines[i] = "feed " + strconv.FormatInt(c.Seq, 10) + " -"
				}
				ack(lines...)
				return nil
			})
			if err != nil && !workload.Expected(err) {
				fail("consume", err)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	rng := rand.New(rand.NewPCG(seed, 1))
	for {
		a, err := c.Step(ctx, rng)
		switch {
		case err == nil:
			ack(a.String())
		case !workload.Expected(err):
			fail("step", err)
		}
	}
}
