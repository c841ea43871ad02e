package fhir_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"

	"github.com/ehrkit/ehrkit/internal/testbackends"
)

// BenchmarkHandlerMix is the loopback load test of the REST handler: 16
// clients send a mix of 60% reads, 30% searches (a patient's observations,
// _count=20) and 10% creates (an observation) over HTTP to a guarded store
// seeded with 100 patients of 10 observations each, b.N requests in all. It
// reports requests per second and the p50 and p99 latency.
func BenchmarkHandlerMix(b *testing.B) {
	for _, be := range testbackends.All() {
		b.Run(be.Name, func(b *testing.B) {
			srv := newServer(b, be.Open(b, ehrkit.RealClock{}))
			const patients = 100
			var obs []string
			for p := range patients {
				pid := fmt.Sprintf("bp%d", p)
				require.Equal(b, http.StatusCreated, srv.do(b, "admin", "PUT", "Patient/"+pid, patientJSON(pid, "Bench", "B", "1970-01-01")).status)
				var entries [][3]string
				for i := range 10 {
					entries = append(entries, [3]string{"POST Observation", "", labObservation(pid, fmt.Sprintf("2026-01-%02dT08:00:00Z", i+1))})
				}
				res := srv.do(b, "admin", "POST", "", txBundle(entries...))
				require.Equal(b, http.StatusOK, res.status)
				for _, e := range res.body["entry"].([]any) {
					loc := e.(map[string]any)["response"].(map[string]any)["location"].(string)
					obs = append(obs, strings.Split(loc, "/_history")[0])
				}
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			send := func(method, path, body string) error {
				var rd io.Reader
				if body != "" {
					rd = strings.NewReader(body)
				}
				req, _ := http.NewRequest(method, srv.URL+"/fhir/"+path, rd)
				req.Header.Set("Authorization", "Bearer admin")
				req.Header.Set("Content-Type", "application/fhir+json")
				res, err := client.Do(req)
				if err != nil {
					return err
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode >= 300 {
					return fmt.Errorf("%s %s: %d", method, path, res.StatusCode)
				}
				return nil
			}
			var next atomic.Int64
			var mu sync.Mutex
			var lat []time.Duration
			var failed error
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var mine []time.Duration
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							break
						}
						t0 := time.Now()
						var err error
						switch k := i % 10; {
						case k < 6:
							err = send("GET", obs[int(i)%len(obs)], "")
						case k < 9:
							err = send("GET", fmt.Sprintf("Observation?patient=bp%d&_count=20", i%patients), "")
						default:
							err = send("POST", "Observation", labObservation(fmt.Sprintf("bp%d", i%patients), "2026-02-01T08:00:00Z"))
						}
						mine = append(mine, time.Since(t0))
						if err != nil {
							mu.Lock()
							failed = err
							mu.Unlock()
						}
					}
					mu.Lock()
					lat = append(lat, mine...)
					mu.Unlock()
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			require.NoError(b, failed)
			slices.Sort(lat)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
