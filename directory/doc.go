// Package directory is the provider directory: who gives care (Practitioner),
// for whom (Organization), where (Location: sites, wards, rooms, beds) and in
// which capacity (PractitionerRole: practitioner × organization × locations ×
// specialty × period). The values are shaped after the FHIR R4 resources of
// the same names.
//
// A Service holds one Book per record type:
//
//	d := directory.NewService(store)
//	org, err := d.Organizations.Create(ctx, directory.Organization{Name: "Saint Mary Clinic", Active: true})
//	doc, err := d.Practitioners.Create(ctx, directory.Practitioner{Names: ..., Identifiers: ...})
//	staff, err := d.FindStaff(ctx, directory.Query{Specialty: cardiology, Organization: org.ID}, time.Now())
//
// Every write is validated (an NPI passes its check digit; a name, status and
// codes are well formed), references name existing directory records (a
// role's practitioner, organization and locations; part-of chains, which may
// not loop), and identifiers are unique per record type: each is claimed by
// a key record written in the same transaction, so two concurrent writers of
// one NPI conflict and the loser is refused with an *ehrkit.ValidationError
// on identifier[i]. Book.Save is the transaction-scoped entry point an
// importer composes with other domain writes; Create and Update run their own
// transaction (Update with optimistic concurrency on the version read).
//
// Other domain packages name directory records by their typed ids
// (PractitionerID, OrganizationID, LocationID) and check them inside their
// own write's transaction with CheckPractitionerRef, CheckOrganizationRef and
// CheckLocationRef.
//
// Search (Book.Search) filters on the index terms listed with Query: names
// folded for case and diacritics ("jose nun" finds "José Núñez"), identifiers,
// NPI, types, specialty, organization and part-of. FindStaff answers "who
// holds an active role with this specialty, at this place, for this
// organization".
//
// Directory records belong to no patient compartment (storage.Record
// Compartment is empty).
package directory
