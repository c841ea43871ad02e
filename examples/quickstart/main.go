// Command quickstart opens the embedded SQLite store, writes and reads a few
// records through the typed storage layer, and prints what it did.
//
//	go run ./examples/quickstart [-db FILE]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/sqlitestore"
)

// Note is a small value stored through storage.Kind.
type Note struct {
	ID      string `json:"id"`
	Patient string `json:"patient"`
	Text    string `json:"text"`
}

var notes = storage.Kind[Note]{
	Type: "QuickstartNote", Version: 1,
	Meta: func(n *Note) storage.Meta {
		return storage.Meta{ID: n.ID, Compartment: n.Patient, Terms: []storage.Term{{Name: "patient", Value: n.Patient}}}
	},
}

func main() {
	db := flag.String("db", filepath.Join(os.TempDir(), "ehrkit-quickstart.db"), "SQLite database `file`")
	flag.Parse()
	if err := run(context.Background(), *db, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, path string, out io.Writer) error {
	store, err := sqlitestore.Open(ctx, path)
	if err != nil {
		return err
	}
	defer store.Close()
	fmt.Fprintf(out, "opened SQLite store %s\n", path)

	patientID := ehrkit.NewID()
	first := Note{ID: ehrkit.NewID(), Patient: patientID, Text: "Patient reports mild headache."}
	second := Note{ID: ehrkit.NewID(), Patient: patientID, Text: "Blood pressure 128/82 mmHg."}
	err = store.Update(ctx, func(tx storage.Tx) error {
		for _, n := range []*Note{&first, &second} {
			if _, err := notes.Put(ctx, tx, n, 0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote 2 notes for patient %s in one transaction\n", patientID)

	got, version, err := notes.Get(ctx, store, first.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "read note %s version %d: %q\n", got.ID, version, got.Text)

	got.Text += " Resolved after rest."
	err = store.Update(ctx, func(tx storage.Tx) error {
		_, err := notes.Put(ctx, tx, &got, version)
		return err
	})
	if err != nil {
		return err
	}
	err = store.Update(ctx, func(tx storage.Tx) error {
		_, err := notes.Put(ctx, tx, &got, version) // stale: version was already replaced
		return err
	})
	fmt.Fprintf(out, "a second write expecting version %d is refused: conflict=%v\n", version, errors.Is(err, ehrkit.ErrConflict))

	history, err := store.History(ctx, notes.Type, first.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "note %s has %d versions\n", first.ID, len(history))

	found, _, err := notes.Query(ctx, store, storage.Query{Compartment: patientID})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "patient %s has %d notes:\n", patientID, len(found))
	for _, n := range found {
		fmt.Fprintf(out, "  %s: %s\n", n.ID, n.Text)
	}

	changes, err := store.Changes(ctx, 0, 100)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "the change feed holds %d entries so far\n", len(changes))
	return nil
}
