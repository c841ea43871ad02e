// Package benchcpu measures the CPU time a process has used, for benchmarks
// that report cpu-ns/op beside wall-clock ns/op: on a machine shared with
// other work, CPU time stays meaningful where wall time does not.
package benchcpu

// Process returns the CPU time (user and system) the process has used, in
// nanoseconds; 0 where it is not measured.
func Process() int64 { return processCPU() }
