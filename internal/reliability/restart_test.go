package reliability

import (
	"context"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/internal/invariant"
	"github.com/ehrkit/ehrkit/internal/workload"
	"github.com/ehrkit/ehrkit/storage/pgstore"
)

// pgServer is a PostgreSQL server the test owns: a cluster in a temporary
// directory on a free port.
type pgServer struct {
	t         *testing.T
	bin, data string
	port      int
}

// ownServer initialises and starts a cluster with this machine's PostgreSQL
// binaries, or skips t, saying so, when there are none.
func ownServer(t *testing.T) *pgServer {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(bins) == 0 {
		t.Skip("no PostgreSQL binaries under /usr/lib/postgresql: the restart test needs initdb and pg_ctl")
	}
	dir, err := os.MkdirTemp("", "ehrkit-pg-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o777)) // the server's own user writes here
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	s := &pgServer{t: t, bin: filepath.Dir(bins[len(bins)-1]), data: filepath.Join(dir, "data"), port: port}
	s.run("initdb", "-D", s.data, "-A", "trust", "-U", "postgres")
	s.start()
	t.Cleanup(func() { s.run("pg_ctl", "-D", s.data, "-m", "immediate", "-w", "stop") })
	return s
}

// run runs one of the server's programs, as the postgres user when this
// process is root (initdb refuses root).
func (s *pgServer) run(prog string, args ...string) {
	name, full := filepath.Join(s.bin, prog), args
	if os.Geteuid() == 0 {
		name, full = "runuser", append([]string{"-u", "postgres", "--", filepath.Join(s.bin, prog)}, args...)
	}
	out, err := exec.Command(name, full...).CombinedOutput()
	require.NoError(s.t, err, "%s: %s", prog, out)
}

func (s *pgServer) start() {
	s.run("pg_ctl", "-D", s.data, "-l", filepath.Join(filepath.Dir(s.data), "log"), "-w", "-o",
		"-p "+strconv.Itoa(s.port)+" -k "+filepath.Dir(s.data)+" -c listen_addresses=127.0.0.1", "start")
}

func (s *pgServer) dsn() string {
	return "postgres://postgres@127.0.0.1:" + strconv.Itoa(s.port) + "/postgres?sslmode=disable"
}

// TestPostgresRestart runs the clinic workload on a server the test owns and
// stops it (immediate shutdown: a crash, recovery at the next start) and
// starts it again mid-run. Calls fail while it is down; afterwards the pool
// reconnects, the workload completes its operations, every acknowledged
// write is there and every invariant holds.
func TestPostgresRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no server restart")
	}
	srv := ownServer(t)
	ctx := context.Background()
	s, err := pgstore.Open(ctx, srv.dsn())
	require.NoError(t, err)
	defer s.Close()
	c, err := workload.New(s)
	require.NoError(t, err)
	require.NoError(t, c.Setup(ctx))
	rng := rand.New(rand.NewPCG(9, 9))
	var acks []workload.Ack
	step := func() error {
		a, err := c.Step(ctx, rng)
		if err == nil {
			acks = append(acks, a)
		}
		return err
	}
	for len(acks) < 20 {
		if err := step(); err != nil {
			require.True(t, workload.Expected(err), "%v", err)
		}
	}
	srv.run("pg_ctl", "-D", srv.data, "-m", "immediate", "-w", "stop")
	failed := 0
	for range 3 {
		if step() != nil {
			failed++
		}
	}
	require.Equal(t, 3, failed, "calls fail while the server is down")
	srv.start()
	before := len(acks)
	deadline := time.Now().Add(time.Minute)
	for len(acks) < before+20 {
		err := step()
		require.True(t, err == nil || workload.Expected(err) || time.Now().Before(deadline), "the pool did not recover: %v", err)
	}
	for _, a := range acks {
		require.NoError(t, workload.Confirm(ctx, s, a))
	}
	require.NoError(t, invariant.Check(ctx, s))
	t.Logf("%d acknowledged writes, %d before the restart; %d calls failed while the server was down", len(acks), before, failed)
}
