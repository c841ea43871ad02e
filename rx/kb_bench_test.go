package rx_test

import (
	"os"
	"runtime"
	"testing"

	"github.com/ehrkit/ehrkit/rx"
)

// BenchmarkLoadShipped parses and indexes the shipped knowledge-base files
// (the work Shipped does once per process) and reports the heap the loaded
// base keeps.
func BenchmarkLoadShipped(b *testing.B) {
	fsys := os.DirFS("kb")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rx.LoadBase(fsys); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	kb, err := rx.LoadBase(fsys)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB-retained")
	b.ReportMetric(float64(kb.Stats().Pairs), "pairs")
	runtime.KeepAlive(kb)
}
