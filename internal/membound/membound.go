// Package membound measures how much memory a call allocates, so that a test
// can state a bound on what bad input costs and assert it.
package membound

import (
	"runtime"
	"testing"
)

// Alloc runs fn once and returns the bytes it allocated on the heap
// (runtime.MemStats.TotalAlloc after minus before). Freed memory is counted
// too, so the result bounds the heap fn can have held at its peak. Run it
// outside parallel tests: other goroutines' allocations are counted as well.
func Alloc(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Check runs fn once, logs what it allocated, and fails t when that is more
// than limit bytes.
func Check(t testing.TB, limit uint64, fn func()) {
	t.Helper()
	got := Alloc(fn)
	t.Logf("allocated %d bytes (bound %d)", got, limit)
	if got > limit {
		t.Errorf("allocated %d bytes, bound %d", got, limit)
	}
}
