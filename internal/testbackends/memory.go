package testbackends

import (
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/memstore"
)

func init() {
	register(Backend{Name: "memory", Open: func(t testing.TB, clock ehrkit.Clock) storage.Store {
		s := memstore.New(memstore.WithClock(clock))
		t.Cleanup(func() { _ = s.Close() })
		return s
	}})
}
