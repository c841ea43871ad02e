package invariant_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/ehrkit/ehrkit/internal/invariant"
	"github.com/ehrkit/ehrkit/internal/workload"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/memstore"
)

// A clinic's store holds every invariant; a patient record written behind
// the registry's back, without the index terms the registry derives, breaks
// one.
func Example() {
	ctx := context.Background()
	s := memstore.New()
	c, _ := workload.New(s)
	_ = c.Setup(ctx)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 30 {
		_, _ = c.Step(ctx, rng)
	}
	fmt.Println(invariant.Check(ctx, s))

	_ = s.Update(ctx, func(tx storage.Tx) error {
		_, err := tx.Put(ctx, storage.Record{Type: patient.RecordType, ID: "p-raw", Compartment: "p-raw",
			Value: []byte(`{"v":1,"d":{"id":"p-raw","active":true,"name":[{"family":"Raw"}]}}`)}, 0)
		return err
	})
	var ie *invariant.Error
	if errors.As(invariant.Check(ctx, s), &ie) {
		for _, v := range ie.Violations {
			fmt.Println(v.Rule, v.Detail)
		}
	}
	// Output:
	// <nil>
	// terms-derived Patient/p-raw v1: 0 stored terms, 6 derived
}
