package faultstore_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/ehrkit/ehrkit/internal/faultstore"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/memstore"
)

// The second call, a Put inside a transaction, times out: the transaction
// fails with the injected sentinel and nothing it wrote is kept.
func Example() {
	ctx := context.Background()
	inner := memstore.New()
	fs := faultstore.New(inner, faultstore.Fault{At: 2, Kind: faultstore.Timeout})
	err := fs.Update(ctx, func(tx storage.Tx) error {
		if _, err := tx.Put(ctx, storage.Record{Type: "Note", ID: "n1", Value: []byte(`{}`)}, 0); err != nil {
			return err
		}
		_, err := tx.Put(ctx, storage.Record{Type: "Note", ID: "n2", Value: []byte(`{}`)}, 0)
		return err
	})
	fmt.Println(errors.Is(err, context.DeadlineExceeded), fs.Where())
	_, err = inner.Get(ctx, "Note", "n1")
	fmt.Println(err != nil)
	// Output:
	// true put Note
	// true
}
