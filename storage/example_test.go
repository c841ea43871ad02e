package storage_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/memstore"
)

// allergy is a domain value stored through a Kind.
type allergy struct {
	ID        string `json:"id"`
	Patient   string `json:"patient"`
	Substance string `json:"substance"`
}

var allergies = storage.Kind[allergy]{
	Type: "AllergyIntolerance", Version: 1,
	Meta: func(a *allergy) storage.Meta {
		return storage.Meta{ID: a.ID, Compartment: a.Patient,
			Terms: []storage.Term{{Name: "substance", Value: a.Substance}}}
	},
}

func Example() {
	ctx := context.Background()
	store := memstore.New()
	defer store.Close()

	// Write two values and an outbox event in one transaction.
	err := store.Update(ctx, func(tx storage.Tx) error {
		for _, a := range []allergy{{"a1", "p1", "penicillin"}, {"a2", "p1", "peanut"}} {
			if _, err := allergies.Put(ctx, tx, &a, 0); err != nil {
				return err
			}
		}
		return tx.Emit(ctx, storage.Event{Topic: "allergy.recorded", Key: "a1", Compartment: "p1"})
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// A stale write is refused.
	err = store.Update(ctx, func(tx storage.Tx) error {
		_, err := allergies.Put(ctx, tx, &allergy{"a1", "p1", "amoxicillin"}, 0)
		return err
	})
	fmt.Println("stale write is a conflict:", errors.Is(err, ehrkit.ErrConflict))

	// Query by index term prefix, in the patient's compartment.
	found, _, err := allergies.Query(ctx, store, storage.Query{Compartment: "p1",
		Filters: []storage.Filter{{Term: "substance", Op: storage.Prefix, Value: "pe"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range found {
		fmt.Println(a.ID, a.Substance)
	}

	// Read the change feed.
	changes, _ := store.Changes(ctx, 0, 10)
	for _, c := range changes {
		if c.Kind == storage.ChangeEvent {
			fmt.Println(c.Seq, c.Kind, c.Topic)
			continue
		}
		fmt.Println(c.Seq, c.Kind, c.Type, c.ID, c.Version)
	}
	// Output:
	// stale write is a conflict: true
	// a1 penicillin
	// a2 peanut
	// 1 put AllergyIntolerance a1 1
	// 2 put AllergyIntolerance a2 1
	// 3 event allergy.recorded
}
