//go:build !linux

package rx_test

import "testing"

// loopCPU runs fn b.N times. Per-thread CPU time is read only on Linux
// (getrusage RUSAGE_THREAD); elsewhere the benchmark reports wall-clock ns/op
// alone.
func loopCPU(b *testing.B, fn func()) {
	for b.Loop() {
		fn()
	}
}
