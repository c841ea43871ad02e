package fhir

import (
	"reflect"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"golang.org/x/text/language"
)

// fPatient is the FHIR R4 Patient as ehrkit maps it.
type fPatient struct {
	ResourceType         string           `json:"resourceType"`
	ID                   string           `json:"id,omitempty"`
	Identifier           []fIdentifier    `json:"identifier,omitempty"`
	Active               *bool            `json:"active,omitempty"`
	Name                 []fHumanName     `json:"name,omitempty"`
	Telecom              []fContactPoint  `json:"telecom,omitempty"`
	Gender               string           `json:"gender,omitempty"`
	BirthDate            string           `json:"birthDate,omitempty"`
	DeceasedBoolean      *bool            `json:"deceasedBoolean,omitempty"`
	DeceasedDateTime     string           `json:"deceasedDateTime,omitempty"`
	Address              []fAddress       `json:"address,omitempty"`
	MaritalStatus        *fConcept        `json:"maritalStatus,omitempty"`
	Communication        []fCommunication `json:"communication,omitempty"`
	Contact              []fContact       `json:"contact,omitempty"`
	GeneralPractitioner  []fReference     `json:"generalPractitioner,omitempty"`
	ManagingOrganization *fReference      `json:"managingOrganization,omitempty"`
	Link                 []fLink          `json:"link,omitempty"`
}

type fCommunication struct {
	Language  fConcept `json:"language"`
	Preferred bool     `json:"preferred,omitempty"`
}

type fContact struct {
	Relationship []fConcept      `json:"relationship,omitempty"`
	Name         *fHumanName     `json:"name,omitempty"`
	Telecom      []fContactPoint `json:"telecom,omitempty"`
	Address      *fAddress       `json:"address,omitempty"`
	Gender       string          `json:"gender,omitempty"`
	Period       *fPeriod        `json:"period,omitempty"`
}

type fLink struct {
	Other fReference `json:"other"`
	Type  string     `json:"type"`
}

// systemLanguage is the code system of BCP 47 language tags.
const systemLanguage = "urn:ietf:bcp:47"

func init() {
	register(typed[patient.Patient, fPatient]{
		view: patient.Records, save: via(patients, (*patient.Service).Save), del: patientDelete,
		elements: []string{"identifier", "active", "name", "telecom", "gender", "birthDate", "deceasedBoolean",
			"deceasedDateTime", "address", "maritalStatus", "communication", "contact", "generalPractitioner",
			"managingOrganization", "link"},
		from: patientFrom,
		to:   patientTo,
	})
}

func patientFrom(f *fPatient, id string, refs *Refs) (patient.Patient, error) {
	p := patient.Patient{
		ID: patient.ID(id), Active: f.Active == nil || *f.Active, Gender: patient.Gender(f.Gender),
		MaritalStatus: toConcept(f.MaritalStatus),
		Telecom:       each(f.Telecom, toContactPoint),
		GeneralPractitioner: each(f.GeneralPractitioner, func(r fReference) ehrkit.Reference {
			return toRef(&r, refs)
		}),
		ManagingOrganization: toRef(f.ManagingOrganization, refs),
	}
	err := personFrom(f.Identifier, f.Name, f.Address, f.BirthDate, &p.Identifiers, &p.Names, &p.Addresses, &p.BirthDate)
	if err != nil {
		return p, err
	}
	p.Deceased = f.DeceasedBoolean != nil && *f.DeceasedBoolean || f.DeceasedDateTime != ""
	if p.DeceasedAt, err = parseDateTime(f.DeceasedDateTime); err != nil {
		return p, err
	}
	p.Language = preferredLanguage(f.Communication)
	for _, c := range f.Contact {
		pc, err := contactFrom(c)
		if err != nil {
			return p, err
		}
		p.Contacts = append(p.Contacts, pc)
	}
	for _, l := range f.Link {
		other := toRef(&l.Other, refs)
		p.Links = append(p.Links, patient.Link{Other: patient.ID(other.ID), Type: patient.LinkType(l.Type)})
	}
	return p, nil
}

// preferredLanguage picks the preferred communication language, else the first.
func preferredLanguage(cs []fCommunication) language.Tag {
	var tag language.Tag
	for i, c := range cs {
		code := c.Language.Text
		for _, cd := range c.Language.Coding {
			if cd.System == systemLanguage || code == "" {
				code = cd.Code
			}
		}
		t, err := language.Parse(code)
		if err != nil {
			continue
		}
		if c.Preferred || i == 0 {
			tag = t
		}
		if c.Preferred {
			break
		}
	}
	return tag
}

func contactFrom(c fContact) (patient.Contact, error) {
	out := patient.Contact{Relationship: toConcepts(c.Relationship), Telecom: each(c.Telecom, toContactPoint), Gender: patient.Gender(c.Gender)}
	var err error
	if c.Name != nil {
		if out.Name, err = toHumanName(*c.Name); err != nil {
			return out, err
		}
	}
	if c.Address != nil {
		if out.Address, err = toAddress(*c.Address); err != nil {
			return out, err
		}
	}
	out.Period, err = toPeriod(c.Period)
	return out, err
}

func patientTo(p *patient.Patient) (fPatient, error) {
	active := p.Active
	f := fPatient{
		ResourceType: "Patient", ID: string(p.ID), Active: &active, Gender: string(p.Gender),
		Identifier: each(p.Identifiers, fromIdentifier), Name: each(p.Names, fromHumanName),
		Telecom: each(p.Telecom, fromContactPoint), BirthDate: p.BirthDate.String(),
		Address: each(p.Addresses, fromAddress), MaritalStatus: fromConcept(p.MaritalStatus),
		GeneralPractitioner:  each(p.GeneralPractitioner, func(r ehrkit.Reference) fReference { return *fromRef(r) }),
		ManagingOrganization: fromRef(p.ManagingOrganization),
	}
	switch {
	case !p.DeceasedAt.IsZero():
		f.DeceasedDateTime = formatDateTime(p.DeceasedAt)
	case p.Deceased:
		f.DeceasedBoolean = &p.Deceased
	}
	if p.Language != (language.Tag{}) {
		f.Communication = []fCommunication{{Language: fConcept{Coding: []fCoding{{System: systemLanguage, Code: p.Language.String()}}}, Preferred: true}}
	}
	for _, c := range p.Contacts {
		fc := fContact{Relationship: fromConcepts(c.Relationship), Telecom: each(c.Telecom, fromContactPoint), Gender: string(c.Gender), Period: fromPeriod(c.Period)}
		if n := fromHumanName(c.Name); !reflect.ValueOf(n).IsZero() {
			fc.Name = &n
		}
		if a := fromAddress(c.Address); !reflect.ValueOf(a).IsZero() {
			fc.Address = &a
		}
		f.Contact = append(f.Contact, fc)
	}
	for _, l := range p.Links {
		f.Link = append(f.Link, fLink{Other: fReference{Reference: "Patient/" + string(l.Other)}, Type: string(l.Type)})
	}
	return f, nil
}
