package pgstore_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/pgstore"
)

// Example opens a store in its own schema, writes a record with an index term
// and an outbox event in one transaction, then finds the record by its term
// and reads the change feed. It needs a database (EHRKIT_POSTGRES_DSN), so it
// is compiled but not run by go test; TestExample runs the same steps.
func Example() {
	ctx := context.Background()
	s, err := pgstore.Open(ctx, os.Getenv("EHRKIT_POSTGRES_DSN"), pgstore.WithSchema("ehrkit_example"))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	if err := exampleSteps(ctx, s, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// exampleSteps is the body of Example, shared with TestExample; it prints to w.
func exampleSteps(ctx context.Context, s storage.Store, w io.Writer) error {
	err := s.Update(ctx, func(tx storage.Tx) error {
		_, err := tx.Put(ctx, storage.Record{
			Type: "Patient", ID: "p1", Compartment: "p1",
			Terms: []storage.Term{{Name: "family", Value: "garcia"}},
			Value: []byte(`{"name":"Ana García"}`),
		}, 0)
		if err != nil {
			return err
		}
		return tx.Emit(ctx, storage.Event{Topic: "patient.registered", Key: "p1", Compartment: "p1"})
	})
	if err != nil {
		return err
	}
	page, err := s.Query(ctx, storage.Query{Type: "Patient", Filters: []storage.Filter{{Term: "family", Op: storage.Prefix, Value: "gar"}}})
	if err != nil {
		return err
	}
	for _, r := range page.Records {
		fmt.Fprintln(w, "found", storage.Describe(r), "version", r.Version)
	}
	changes, err := s.Changes(ctx, 0, 10)
	if err != nil {
		return err
	}
	for _, c := range changes {
		fmt.Fprintln(w, "change", c.Seq, c.Kind, c.Type, c.ID, c.Topic)
	}
	return nil
}
