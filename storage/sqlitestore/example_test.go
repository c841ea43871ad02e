package sqlitestore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/sqlitestore"
)

func Example() {
	dir, err := os.MkdirTemp("", "ehrkit-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	clock := ehrkit.NewFakeClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	s, err := sqlitestore.Open(ctx, filepath.Join(dir, "ehrkit.db"), sqlitestore.WithClock(clock))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	// Create a record, then update it expecting the version just written.
	err = s.Update(ctx, func(tx storage.Tx) error {
		r, err := tx.Put(ctx, storage.Record{
			Type: "Patient", ID: "p1", Compartment: "p1",
			Terms: []storage.Term{{Name: "family", Value: "garcia"}},
			Value: []byte(`{"family":"García"}`),
		}, 0)
		if err != nil {
			return err
		}
		r.Value = []byte(`{"family":"García","given":"Ana"}`)
		_, err = tx.Put(ctx, r, r.Version)
		return err
	})
	if err != nil {
		log.Fatal(err)
	}

	page, err := s.Query(ctx, storage.Query{Type: "Patient", Filters: []storage.Filter{{Term: "family", Op: storage.Prefix, Value: "gar"}}})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range page.Records {
		fmt.Println(r.Type, r.ID, "version", r.Version, r.Updated.Format(time.RFC3339), string(r.Value))
	}
	changes, err := s.Changes(ctx, 0, 10)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(changes), "changes in the feed")
	// Output:
	// Patient p1 version 2 2026-01-02T03:04:05Z {"family":"García","given":"Ana"}
	// 2 changes in the feed
}
