package hl7feed_test

import (
	"context"
	"fmt"

	"github.com/ehrkit/ehrkit/examples/internal/hl7feed"
	"github.com/ehrkit/ehrkit/interop/hl7v2"
	"github.com/ehrkit/ehrkit/storage/memstore"
)

// Register a patient with an ADT^A04, then file a potassium result for them.
func Example() {
	feed, err := hl7feed.New(memstore.New())
	if err != nil {
		panic(err)
	}
	ctx := hl7feed.Context(context.Background())
	for _, msg := range []string{
		"MSH|^~\\&|REG|HOSP|EHR|HOSP|20260301090000||ADT^A04^ADT_A04|m1|P|2.5.1\rPID|1||A1^^^HOSP^MR||DOE^JANE||19700101|F\r",
		"MSH|^~\\&|LIS|HOSP|EHR|HOSP|20260302100000||ORU^R01^ORU_R01|m2|P|2.5.1\rPID|1||A1^^^HOSP^MR||DOE^JANE||19700101|F\r" +
			"OBR|1||F-1^LAB|2823-3^Potassium^LN|||20260302083000\rOBX|1|NM|2823-3^Potassium^LN||4.2|mmol/L|||||F\r",
	} {
		ack, err := hl7v2.Parse(feed.Receiver.Handle(ctx, []byte(msg)))
		if err != nil {
			panic(err)
		}
		fmt.Println(ack.Get("MSA-1"), ack.Get("MSA-2"))
	}
	c, err := feed.Counts(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d patient, %d result, %d queued\n", c.Patients, c.Results, c.Reconciliation)
	// Output:
	// AA m1
	// AA m2
	// 1 patient, 1 result, 0 queued
}
