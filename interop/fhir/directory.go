package fhir

import (
	"github.com/ehrkit/ehrkit/directory"
)

// The provider directory's resources: Practitioner, Organization, Location
// and PractitionerRole, stored through the directory's Book.Save entry points.

type fPractitioner struct {
	ResourceType  string           `json:"resourceType"`
	ID            string           `json:"id,omitempty"`
	Identifier    []fIdentifier    `json:"identifier,omitempty"`
	Active        *bool            `json:"active,omitempty"`
	Name          []fHumanName     `json:"name,omitempty"`
	Telecom       []fContactPoint  `json:"telecom,omitempty"`
	Address       []fAddress       `json:"address,omitempty"`
	Gender        string           `json:"gender,omitempty"`
	BirthDate     string           `json:"birthDate,omitempty"`
	Qualification []fQualification `json:"qualification,omitempty"`
}

type fQualification struct {
	Identifier []fIdentifier `json:"identifier,omitempty"`
	Code       fConcept      `json:"code"`
	Period     *fPeriod      `json:"period,omitempty"`
	Issuer     *fReference   `json:"issuer,omitempty"`
}

type fOrganization struct {
	ResourceType string          `json:"resourceType"`
	ID           string          `json:"id,omitempty"`
	Identifier   []fIdentifier   `json:"identifier,omitempty"`
	Active       *bool           `json:"active,omitempty"`
	Type         []fConcept      `json:"type,omitempty"`
	Name         string          `json:"name,omitempty"`
	Alias        []string        `json:"alias,omitempty"`
	Telecom      []fContactPoint `json:"telecom,omitempty"`
	Address      []fAddress      `json:"address,omitempty"`
	PartOf       *fReference     `json:"partOf,omitempty"`
}

type fLocation struct {
	ResourceType         string          `json:"resourceType"`
	ID                   string          `json:"id,omitempty"`
	Identifier           []fIdentifier   `json:"identifier,omitempty"`
	Status               string          `json:"status,omitempty"`
	Name                 string          `json:"name,omitempty"`
	Alias                []string        `json:"alias,omitempty"`
	Description          string          `json:"description,omitempty"`
	Mode                 string          `json:"mode,omitempty"`
	Type                 []fConcept      `json:"type,omitempty"`
	Telecom              []fContactPoint `json:"telecom,omitempty"`
	Address              *fAddress       `json:"address,omitempty"`
	PhysicalType         *fConcept       `json:"physicalType,omitempty"`
	ManagingOrganization *fReference     `json:"managingOrganization,omitempty"`
	PartOf               *fReference     `json:"partOf,omitempty"`
}

type fPractitionerRole struct {
	ResourceType string          `json:"resourceType"`
	ID           string          `json:"id,omitempty"`
	Identifier   []fIdentifier   `json:"identifier,omitempty"`
	Active       *bool           `json:"active,omitempty"`
	Period       *fPeriod        `json:"period,omitempty"`
	Practitioner *fReference     `json:"practitioner,omitempty"`
	Organization *fReference     `json:"organization,omitempty"`
	Code         []fConcept      `json:"code,omitempty"`
	Specialty    []fConcept      `json:"specialty,omitempty"`
	Location     []fReference    `json:"location,omitempty"`
	Telecom      []fContactPoint `json:"telecom,omitempty"`
}

func directorySvc(s *Services) *directory.Service { return s.Directory }

