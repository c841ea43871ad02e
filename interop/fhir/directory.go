package fhir

import (
	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/directory"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	locpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/location_go_proto"
	orgpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/organization_go_proto"
	prpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/practitioner_go_proto"
	rolepb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/practitioner_role_go_proto"
)

// The provider directory's resources: Practitioner, Organization, Location
// and PractitionerRole, stored through the directory's Book.Save entry points.

func directorySvc(s *Services) *directory.Service { return s.Directory }

func init() {
	register(protoTyped[directory.Practitioner, *prpb.Practitioner]{
		view: directory.PractitionerRecords, save: via(practitionerBook, (*directory.Book[directory.Practitioner, directory.PractitionerID]).Save),
		elements: []string{"identifier", "active", "name", "telecom", "address", "gender", "birthDate", "qualification"},
		from:     practitionerFrom, to: practitionerTo,
	})
	register(protoTyped[directory.Organization, *orgpb.Organization]{
		view: directory.OrganizationRecords, save: via(organizationBook, (*directory.Book[directory.Organization, directory.OrganizationID]).Save),
		elements: []string{"identifier", "active", "type", "name", "alias", "telecom", "address", "partOf"},
		from:     organizationFrom, to: organizationTo,
	})
	register(protoTyped[directory.Location, *locpb.Location]{
		view: directory.LocationRecords, save: via(locationBook, (*directory.Book[directory.Location, directory.LocationID]).Save),
		elements: []string{"identifier", "status", "name", "alias", "description", "mode", "type", "telecom", "address",
			"physicalType", "managingOrganization", "partOf"},
		from: locationFrom, to: locationTo,
	})
	register(protoTyped[directory.PractitionerRole, *rolepb.PractitionerRole]{
		view: directory.PractitionerRoleRecords, save: via(roleBook, (*directory.Book[directory.PractitionerRole, directory.RoleID]).Save),
		elements: []string{"identifier", "active", "period", "practitioner", "organization", "code", "specialty", "location", "telecom"},
		from:     roleFrom, to: roleTo,
	})
}

func practitionerBook(s *Services) *directory.Book[directory.Practitioner, directory.PractitionerID] {
	return directorySvc(s).Practitioners
}

func organizationBook(s *Services) *directory.Book[directory.Organization, directory.OrganizationID] {
	return directorySvc(s).Organizations
}

func locationBook(s *Services) *directory.Book[directory.Location, directory.LocationID] {
	return directorySvc(s).Locations
}

func roleBook(s *Services) *directory.Book[directory.PractitionerRole, directory.RoleID] {
	return directorySvc(s).Roles
}

// refID returns the id of a reference to a record of type typ, or "" when r
// is absent or points elsewhere.
func refID(r *dtpb.Reference, refs *Refs, typ string) string {
	if ref := readRef(r, refs); ref.Type == typ {
		return ref.ID
	}
	return ""
}

func practitionerFrom(f *prpb.Practitioner, id string, refs *Refs) (directory.Practitioner, error) {
	p := directory.Practitioner{
		ID: directory.PractitionerID(id), Active: f.GetActive() == nil || f.GetActive().GetValue(), Gender: codeOf(f.GetGender()),
		Identifiers: each(f.GetIdentifier(), readIdentifier), Names: each(f.GetName(), readHumanName),
		Addresses: each(f.GetAddress(), readAddress), BirthDate: readDate(f.GetBirthDate()),
		Telecom: each(f.GetTelecom(), readContactPoint),
	}
	for _, q := range f.GetQualification() {
		p.Qualifications = append(p.Qualifications, directory.Qualification{Code: readConcept(q.GetCode()),
			Issuer:      directory.OrganizationID(refID(q.GetIssuer(), refs, directory.OrganizationType)),
			Identifiers: each(q.GetIdentifier(), readIdentifier), Period: readPeriod(q.GetPeriod())})
	}
	return p, nil
}

func practitionerTo(p *directory.Practitioner) (*prpb.Practitioner, error) {
	var err error
	f := &prpb.Practitioner{
		Id: pbID(string(p.ID)), Active: pbBool(p.Active), Gender: pbCode[*prpb.Practitioner_GenderCode](p.Gender, &err),
		Identifier: pbIdentifiers(p.Identifiers, &err), Name: each(p.Names, func(n ehrkit.HumanName) *dtpb.HumanName { return pbHumanName(n, &err) }),
		Telecom: pbContactPoints(p.Telecom, &err), Address: each(p.Addresses, func(a ehrkit.Address) *dtpb.Address { return pbAddress(a, &err) }),
		BirthDate: pbDate(p.BirthDate),
	}
	for _, q := range p.Qualifications {
		f.Qualification = append(f.Qualification, &prpb.Practitioner_Qualification{
			Identifier: pbIdentifiers(q.Identifiers, &err), Code: pbConcept(q.Code), Period: pbPeriod(q.Period),
			Issuer: pbIDRef(directory.OrganizationType, string(q.Issuer)),
		})
	}
	return f, err
}

