package fhir

import (
	"reflect"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	ppb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/patient_go_proto"
	"golang.org/x/text/language"
)

// systemLanguage is the code system of BCP 47 language tags.
const systemLanguage = "urn:ietf:bcp:47"

func init() {
	register(protoTyped[patient.Patient, *ppb.Patient]{
		view: patient.Records, save: via(patients, (*patient.Service).Save), del: patientDelete,
		elements: []string{"identifier", "active", "name", "telecom", "gender", "birthDate", "deceasedBoolean",
			"deceasedDateTime", "address", "maritalStatus", "communication", "contact", "generalPractitioner",
			"managingOrganization", "link"},
		from: patientFrom,
		to:   patientTo,
	})
}

func patientFrom(f *ppb.Patient, id string, refs *Refs) (patient.Patient, error) {
	p := patient.Patient{
		ID: patient.ID(id), Active: f.GetActive() == nil || f.GetActive().GetValue(), Gender: patient.Gender(codeOf(f.GetGender())),
		Identifiers: each(f.GetIdentifier(), readIdentifier), Names: each(f.GetName(), readHumanName),
		Addresses: each(f.GetAddress(), readAddress), BirthDate: readDate(f.GetBirthDate()),
		MaritalStatus:        readConcept(f.GetMaritalStatus()),
		Telecom:              each(f.GetTelecom(), readContactPoint),
		GeneralPractitioner:  readRefs(f.GetGeneralPractitioner(), refs),
		ManagingOrganization: readRef(f.GetManagingOrganization(), refs),
		Language:             preferredLanguage(f.GetCommunication()),
	}
	switch d := f.GetDeceased(); {
	case d.GetDateTime() != nil:
		p.Deceased, p.DeceasedAt = true, readDateTime(d.GetDateTime())
	default:
		p.Deceased = d.GetBoolean().GetValue()
	}
	for _, c := range f.GetContact() {
		p.Contacts = append(p.Contacts, patient.Contact{
			Relationship: readConcepts(c.GetRelationship()), Telecom: each(c.GetTelecom(), readContactPoint),
			Gender: patient.Gender(codeOf(c.GetGender())), Period: readPeriod(c.GetPeriod()),
			Name: readHumanName(c.GetName()), Address: readAddress(c.GetAddress()),
		})
	}
	for _, l := range f.GetLink() {
		other := readRef(l.GetOther(), refs)
		p.Links = append(p.Links, patient.Link{Other: patient.ID(other.ID), Type: patient.LinkType(codeOf(l.GetType()))})
	}
	return p, nil
}

// preferredLanguage picks the preferred communication language, else the first.
func preferredLanguage(cs []*ppb.Patient_Communication) language.Tag {
	var tag language.Tag
	for i, c := range cs {
		code := c.GetLanguage().GetText().GetValue()
		for _, cd := range c.GetLanguage().GetCoding() {
			if cd.GetSystem().GetValue() == systemLanguage || code == "" {
				code = cd.GetCode().GetValue()
			}
		}
		t, err := language.Parse(code)
		if err != nil {
			continue
		}
		preferred := c.GetPreferred().GetValue()
		if preferred || i == 0 {
			tag = t
		}
		if preferred {
			break
		}
	}
	return tag
}

func patientTo(p *patient.Patient) (*ppb.Patient, error) {
	var err error
	f := &ppb.Patient{
		Id: pbID(string(p.ID)), Active: pbBool(p.Active), Gender: pbCode[*ppb.Patient_GenderCode](string(p.Gender), &err),
		Identifier:    each(p.Identifiers, func(id ehrkit.Identifier) *dtpb.Identifier { return pbIdentifier(id, &err) }),
		Name:          each(p.Names, func(n ehrkit.HumanName) *dtpb.HumanName { return pbHumanName(n, &err) }),
		Telecom:       each(p.Telecom, func(c ehrkit.ContactPoint) *dtpb.ContactPoint { return pbContactPoint(c, &err) }),
		BirthDate:     pbDate(p.BirthDate),
		Address:       each(p.Addresses, func(a ehrkit.Address) *dtpb.Address { return pbAddress(a, &err) }),
		MaritalStatus: pbConcept(p.MaritalStatus), GeneralPractitioner: pbRefs(p.GeneralPractitioner),
		ManagingOrganization: pbRef(p.ManagingOrganization),
	}
	switch {
	case !p.DeceasedAt.IsZero():
		f.Deceased = &ppb.Patient_DeceasedX{Choice: &ppb.Patient_DeceasedX_DateTime{DateTime: pbDateTime(p.DeceasedAt)}}
	case p.Deceased:
		f.Deceased = &ppb.Patient_DeceasedX{Choice: &ppb.Patient_DeceasedX_Boolean{Boolean: pbBool(true)}}
	}
	if p.Language != (language.Tag{}) {
		f.Communication = []*ppb.Patient_Communication{{
			Language:  pbConcept(ehrkit.CodeableConcept{Coding: []ehrkit.Coding{{System: systemLanguage, Code: p.Language.String()}}}),
			Preferred: pbBool(true),
		}}
	}
	for _, c := range p.Contacts {
		fc := &ppb.Patient_Contact{Relationship: pbConcepts(c.Relationship),
			Telecom: each(c.Telecom, func(t ehrkit.ContactPoint) *dtpb.ContactPoint { return pbContactPoint(t, &err) }),
			Gender:  pbCode[*ppb.Patient_Contact_GenderCode](string(c.Gender), &err), Period: pbPeriod(c.Period)}
		if !reflect.ValueOf(c.Name).IsZero() {
			fc.Name = pbHumanName(c.Name, &err)
		}
		if !reflect.ValueOf(c.Address).IsZero() {
			fc.Address = pbAddress(c.Address, &err)
		}
		f.Contact = append(f.Contact, fc)
	}
	for _, l := range p.Links {
		f.Link = append(f.Link, &ppb.Patient_Link{Other: pbIDRef("Patient", string(l.Other)),
			Type: pbCode[*ppb.Patient_Link_TypeCode](string(l.Type), &err)})
	}
	return f, err
}