func init() {
	register(typed[directory.Practitioner, fPractitioner]{
		view: directory.PractitionerRecords, save: via(practitionerBook, (*directory.Book[directory.Practitioner, directory.PractitionerID]).Save),
		elements: []string{"identifier", "active", "name", "telecom", "address", "gender", "birthDate", "qualification"},
		from:     practitionerFrom, to: practitionerTo,
	})
	register(typed[directory.Organization, fOrganization]{
		view: directory.OrganizationRecords, save: via(organizationBook, (*directory.Book[directory.Organization, directory.OrganizationID]).Save),
		elements: []string{"identifier", "active", "type", "name", "alias", "telecom", "address", "partOf"},
		from:     organizationFrom, to: organizationTo,
	})
	register(typed[directory.Location, fLocation]{
		view: directory.LocationRecords, save: via(locationBook, (*directory.Book[directory.Location, directory.LocationID]).Save),
		elements: []string{"identifier", "status", "name", "alias", "description", "mode", "type", "telecom", "address",
			"physicalType", "managingOrganization", "partOf"},
		from: locationFrom, to: locationTo,
	})
	register(typed[directory.PractitionerRole, fPractitionerRole]{
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
func refID(r *fReference, refs *Refs, typ string) string {
	if ref := toRef(r, refs); ref.Type == typ {
		return ref.ID
	}
	return ""
}

func practitionerFrom(f *fPractitioner, id string, refs *Refs) (directory.Practitioner, error) {
	p := directory.Practitioner{
		ID: directory.PractitionerID(id), Active: f.Active == nil || *f.Active, Gender: f.Gender,
		Telecom: each(f.Telecom, toContactPoint),
	}
	err := personFrom(f.Identifier, f.Name, f.Address, f.BirthDate, &p.Identifiers, &p.Names, &p.Addresses, &p.BirthDate)
	if err != nil {
		return p, err
	}
	for _, q := range f.Qualification {
		out := directory.Qualification{Code: toConcept(&q.Code), Issuer: directory.OrganizationID(refID(q.Issuer, refs, directory.OrganizationType))}
		if out.Identifiers, err = mapSlice(q.Identifier, toIdentifier); err != nil {
			return p, err
		}
		if out.Period, err = toPeriod(q.Period); err != nil {
			return p, err
		}
		p.Qualifications = append(p.Qualifications, out)
	}
	return p, nil
}

func practitionerTo(p *directory.Practitioner) (fPractitioner, error) {
	f := fPractitioner{
		ResourceType: directory.PractitionerType, ID: string(p.ID), Active: &p.Active, Gender: p.Gender,
		Identifier: each(p.Identifiers, fromIdentifier), Name: each(p.Names, fromHumanName),
		Telecom: each(p.Telecom, fromContactPoint), Address: each(p.Addresses, fromAddress),
	}
	if !p.BirthDate.IsZero() {
		f.BirthDate = p.BirthDate.String()
	}
	for _, q := range p.Qualifications {
		f.Qualification = append(f.Qualification, fQualification{
			Identifier: each(q.Identifiers, fromIdentifier), Code: *fromConcept(q.Code), Period: fromPeriod(q.Period),
			Issuer: idRef(directory.OrganizationType, string(q.Issuer)),
		})
	}
	return f, nil
}

func organizationFrom(f *fOrganization, id string, refs *Refs) (directory.Organization, error) {
	o := directory.Organization{
		ID: directory.OrganizationID(id), Active: f.Active == nil || *f.Active, Types: toConcepts(f.Type),
		Name: f.Name, Aliases: f.Alias, Telecom: each(f.Telecom, toContactPoint),
		PartOf: directory.OrganizationID(refID(f.PartOf, refs, directory.OrganizationType)),
	}
	var err error
	if o.Identifiers, err = mapSlice(f.Identifier, toIdentifier); err != nil {
		return o, err
	}
	o.Addresses, err = mapSlice(f.Address, toAddress)
	return o, err
}

func organizationTo(o *directory.Organization) (fOrganization, error) {
	return fOrganization{
		ResourceType: directory.OrganizationType, ID: string(o.ID), Active: &o.Active,
		Identifier: each(o.Identifiers, fromIdentifier), Type: fromConcepts(o.Types), Name: o.Name, Alias: o.Aliases,
		Telecom: each(o.Telecom, fromContactPoint), Address: each(o.Addresses, fromAddress),
		PartOf: idRef(directory.OrganizationType, string(o.PartOf)),
	}, nil
}

func locationFrom(f *fLocation, id string, refs *Refs) (directory.Location, error) {
	l := directory.Location{
		ID: directory.LocationID(id), Status: f.Status, Name: f.Name, Aliases: f.Alias, Description: f.Description,
		Mode: f.Mode, Types: toConcepts(f.Type), Telecom: each(f.Telecom, toContactPoint),
		PhysicalType: toConcept(f.PhysicalType),
		Organization: directory.OrganizationID(refID(f.ManagingOrganization, refs, directory.OrganizationType)),
		PartOf:       directory.LocationID(refID(f.PartOf, refs, directory.LocationType)),
	}
	var err error
	if l.Identifiers, err = mapSlice(f.Identifier, toIdentifier); err != nil {
		return l, err
	}
	if f.Address != nil {
		l.Address, err = toAddress(*f.Address)
	}
	return l, err
}

func locationTo(l *directory.Location) (fLocation, error) {
	f := fLocation{
		ResourceType: directory.LocationType, ID: string(l.ID), Identifier: each(l.Identifiers, fromIdentifier),
		Status: l.Status, Name: l.Name, Alias: l.Aliases, Description: l.Description, Mode: l.Mode,
		Type: fromConcepts(l.Types), Telecom: each(l.Telecom, fromContactPoint), PhysicalType: fromConcept(l.PhysicalType),
		ManagingOrganization: idRef(directory.OrganizationType, string(l.Organization)),
		PartOf:               idRef(directory.LocationType, string(l.PartOf)),
	}
	if a := l.Address; len(a.Line) > 0 || !a.Period.IsZero() || a.Use+a.City+a.District+a.State+a.PostalCode+a.Country != "" {
		fa := fromAddress(a)
		f.Address = &fa
	}
	return f, nil
}

func roleFrom(f *fPractitionerRole, id string, refs *Refs) (directory.PractitionerRole, error) {
	r := directory.PractitionerRole{
		ID: directory.RoleID(id), Active: f.Active == nil || *f.Active,
		Practitioner: directory.PractitionerID(refID(f.Practitioner, refs, directory.PractitionerType)),
		Organization: directory.OrganizationID(refID(f.Organization, refs, directory.OrganizationType)),
		Codes:        toConcepts(f.Code), Specialties: toConcepts(f.Specialty), Telecom: each(f.Telecom, toContactPoint),
	}
	for _, l := range f.Location {
		if lid := refID(&l, refs, directory.LocationType); lid != "" {
			r.Locations = append(r.Locations, directory.LocationID(lid))
		}
	}
	var err error
	if r.Identifiers, err = mapSlice(f.Identifier, toIdentifier); err != nil {
		return r, err
	}
	r.Period, err = toPeriod(f.Period)
	return r, err
}

func roleTo(r *directory.PractitionerRole) (fPractitionerRole, error) {
	f := fPractitionerRole{
		ResourceType: directory.PractitionerRoleType, ID: string(r.ID), Active: &r.Active,
		Identifier: each(r.Identifiers, fromIdentifier), Period: fromPeriod(r.Period),
		Practitioner: idRef(directory.PractitionerType, string(r.Practitioner)),
		Organization: idRef(directory.OrganizationType, string(r.Organization)),
		Code:         fromConcepts(r.Codes), Specialty: fromConcepts(r.Specialties), Telecom: each(r.Telecom, fromContactPoint),
	}
	for _, l := range r.Locations {
		f.Location = append(f.Location, *idRef(directory.LocationType, string(l)))
	}
	return f, nil
}
