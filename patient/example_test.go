package patient_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage/memstore"
)

// Register two records of one person, find them by a folded name, see the
// duplicate detection explain itself, then merge and unmerge.
func Example() {
	clock := ehrkit.NewFakeClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	store := memstore.New(memstore.WithClock(clock))
	defer store.Close()
	ctx := access.WithPrincipal(context.Background(), access.Principal{
		Kind: access.User, ID: "registrar-1", Roles: []string{access.RoleAdministrator},
	})
	svc, err := patient.NewService(access.Trusted(store), // trusted: no policy in this example
		patient.WithClock(clock), patient.WithIDs(&ehrkit.SeqIDs{Prefix: "pat-"}))
	if err != nil {
		panic(err)
	}

	jose := patient.Patient{
		Names:     []ehrkit.HumanName{{Use: "official", Family: "Müller-Lüdenscheidt", Given: []string{"José"}}},
		Gender:    patient.GenderMale,
		BirthDate: ehrkit.MustDate("1970-05-01"),
		Telecom:   []ehrkit.ContactPoint{{System: "phone", Value: "+1 (555) 010-2030"}},
		Addresses: []ehrkit.Address{{Line: []string{"1 Main St"}, City: "Boston", PostalCode: "02139"}},
	}
	first, err := svc.Register(ctx, jose)
	if err != nil {
		panic(err)
	}
	fmt.Println("registered", first.ID, first.Identifier(patient.SystemMRN))

	// The same man, typed at another desk: accents lost, a day-month mix-up.
	again := jose
	again.Names = []ehrkit.HumanName{{Family: "MULLER-LUDENSCHEIDT", Given: []string{"JOSE"}}}
	again.BirthDate = ehrkit.MustDate("1970-01-05")
	_, err = svc.Register(ctx, again)
	var dup *patient.DuplicateError
	if errors.As(err, &dup) {
		m := dup.Matches[0]
		fmt.Println("refused: duplicate of", m.Patient.ID, m.Level)
		for _, f := range m.Fields {
			if f.Outcome != patient.OutcomeMissing {
				fmt.Printf("  %-9s %-10s %+.1f\n", f.Field, f.Outcome, f.Weight)
			}
		}
	}
	second, err := svc.Register(ctx, again, patient.AllowDuplicate())
	if err != nil {
		panic(err)
	}

	res, err := svc.Search(ctx, patient.Query{Name: "jose muller"})
	if err != nil {
		panic(err)
	}
	fmt.Println("search 'jose muller':", len(res.Patients), "patients")

	merge, err := svc.Merge(ctx, second.ID, first.ID)
	if err != nil {
		panic(err)
	}
	merged, _ := svc.Get(ctx, second.ID)
	fmt.Println("merged", merge.Source, "into", merged.ReplacedBy())
	res, _ = svc.Search(ctx, patient.Query{Name: "MULLER"})
	fmt.Println("search 'MULLER':", len(res.Patients), "patient")

	if _, err := svc.Unmerge(ctx, second.ID); err != nil {
		panic(err)
	}
	res, _ = svc.Search(ctx, patient.Query{Name: "MULLER"})
	fmt.Println("after unmerge:", len(res.Patients), "patients")
	// Output:
	// registered pat-000001 MRN000000018
	// refused: duplicate of pat-000001 certain
	//   family    exact      +4.0
	//   given     exact      +3.0
	//   birthDate transposed +2.5
	//   gender    exact      +0.5
	//   phone     exact      +2.5
	//   address   exact      +2.0
	// search 'jose muller': 2 patients
	// merged pat-000002 into pat-000001
	// search 'MULLER': 1 patient
	// after unmerge: 2 patients
}
