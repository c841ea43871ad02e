package storetest_test

import (
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/memstore"
	"github.com/ehrkit/ehrkit/storage/storetest"
)

// A backend's tests declare one harness and hand it to Run and Benchmarks.
// This is memstore's; a persistent backend also sets Place so that the suite
// can reopen its data. (The suite needs a *testing.T, so this example is
// compiled, not run: see storage/memstore's tests for it in use.)
func Example() {
	harness := storetest.Harness{
		Open: func(t testing.TB, clock ehrkit.Clock) storage.Store {
			s := memstore.New(memstore.WithClock(clock))
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
	}
	_ = func(t *testing.T) { storetest.Run(t, harness) }
	_ = func(b *testing.B) { storetest.Benchmarks(b, harness) }
}
