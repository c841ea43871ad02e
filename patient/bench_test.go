package patient

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/benchcpu"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/require"
)

// benchSize returns the population size for a backend: EHRKIT_BENCH_PATIENTS
// (default 100 000), or EHRKIT_BENCH_PATIENTS_<BACKEND> when set.
func benchSize(tb testing.TB, backend string) int {
	for _, name := range []string{"EHRKIT_BENCH_PATIENTS_" + strings.ToUpper(backend), "EHRKIT_BENCH_PATIENTS"} {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			require.NoError(tb, err, name)
			return n
		}
	}
	return 100_000
}

// benchStore opens the store of a backend's benchmark population: a fresh one
// dropped at the end, or, when EHRKIT_BENCH_KEEP_<BACKEND> names a place (a
// SQLite file path, a PostgreSQL schema), the store kept there, created on
// first use and left in place, so that a population loaded once serves
// later runs. held reports whether the store holds the n-th patient of a bulk
// load (by its MRN): bulk loads commit a batch at once, so a batch whose last
// patient is held is held whole.
func benchStore(b *testing.B, backend testbackends.Backend) (storage.Store, func(svc *Service, n int) bool) {
	place := os.Getenv("EHRKIT_BENCH_KEEP_" + strings.ToUpper(backend.Name))
	if place == "" || backend.Keep == nil {
		return backend.Open(b, ehrkit.RealClock{}), func(*Service, int) bool { return false }
	}
	b.Logf("%s: population kept in %s", backend.Name, place)
	return backend.Keep(b, ehrkit.RealClock{}, place), func(svc *Service, n int) bool {
		res, err := svc.Search(context.Background(), Query{Identifier: ehrkit.Identifier{System: svc.mrn.System, Value: svc.mrn.Format(int64(n))}})
		require.NoError(b, err)
		return len(res.Patients) > 0
	}
}

// latencies collects per-operation durations and reports p50 and p99.
type latencies []time.Duration

func (l *latencies) time(f func()) {
	start := time.Now()
	f()
	*l = append(*l, time.Since(start))
}

// report reports p50 and p99 and the process CPU time per operation since
// cpu (a benchcpu.Process reading taken before the loop): on a shared
// machine the percentiles include waiting for a core, the CPU time does not
// (nor, for PostgreSQL, the server's work).
func (l latencies) report(b *testing.B, cpu int64) {
	b.ReportMetric(float64(benchcpu.Process()-cpu)/1e3/float64(b.N), "cpu-µs/op")
	slices.Sort(l)
	pct := func(p float64) float64 {
		return float64(l[min(len(l)-1, int(p*float64(len(l))))].Microseconds())
	}
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

// benchClients is the number of concurrent clients of BenchmarkRegistry's
// concurrent variants.
const benchClients = 8

// BenchmarkRegistry loads a synthetic population into each backend, then
// measures search by family name, by given and family name, by a folded name
// prefix, phonetically, by birth date, by birth year, by MRN, by phone, and
// matching one candidate (a planted duplicate) with blocking, each from one
// client and from benchClients concurrent ones.
func BenchmarkRegistry(b *testing.B) {
	for _, backend := range testbackends.All() {
		b.Run(backend.Name, func(b *testing.B) {
			n := benchSize(b, backend.Name)
			ctx := context.Background()
			store, held := benchStore(b, backend)
			svc, err := NewService(store)
			require.NoError(b, err)
			pop := generate(1, n, 0.01)
			start := time.Now()
			// Several writers: PostgreSQL commits batches in parallel.
			loaded := bulkLoadBatches(b, svc, pop.People, 2, func(start, end int) bool { return held(svc, end) })
			require.False(b, held(svc, n+1), "the kept store holds more than %d patients", n)
			b.Logf("%s: loaded %d patients in %s", backend.Name, n, time.Since(start).Round(time.Millisecond))
			start = time.Now()
			analyze(b, backend, store)
			b.Logf("%s: analyzed in %s", backend.Name, time.Since(start).Round(time.Millisecond))
			pick := func(i int) Patient { return loaded[(i*7919)%len(loaded)] }
			run := func(name string, op func(i int) error) {
				b.Run(fmt.Sprintf("%s/n=%d", name, n), func(b *testing.B) {
					var lat latencies
					i := 0
					cpu := benchcpu.Process()
					for b.Loop() {
						lat.time(func() { require.NoError(b, op(i)) })
						i++
					}
					lat.report(b, cpu)
				})
				// The same under benchClients concurrent clients: p50 and
				// p99 of each operation's latency, all clients together.
				b.Run(fmt.Sprintf("%s/n=%d/clients=%d", name, n, benchClients), func(b *testing.B) {
					var mu sync.Mutex
					var lat latencies
					var next atomic.Int64
					b.SetParallelism((benchClients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
					cpu := benchcpu.Process()
					b.RunParallel(func(pb *testing.PB) {
						var mine latencies
						for pb.Next() {
							i := int(next.Add(1))
							// A request arrives as over a connection:
							// its goroutine yields and waits for a core
							// like the other clients' requests, and that
							// wait is timed. A client that never blocks
							// would keep its core for the scheduler's
							// 10 ms time slice, running call after call
							// while the others wait, and the p99 would
							// be that slice, not the search.
							mine.time(func() {
								runtime.Gosched()
								if err := op(i); err != nil {
									b.Error(err)
								}
							})
						}
						mu.Lock()
						lat = append(lat, mine...)
						mu.Unlock()
					})
					lat.report(b, cpu)
				})
			}
			run("search-family", func(i int) error {
				_, err := svc.Search(ctx, Query{Name: pick(i).Name().Family, Limit: 20})
				return err
			})
			run("search-given-family", func(i int) error {
				p := pick(i)
				_, err := svc.Search(ctx, Query{Name: p.Name().Given[0] + " " + p.Name().Family, Limit: 20})
				return err
			})
			run("search-prefix-folded", func(i int) error {
				_, err := svc.Search(ctx, Query{Name: strings.ToUpper(pick(i).Name().Family[:3]), Limit: 20})
				return err
			})
			run("search-phonetic", func(i int) error {
				_, err := svc.Search(ctx, Query{Phonetic: pick(i).Name().Family, Limit: 20})
				return err
			})
			run("search-birthdate", func(i int) error {
				_, err := svc.Search(ctx, Query{BirthDate: pick(i).BirthDate, Limit: 20})
				return err
			})
			run("search-birthyear", func(i int) error {
				_, err := svc.Search(ctx, Query{BirthDate: ehrkit.YearOnly(pick(i).BirthDate.Year()), Limit: 20})
				return err
			})
			run("search-mrn", func(i int) error {
				res, err := svc.Search(ctx, Query{Identifier: ehrkit.Identifier{System: SystemMRN, Value: pick(i).Identifier(SystemMRN)}})
				if err == nil && len(res.Patients) != 1 {
					err = fmt.Errorf("MRN search found %d patients", len(res.Patients))
				}
				return err
			})
			run("search-phone", func(i int) error {
				_, err := svc.Search(ctx, Query{Phone: pick(i).Telecom[0].Value})
				return err
			})
			run("match", func(i int) error {
				_, err := svc.Match(ctx, pop.Duplicates[i%len(pop.Duplicates)].Patient)
				return err
			})
		})
	}
}

// BenchmarkCompare measures the pure scoring of one pair.
func BenchmarkCompare(b *testing.B) {
	pop := generate(1, 1000, 0.2)
	for b.Loop() {
		for _, d := range pop.Duplicates {
			Compare(d.Patient, pop.People[d.Of], SystemMRN)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pop.Duplicates)), "ns/pair")
}
