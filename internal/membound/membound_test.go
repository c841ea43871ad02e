package membound

import "testing"

var sink []byte

func TestAlloc(t *testing.T) {
	got := Alloc(func() { sink = make([]byte, 1<<20) })
	if got < 1<<20 || got > 2<<20 {
		t.Fatalf("Alloc of a 1 MiB slice = %d, want about 1 MiB", got)
	}
	Check(t, 2<<20, func() { sink = make([]byte, 1<<20) })
}
