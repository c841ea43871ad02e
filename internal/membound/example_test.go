package membound_test

import (
	"fmt"
	"strings"

	"github.com/ehrkit/ehrkit/internal/membound"
)

// A bad-input test bounds what a refusal costs: building a 1 MiB string
// allocates at least 1 MiB and, with the builder's growth, under 4 MiB.
func ExampleAlloc() {
	var s string
	n := membound.Alloc(func() { s = strings.Repeat("x", 1<<20) })
	fmt.Println(len(s), n >= 1<<20 && n < 4<<20)
	// Output: 1048576 true
}
