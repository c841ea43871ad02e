package access_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/memstore"
)

func Example() {
	clock := ehrkit.NewFakeClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	inner := memstore.New(memstore.WithClock(clock))
	// The policy is assembled from the record-type groups each domain
	// package declares (patient.Groups() and so on); here one group.
	policy, err := access.DefaultPolicy([]access.Group{{Class: access.ClassDemographic, Types: []string{"Patient"}}})
	if err != nil {
		panic(err)
	}
	store := access.Guard(inner, policy, access.WithClock(clock))
	defer store.Close()

	// A front-desk clerk registers a patient at facility F1.
	clerk := access.WithPrincipal(context.Background(), access.Principal{
		Kind: access.User, ID: "clerk-7", Roles: []string{access.RoleFrontDesk}, Facility: "F1"})
	err = store.Update(clerk, func(tx storage.Tx) error {
		_, err := tx.Put(clerk, storage.Record{Type: "Patient", ID: "p1", Compartment: "p1", Value: []byte(`{}`)}, 0)
		return err
	})
	fmt.Println("register:", err)

	// A patient using the portal may read their own record, not another's.
	portal := access.WithPrincipal(context.Background(), access.Principal{
		Kind: access.User, ID: "portal-42", Roles: []string{access.RolePatient}, Patient: "p2"})
	_, err = store.Get(portal, "Patient", "p1")
	var denied *access.DeniedError
	fmt.Println("portal read denied:", errors.Is(err, ehrkit.ErrPermission), errors.As(err, &denied) && denied.Reason == access.ReasonScope)

	// No principal, no access.
	_, err = store.Get(context.Background(), "Patient", "p1")
	fmt.Println("anonymous:", errors.Is(err, ehrkit.ErrUnauthenticated))

	// Every access, denials included, is in the hash-chained trail.
	officer := access.WithPrincipal(context.Background(), access.Principal{
		Kind: access.User, ID: "privacy-1", Roles: []string{access.RolePrivacy}})
	for ev, err := range access.Accounting(officer, store, "p1", clock.Now(), clock.Now().Add(time.Minute)) {
		if err != nil {
			panic(err)
		}
		fmt.Println(strings.TrimSpace(fmt.Sprint(ev.Seq, " ", ev.Actor, " ", ev.Action, " ", ev.Outcome, " ", ev.Reason)))
	}
	fmt.Println("verify:", access.Verify(officer, store))

	// Editing the trail behind the guard's back is detected.
	rec, _ := inner.Get(context.Background(), access.AuditEventType, "000000000002")
	rec.Value = []byte(`{"seq":2,"actor":"nobody"}`)
	_ = inner.Update(context.Background(), func(tx storage.Tx) error {
		_, err := tx.Put(context.Background(), rec, storage.Any)
		return err
	})
	var broken *access.ChainError
	err = access.Verify(officer, store)
	fmt.Println("tampered:", errors.As(err, &broken), broken.Seq, broken.Fault)
	// Output:
	// register: <nil>
	// portal read denied: true true
	// anonymous: true
	// 1 clerk-7 create success
	// 2 portal-42 read denied compartment
	// 4 privacy-1 audit.accounting success
	// verify: <nil>
	// tampered: true 2 altered
}