func organizationFrom(f *orgpb.Organization, id string, refs *Refs) (directory.Organization, error) {
	return directory.Organization{
		ID: directory.OrganizationID(id), Active: f.GetActive() == nil || f.GetActive().GetValue(), Types: readConcepts(f.GetType()),
		Name: f.GetName().GetValue(), Aliases: readStrings(f.GetAlias()), Telecom: each(f.GetTelecom(), readContactPoint),
		PartOf:      directory.OrganizationID(refID(f.GetPartOf(), refs, directory.OrganizationType)),
		Identifiers: each(f.GetIdentifier(), readIdentifier), Addresses: each(f.GetAddress(), readAddress),
	}, nil
}

func organizationTo(o *directory.Organization) (*orgpb.Organization, error) {
	var err error
	f := &orgpb.Organization{
		Id: pbID(string(o.ID)), Active: pbBool(o.Active),
		Identifier: pbIdentifiers(o.Identifiers, &err), Type: pbConcepts(o.Types), Name: str(o.Name), Alias: pbStrings(o.Aliases),
		Telecom: pbContactPoints(o.Telecom, &err), Address: each(o.Addresses, func(a ehrkit.Address) *dtpb.Address { return pbAddress(a, &err) }),
		PartOf: pbIDRef(directory.OrganizationType, string(o.PartOf)),
	}
	return f, err
}

func locationFrom(f *locpb.Location, id string, refs *Refs) (directory.Location, error) {
	l := directory.Location{
		ID: directory.LocationID(id), Status: codeOf(f.GetStatus()), Name: f.GetName().GetValue(), Aliases: readStrings(f.GetAlias()),
		Description: f.GetDescription().GetValue(), Mode: codeOf(f.GetMode()), Types: readConcepts(f.GetType()),
		Telecom: each(f.GetTelecom(), readContactPoint), PhysicalType: readConcept(f.GetPhysicalType()),
		Organization: directory.OrganizationID(refID(f.GetManagingOrganization(), refs, directory.OrganizationType)),
		PartOf:       directory.LocationID(refID(f.GetPartOf(), refs, directory.LocationType)),
		Identifiers:  each(f.GetIdentifier(), readIdentifier),
	}
	if f.GetAddress() != nil {
		l.Address = readAddress(f.GetAddress())
	}
	return l, nil
}

func locationTo(l *directory.Location) (*locpb.Location, error) {
	var err error
	f := &locpb.Location{
		Id: pbID(string(l.ID)), Identifier: pbIdentifiers(l.Identifiers, &err),
		Status: pbCode[*locpb.Location_StatusCode](l.Status, &err), Name: str(l.Name), Alias: pbStrings(l.Aliases),
		Description: str(l.Description), Mode: pbCode[*locpb.Location_ModeCode](l.Mode, &err),
		Type: pbConcepts(l.Types), Telecom: pbContactPoints(l.Telecom, &err), PhysicalType: pbConcept(l.PhysicalType),
		ManagingOrganization: pbIDRef(directory.OrganizationType, string(l.Organization)),
		PartOf:               pbIDRef(directory.LocationType, string(l.PartOf)),
	}
	if a := l.Address; len(a.Line) > 0 || !a.Period.IsZero() || a.Use+a.City+a.District+a.State+a.PostalCode+a.Country != "" {
		f.Address = pbAddress(a, &err)
	}
	return f, err
}

func roleFrom(f *rolepb.PractitionerRole, id string, refs *Refs) (directory.PractitionerRole, error) {
	r := directory.PractitionerRole{
		ID: directory.RoleID(id), Active: f.GetActive() == nil || f.GetActive().GetValue(),
		Practitioner: directory.PractitionerID(refID(f.GetPractitioner(), refs, directory.PractitionerType)),
		Organization: directory.OrganizationID(refID(f.GetOrganization(), refs, directory.OrganizationType)),
		Codes:        readConcepts(f.GetCode()), Specialties: readConcepts(f.GetSpecialty()), Telecom: each(f.GetTelecom(), readContactPoint),
		Identifiers: each(f.GetIdentifier(), readIdentifier), Period: readPeriod(f.GetPeriod()),
	}
	for _, l := range f.GetLocation() {
		if lid := refID(l, refs, directory.LocationType); lid != "" {
			r.Locations = append(r.Locations, directory.LocationID(lid))
		}
	}
	return r, nil
}

func roleTo(r *directory.PractitionerRole) (*rolepb.PractitionerRole, error) {
	var err error
	f := &rolepb.PractitionerRole{
		Id: pbID(string(r.ID)), Active: pbBool(r.Active),
		Identifier: pbIdentifiers(r.Identifiers, &err), Period: pbPeriod(r.Period),
		Practitioner: pbIDRef(directory.PractitionerType, string(r.Practitioner)),
		Organization: pbIDRef(directory.OrganizationType, string(r.Organization)),
		Code:         pbConcepts(r.Codes), Specialty: pbConcepts(r.Specialties), Telecom: pbContactPoints(r.Telecom, &err),
	}
	for _, l := range r.Locations {
		f.Location = append(f.Location, pbIDRef(directory.LocationType, string(l)))
	}
	return f, err
}
