package reliability

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/internal/invariant"
	"github.com/ehrkit/ehrkit/internal/workload"
	"github.com/ehrkit/ehrkit/storage/sqlitestore"
)

// Environment of the importer process TestTwoProcesses runs.
const (
	twoprocFile   = "RELIABILITY_TWOPROC_DB"
	twoprocImport = "RELIABILITY_TWOPROC_IMPORT"
)

// TestTwoProcesses: a clinic (this process) and an importer (a child
// process) work on one SQLite file at once. Both finish without an error:
// a writer waits for the other's write lock (busy timeout, see
// storage/sqlitestore), and a wait that runs out is an ErrConflict the
// services retry. Afterwards the file passes SQLite's integrity check, every
// write the clinic was told of is there, the import has the counts of one run
// alone, and every invariant holds.
func TestTwoProcesses(t *testing.T) {
	if db := os.Getenv(twoprocFile); db != "" {
		ctx := context.Background()
		s, err := sqlitestore.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		rep, err := workload.Import(ctx, s, os.Getenv(twoprocImport))
		if err != nil || len(rep.Failed) > 0 {
			t.Fatalf("import: %v, %d failed", err, len(rep.Failed))
		}
		return
	}
	ctx := context.Background()
	dir := t.TempDir()
	importFile := filepath.Join(dir, "import.ndjson")
	f, err := os.Create(importFile)
	require.NoError(t, err)
	require.NoError(t, workload.WriteImport(f, importPatients))
	require.NoError(t, f.Close())
	db := filepath.Join(dir, "clinic.db")
	baseline := importBaseline(t, "sqlite", db, importFile)

	s, err := sqlitestore.Open(ctx, db)
	require.NoError(t, err)
	c, err := workload.New(s)
	require.NoError(t, err)
	require.NoError(t, c.Setup(ctx))

	cmd := exec.Command(os.Args[0], "-test.run=^TestTwoProcesses$", "-test.v")
	cmd.Env = append(os.Environ(), twoprocFile+"="+db, twoprocImport+"="+importFile)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	rng := rand.New(rand.NewPCG(2, 2))
	var acks []workload.Ack
	steps := 0
	var childErr error
	// At least 100 operations, and on until the importer is done.
	for running := true; running || steps < 100; steps++ {
		select {
		case childErr = <-exited:
			running = false
		default:
		}
		a, err := c.Step(ctx, rng)
		if err != nil {
			require.True(t, workload.Expected(err), "clinic step %d: %v", steps, err)
			continue
		}
		acks = append(acks, a)
	}
	require.NoError(t, childErr, "importer process:\n%s", out.String())
	require.NoError(t, s.Close())

	s, err = sqlitestore.Open(ctx, db)
	require.NoError(t, err)
	defer s.Close()
	var integrity string
	require.NoError(t, s.DB().QueryRow(`PRAGMA integrity_check`).Scan(&integrity))
	assert.Equal(t, "ok", integrity)
	for _, a := range acks {
		require.NoError(t, workload.Confirm(ctx, s, a))
	}
	counts, err := workload.ImportCounts(ctx, s, importPatients)
	require.NoError(t, err)
	assert.Equal(t, baseline, counts)
	require.NoError(t, invariant.Check(ctx, s))
	t.Logf("clinic: %d steps, %d acknowledged, alongside the importer process", steps, len(acks))
}
