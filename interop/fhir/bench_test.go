package fhir_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/interop/fhir"
)

// syntheaEntries reads every resource of the Synthea bundles once.
func syntheaEntries(b *testing.B) []fhir.Entry {
	dir := corpus(b, "fhir/synthea")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	var out []fhir.Entry
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		if err := fhir.ReadBundle(bytes.NewReader(raw), f, func(e fhir.Entry) error {
			out = append(out, e)
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	return out
}

// BenchmarkParse measures the ceiling: google/fhir/go's validating jsonformat
// unmarshaller alone on the Synthea resources, on every core.
func BenchmarkParse(b *testing.B) {
	entries := syntheaEntries(b)
	b.ResetTimer()
	alloc := allocatedSince()
	start := time.Now()
	for range b.N {
		var wg sync.WaitGroup
		next := make(chan []byte)
		for range runtime.GOMAXPROCS(0) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := fhir.NewCodec()
				if err != nil {
					panic(err)
				}
				for raw := range next {
					if _, err := c.Parse(raw); err != nil {
						panic(err)
					}
				}
			}()
		}
		for _, e := range entries {
			next <- e.JSON
		}
		close(next)
		wg.Wait()
	}
	b.ReportMetric(float64(len(entries)*b.N)/time.Since(start).Seconds(), "resources/s")
	b.ReportMetric(float64(alloc())/float64(len(entries)*b.N), "B/resource")
}

// allocatedSince returns a function reporting the bytes allocated since the
// call.
func allocatedSince() func() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	before := m.TotalAlloc
	return func() uint64 {
		runtime.ReadMemStats(&m)
		return m.TotalAlloc - before
	}
}

// BenchmarkImport measures the whole import of the Synthea corpus (parse,
// map, validate, batched writes) into each backend.
func BenchmarkImport(b *testing.B) {
	dir := corpus(b, "fhir/synthea")
	for _, be := range testbackends.All() {
		b.Run(be.Name, func(b *testing.B) {
			var elapsed time.Duration
			var allocs uint64
			resources := 0
			for range b.N {
				b.StopTimer()
				s := be.Open(b, ehrkit.RealClock{})
				im := fhir.NewImporter(access.Trusted(s))
				b.StartTimer()
				alloc := allocatedSince()
				start := time.Now()
				if err := im.ImportPaths(importing(), dir); err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
				allocs += alloc()
				resources += im.Report().Resources
			}
			b.ReportMetric(float64(resources)/elapsed.Seconds(), "resources/s")
			b.ReportMetric(float64(allocs)/float64(resources), "B/resource")
		})
	}
}
