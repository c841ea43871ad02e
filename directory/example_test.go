package directory_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/directory"
	"github.com/ehrkit/ehrkit/storage/memstore"
)

// Example builds a small directory (a clinic, a room, a cardiologist with a
// role there) and asks who practises cardiology in that room.
func Example() {
	ctx := context.Background()
	d := directory.NewService(memstore.New(), directory.WithIDs(&ehrkit.SeqIDs{Prefix: "d"}))
	clinic, _ := d.Organizations.Create(ctx, directory.Organization{Active: true, Name: "Saint Mary Clinic"})
	room, _ := d.Locations.Create(ctx, directory.Location{
		Name: "Room 4", Organization: clinic.ID,
		PhysicalType: ehrkit.Concept(directory.PhysicalTypeSystem, directory.PhysicalRoom, "Room"),
	})
	doc, err := d.Practitioners.Create(ctx, directory.Practitioner{
		Active: true, Names: []ehrkit.HumanName{{Family: "Núñez", Given: []string{"José"}}},
		Identifiers: []ehrkit.Identifier{{System: ehrkit.SystemNPI, Value: "1234567893"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	cardiology := ehrkit.Coding{System: ehrkit.SystemSNOMED, Code: "394579002"}
	_, err = d.Roles.Create(ctx, directory.PractitionerRole{
		Active: true, Practitioner: doc.ID, Organization: clinic.ID, Locations: []directory.LocationID{room.ID},
		Specialties: []ehrkit.CodeableConcept{{Coding: []ehrkit.Coding{cardiology}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	staff, _ := d.FindStaff(ctx, directory.Query{Specialty: cardiology, Location: room.ID}, time.Now())
	for _, s := range staff {
		fmt.Println(s.Practitioner.ID, s.Practitioner.Name(), s.Practitioner.NPI())
	}
	_, err = d.Practitioners.Create(ctx, directory.Practitioner{
		Names: []ehrkit.HumanName{{Family: "Other"}}, Identifiers: []ehrkit.Identifier{{System: ehrkit.SystemNPI, Value: "1234567890"}},
	})
	fmt.Println(err)
	// Output:
	// d000003 José Núñez 1234567893
	// ehrkit: invalid: identifier[0].value: not a valid NPI (ten digits with a Luhn check digit) (code-invalid)
}
