package memstore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/memstore"
)

func Example() {
	ctx := context.Background()
	clock := ehrkit.NewFakeClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	store := memstore.New(memstore.WithClock(clock))
	defer store.Close()

	write := func(value string, expect int64) {
		err := store.Update(ctx, func(tx storage.Tx) error {
			_, err := tx.Put(ctx, storage.Record{Type: "Patient", ID: "p1", Compartment: "p1", Value: []byte(value)}, expect)
			return err
		})
		if err != nil {
			fmt.Println(err)
		}
		clock.Advance(time.Hour)
	}
	write(`{"name":"Ada"}`, 0)
	write(`{"name":"Ada L."}`, 1)

	history, err := store.History(ctx, "Patient", "p1")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range history {
		fmt.Println(r.Version, r.Updated.Format(time.RFC3339), string(r.Value))
	}
	// Output:
	// 1 2026-05-01T09:00:00Z {"name":"Ada"}
	// 2 2026-05-01T10:00:00Z {"name":"Ada L."}
}
