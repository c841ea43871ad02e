package access_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/benchcpu"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
)

// Benchmark data: benchPatients patients of facility F1 with benchPerPatient
// Observations each (~300-byte values).
const (
	benchPatients   = 1000
	benchPerPatient = 10
)

func benchStore(b *testing.B, backend testbackends.Backend) storage.Store {
	s := backend.Open(b, ehrkit.RealClock{})
	value := []byte(fmt.Sprintf(`{"v":1,"d":{"status":"final","code":"8867-4","value":72,"unit":"/min","note":%q}}`, string(make([]byte, 200))))
	for p := range benchPatients {
		comp := fmt.Sprintf("p%04d", p)
		recs := []storage.Record{{Type: "Patient", ID: comp, Compartment: comp, Value: value, Terms: []storage.Term{{Name: access.FacilityTerm, Value: "F1"}}}}
		for o := range benchPerPatient {
			recs = append(recs, storage.Record{Type: "Observation", ID: fmt.Sprintf("%s-o%02d", comp, o), Compartment: comp, Value: value,
				Terms: []storage.Term{{Name: access.FacilityTerm, Value: "F1"}, {Name: "code", Value: "8867-4"}}})
		}
		seed(b, s, recs...)
	}
	return s
}

// benchUser reaches the benchmark patients through its facility, benchTeam
// through its care team.
var (
	benchUser = access.Principal{Kind: access.User, ID: "dr-1", Roles: []string{access.RolePhysician}, Facility: "F1"}
	benchTeam = access.Principal{Kind: access.User, ID: "dr-2", Roles: []string{access.RolePhysician}, CareTeam: []string{"p0000", "p0001", "p0002", "p0003", "p0004", "p0005", "p0006", "p0007", "p0008", "p0009"}}
)

func benchID(i int) string {
	n := i % (benchPatients * benchPerPatient)
	return fmt.Sprintf("p%04d-o%02d", n/benchPerPatient, n%benchPerPatient)
}

// BenchmarkOverhead measures the same read on the bare store and through the
// guard in every iteration, alternating which goes first, so that both see
// the same machine load; it reports each time and the guard's overhead.
func BenchmarkOverhead(b *testing.B) {
	reads := []struct {
		name string
		who  access.Principal
		op   func(ctx context.Context, s storage.Store, i int) error
	}{
		{"Get", benchUser, func(ctx context.Context, s storage.Store, i int) error {
			_, err := s.Get(ctx, "Observation", benchID(i*7919))
			return err
		}},
		{"SearchCareTeam", benchTeam, func(ctx context.Context, s storage.Store, i int) error {
			return search(ctx, s, fmt.Sprintf("p%04d", i%10))
		}},
		{"SearchFacility", benchUser, func(ctx context.Context, s storage.Store, i int) error {
			return search(ctx, s, fmt.Sprintf("p%04d", (i*7919)%benchPatients))
		}},
	}
	for _, backend := range testbackends.All() {
		b.Run(backend.Name, func(b *testing.B) {
			inner := benchStore(b, backend)
			guarded := access.Guard(inner, testPolicy(b))
			for _, r := range reads {
				ctx := access.WithPrincipal(context.Background(), r.who)
				b.Run(r.name, func(b *testing.B) {
					var plain, guard time.Duration
					n := 0
					for b.Loop() {
						order := [2]storage.Store{inner, guarded}
						if n%2 == 1 {
							order = [2]storage.Store{guarded, inner}
						}
						for _, s := range order {
							t0 := time.Now()
							if err := r.op(ctx, s, n); err != nil {
								b.Fatal(err)
							}
							if s == inner {
								plain += time.Since(t0)
							} else {
								guard += time.Since(t0)
							}
						}
						n++
					}
					b.ReportMetric(float64(plain.Nanoseconds())/float64(n), "plain-ns/op")
					b.ReportMetric(float64(guard.Nanoseconds())/float64(n), "guarded-ns/op")
					b.ReportMetric(100*float64(guard-plain)/float64(plain), "overhead-%")
				})
			}
		})
	}
}

func search(ctx context.Context, s storage.Store, comp string) error {
	page, err := s.Query(ctx, storage.Query{Type: "Observation", Compartment: comp})
	if err == nil && len(page.Records) != benchPerPatient {
		err = fmt.Errorf("%d records, want %d", len(page.Records), benchPerPatient)
	}
	return err
}

