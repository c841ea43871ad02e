package reliability

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/faultstore"
	"github.com/ehrkit/ehrkit/internal/invariant"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/internal/workload"
	"github.com/ehrkit/ehrkit/interop/hl7v2"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/storage"
)

var faultsFull = flag.Bool("faults.full", false, "fail every store call of every operation (else 5 spread over each)")

// positions returns the calls to fail of an operation making n calls: all
// with -faults.full, else the first, the last and three spread between.
func positions(n int) []int {
	var out []int
	for at := 1; at <= n; at++ {
		if *faultsFull || n <= 5 || at == n || (at-1)%((n+3)/4) == 0 {
			out = append(out, at)
		}
	}
	return out
}

// lastSeq returns the sequence number of the last change of s.
func lastSeq(t *testing.T, s storage.Store) int64 {
	t.Helper()
	var last int64
	for {
		cs, err := s.Changes(context.Background(), last, storage.MaxChangeRead)
		require.NoError(t, err)
		if len(cs) == 0 {
			return last
		}
		last = cs[len(cs)-1].Seq
	}
}

// writesSince returns the changes after seq other than audit events and the
// chain's head record (a refused or failed act is audited, and that is all it
// may leave).
func writesSince(t *testing.T, s storage.Store, seq int64) []storage.Change {
	t.Helper()
	cs, err := s.Changes(context.Background(), seq, storage.MaxChangeRead)
	require.NoError(t, err)
	var out []storage.Change
	for _, c := range cs {
		if c.Type != access.AuditEventType && c.Type != access.AuditHeadType {
			out = append(out, c)
		}
	}
	return out
}

// TestFaults fails, one at a time, every store call each service makes —
// registration, booking, signing, merging, an ADT registration and a FHIR
// import of one transaction — with each fault (timeout, conflict, closed
// connection, context cancelled mid-transaction), on every backend. A call
// that fails makes the service return an error wrapping the injected
// sentinel and write nothing but audit events; a conflict may be retried to
// success, which must then be whole. Every invariant holds at the end.
func TestFaults(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		base, err := workload.New(s)
		require.NoError(t, err)
		require.NoError(t, base.Setup(ctx))
		rng := rand.New(rand.NewPCG(3, 3))
		register := func() patient.ID {
			a, err := base.Register(ctx, rng)
			require.NoError(t, err)
			return patient.ID(a.ID)
		}
		drafts := map[patient.ID]rx.Order{} // drafted for the fresh patients before the fault
		draft := func(p patient.ID) rx.Order { return drafts[p] }
		var file bytes.Buffer
		require.NoError(t, workload.WriteImport(&file, 2)) // ten resources: one transaction
		importFile := filepath.Join(t.TempDir(), "import.ndjson")
		require.NoError(t, os.WriteFile(importFile, file.Bytes(), 0o600))

		ops := []struct {
			name string
			run  func(c *workload.Clinic, fs storage.Store, fresh [2]patient.ID) (workload.Ack, error)
		}{
			{"register", func(c *workload.Clinic, _ storage.Store, _ [2]patient.ID) (workload.Ack, error) {
				return c.Register(ctx, rng)
			}},
			{"book", func(c *workload.Clinic, _ storage.Store, _ [2]patient.ID) (workload.Ack, error) {
				return c.Book(ctx, rng)
			}},
			{"draft", func(c *workload.Clinic, _ storage.Store, fresh [2]patient.ID) (workload.Ack, error) {
				_, err := c.Draft(ctx, fresh[0], workload.Drugs[2])
				return workload.Ack{Op: "draft", ID: "-", Detail: "-"}, err
			}},
			{"sign", func(c *workload.Clinic, _ storage.Store, fresh [2]patient.ID) (workload.Ack, error) {
				return c.SignOrder(ctx, draft(fresh[1]), true)
			}},
			{"merge", func(c *workload.Clinic, _ storage.Store, fresh [2]patient.ID) (workload.Ack, error) {
				return c.MergeInto(ctx, fresh[0], fresh[1])
			}},
			{"adt", func(c *workload.Clinic, _ storage.Store, _ [2]patient.ID) (workload.Ack, error) {
				return c.Admit(ctx, rng)
			}},
			{"import", func(_ *workload.Clinic, fs storage.Store, _ [2]patient.ID) (workload.Ack, error) {
				_, err := workload.Import(ctx, fs, importFile)
				return workload.Ack{Op: "import", ID: "-", Detail: "-"}, err
			}},
		}
		faults := 0
		calls := map[string]int{}
		for _, op := range ops { // how many calls each makes without a fault
			fs := faultstore.New(s, faultstore.Fault{})
			c, err := workload.New(fs)
			require.NoError(t, err)
			fresh := [2]patient.ID{register(), register()}
			c.Adopt(fresh[0])
			o, err := base.Draft(ctx, fresh[1], workload.Drugs[3])
			require.NoError(t, err)
			drafts[fresh[1]] = o
			_, err = op.run(c, fs, fresh)
			require.NoError(t, err, op.name)
			calls[op.name] = fs.Calls()
		}
		t.Logf("store calls per operation: %v", calls)
		for _, op := range ops {
			for _, kind := range faultstore.Kinds() {
				for _, at := range positions(calls[op.name]) {
					fs := faultstore.New(s, faultstore.Fault{At: at, Kind: kind})
					c, err := workload.New(fs)
					require.NoError(t, err)
					fresh := [2]patient.ID{register(), register()}
					o, err := base.Draft(ctx, fresh[1], workload.Drugs[3])
					require.NoError(t, err)
					drafts[fresh[1]] = o
					c.Adopt(fresh[0])
					before := lastSeq(t, s)
					ack, err := op.run(c, fs, fresh)
					var nak *workload.NakError
					if errors.As(err, &nak) { // the ADT handler answers with an HL7 code
						require.Equal(t, hl7v2.AE, nak.Code, "%s, %s at call %d (%s): a store failure is an error to resend after", op.name, kind, at, fs.Where())
					}
					if err != nil {
						require.True(t, nak != nil || faultstore.Injected(err, kind), "%s, %s at call %d (%s): %v", op.name, kind, at, fs.Where(), err)
						require.Empty(t, writesSince(t, s, before), "%s, %s at call %d (%s): half-written", op.name, kind, at, fs.Where())
						faults++
						continue
					}
					if ack.Op != "import" && ack.Op != "draft" {
						require.NoError(t, workload.Confirm(ctx, s, ack))
					}
				}
			}
		}
		t.Logf("%d injected faults failed an operation", faults)
		require.NoError(t, invariant.Check(ctx, s))
	})
}
