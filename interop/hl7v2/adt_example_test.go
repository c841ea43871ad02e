package hl7v2_test

import (
	"context"
	"fmt"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/interop/hl7v2"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage/memstore"
)

// ExampleADTHandler registers a patient from an ADT^A04 and reads the ACK.
func ExampleADTHandler() {
	store := access.Trusted(memstore.New())
	svc, err := patient.NewService(store)
	if err != nil {
		fmt.Println(err)
		return
	}
	h := &hl7v2.ADTHandler{Patients: svc, Store: store}
	ctx := access.WithPrincipal(context.Background(), access.Principal{Kind: access.System, ID: "adt-feed"})
	msg := "MSH|^~\\&|REG|HOSP|EHR|HOSP|20260301090000||ADT^A04^ADT_A01|42|P|2.5.1\r" +
		"PID|1||A1^^^HOSP^MR||DOE^JANE||19700101|F\r"
	ack, err := hl7v2.Parse(h.Handle(ctx, []byte(msg)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ack.Get("MSA-1"), ack.Get("MSA-2"))
	p, err := svc.Get(ctx, hl7v2.RecordID(ehrkit.Identifier{System: "HOSP", Value: "A1"}))
	fmt.Println(p.Names[0].Family, p.BirthDate, err)
	// Output:
	// AA 42
	// DOE 1970-01-01 <nil>
}