// BenchmarkParallelGet reads by id from 4 goroutines per CPU: through the
// guard, concurrent readers share audit transactions. Write/plain is the
// floor of one durable audit event: the cheapest write transaction of the
// bare store (one ~500-byte record).
func BenchmarkParallelGet(b *testing.B) {
	for _, backend := range testbackends.All() {
		b.Run(backend.Name, func(b *testing.B) {
			inner := benchStore(b, backend)
			ctx := access.WithPrincipal(context.Background(), benchUser)
			written := 0 // -count runs this sub-benchmark again on the same store
			b.Run("Write/plain", func(b *testing.B) {
				v := []byte(fmt.Sprintf(`{"note":%q}`, string(make([]byte, 480))))
				for b.Loop() {
					written++
					err := inner.Update(ctx, func(tx storage.Tx) error {
						_, err := tx.Put(ctx, storage.Record{Type: "Note", ID: fmt.Sprintf("n%09d", written), Value: v}, 0)
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
			for _, st := range []struct {
				name string
				s    storage.Store
			}{{"plain", inner}, {"guarded", access.Guard(inner, testPolicy(b))}} {
				b.Run("Get/"+st.name, func(b *testing.B) {
					b.SetParallelism(4)
					b.RunParallel(func(pb *testing.PB) {
						for i := 0; pb.Next(); i++ {
							if _, err := st.s.Get(ctx, "Observation", benchID(i*7919)); err != nil {
								b.Error(err)
								return
							}
						}
					})
				})
			}
		})
	}
}

// BenchmarkAuditedRead reads by id with 1 and 16 concurrent readers, on the
// bare store and through the guard, whose every read waits until its audit
// event is durable: in a transaction of the store (guarded), or in an audit
// journal drained into the store's chain in the background, with the consent
// cache on (journal). Compare each with plain of the same backend and reader
// count: the ratio is the cost of the audit. cpu-ns/op is the process's CPU
// time per read, the journal's drain of the run's events included (the
// benchmark flushes before taking it; a PostgreSQL server's CPU is not in it).
// On memory nothing but the journal is made durable and a record costs
// little to store: the difference of journal and plain there is the guard's
// own CPU per read (decision, encoding, hand-off, the journal's write(2),
// chaining and hashing in the drain).
func BenchmarkAuditedRead(b *testing.B) {
	for _, backend := range testbackends.All() {
		b.Run(backend.Name, func(b *testing.B) {
			inner := benchStore(b, backend)
			j, err := access.OpenJournal(context.Background(), filepath.Join(b.TempDir(), "audit.journal"), inner)
			if err != nil {
				b.Fatal(err)
			}
			defer func() {
				if err := j.Close(); err != nil {
					b.Error(err)
				}
			}()
			stores := []struct {
				name string
				s    storage.Store
			}{
				{"plain", inner},
				{"guarded", access.Guard(inner, testPolicy(b))},
				{"journal", access.Guard(inner, testPolicy(b), access.WithJournal(j), access.WithConsentCache(time.Second))},
			}
			ctx := access.WithPrincipal(context.Background(), benchUser)
			for _, readers := range []int{1, 16} {
				for _, st := range stores {
					b.Run(fmt.Sprintf("readers=%d/%s", readers, st.name), func(b *testing.B) {
						read := func(i int) {
							if _, err := st.s.Get(ctx, "Observation", benchID(i*7919)); err != nil {
								b.Error(err)
							}
						}
						cpu := benchcpu.Process()
						if readers == 1 {
							for i := 0; b.Loop(); i++ {
								read(i)
							}
						} else {
							b.SetParallelism((readers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
							b.RunParallel(func(pb *testing.PB) {
								for i := 0; pb.Next(); i++ {
									read(i)
								}
							})
						}
						if g, ok := st.s.(*access.Store); ok {
							if err := g.Flush(context.Background()); err != nil {
								b.Fatal(err)
							}
						}
						b.ReportMetric(float64(benchcpu.Process()-cpu)/float64(b.N), "cpu-ns/op")
					})
				}
			}
		})
	}
}
