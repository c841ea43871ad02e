package benchcpu_test

import (
	"fmt"
	"testing"

	"github.com/ehrkit/ehrkit/internal/benchcpu"
)

// Work costs CPU time, and the counter only grows.
func TestProcessGrows(t *testing.T) {
	start := benchcpu.Process()
	x := 0
	for i := range 50_000_000 {
		x ^= i * i
	}
	if x == 42 {
		t.Log(x)
	}
	if benchcpu.Process() <= start {
		t.Fatalf("no CPU time measured (start %d)", start)
	}
}

func ExampleProcess() {
	before := benchcpu.Process()
	fmt.Println(benchcpu.Process() >= before)
	// Output: true
}
