// Package reliability holds the tests that interrupt ehrkit and check what
// survives: SIGKILL of a process in the middle of a mixed clinic workload
// (crash_test.go), failures injected into store calls and a PostgreSQL server
// restarted under load (fault_test.go), 64 goroutines racing on every backend
// (race_test.go), and two processes sharing one SQLite file (twoproc_test.go).
// After each, internal/invariant checks the store. docs/reliability.md gives
// the figures and how to run the full suite.
package reliability
