package memstore_test

import (
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/memstore"
	"github.com/ehrkit/ehrkit/storage/storetest"
)

var harness = storetest.Harness{Open: func(t testing.TB, clock ehrkit.Clock) storage.Store {
	s := memstore.New(memstore.WithClock(clock))
	t.Cleanup(func() { _ = s.Close() })
	return s
}}

func TestConformance(t *testing.T) { storetest.Run(t, harness) }

func BenchmarkMemstore(b *testing.B) { storetest.Benchmarks(b, harness) }
