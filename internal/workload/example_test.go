package workload_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/ehrkit/ehrkit/internal/workload"
	"github.com/ehrkit/ehrkit/storage/memstore"
)

// A registration is acknowledged with the patient id and MRN; the line form
// of the Ack is what the crash harness sends through its pipe, and Confirm
// finds the patient in the store.
func Example() {
	ctx := context.Background()
	s := memstore.New()
	c, _ := workload.New(s)
	_ = c.Setup(ctx)
	ack, err := c.Register(ctx, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		panic(err)
	}
	back, _ := workload.ParseAck(ack.String())
	fmt.Println(back == ack, back.Op, back.Detail)
	fmt.Println(workload.Confirm(ctx, s, back))
	// Output:
	// true register MRN000000018
	// <nil>
}
