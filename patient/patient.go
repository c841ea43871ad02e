package patient

import (
	"slices"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"golang.org/x/text/language"
)

// Gender is administrative gender (FHIR AdministrativeGender).
type Gender string

// Administrative genders.
const (
	GenderMale    Gender = "male"
	GenderFemale  Gender = "female"
	GenderOther   Gender = "other"
	GenderUnknown Gender = "unknown"
)

// Valid reports whether g is empty or one of the FHIR codes.
func (g Gender) Valid() bool {
	switch g {
	case "", GenderMale, GenderFemale, GenderOther, GenderUnknown:
		return true
	}
	return false
}

// LinkType says how a linked patient record relates to this one (FHIR
// Patient.link.type).
type LinkType string

// Link types.
const (
	// LinkReplacedBy: this record was merged into Other, which holds the patient now.
	LinkReplacedBy LinkType = "replaced-by"
	// LinkReplaces: Other was merged into this record.
	LinkReplaces LinkType = "replaces"
	// LinkRefer: Other holds more information on the same patient.
	LinkRefer LinkType = "refer"
	// LinkSeeAlso: Other may be the same patient.
	LinkSeeAlso LinkType = "seealso"
)

// Link points at another patient record of the same person.
type Link struct {
	Other ID       `json:"other"`
	Type  LinkType `json:"type"`
}

// Contact relationship codes (HL7 v2 table 0131, as FHIR's
// patient-contactrelationship value set uses them).
const (
	SystemContactRelationship = "http://terminology.hl7.org/CodeSystem/v2-0131"
	RelationshipEmergency     = "C" // emergency contact
	RelationshipNextOfKin     = "N" // next of kin
)

// Contact is a person to contact about the patient: an emergency contact, the
// next of kin, a guardian (FHIR Patient.contact).
type Contact struct {
	Relationship []ehrkit.CodeableConcept `json:"relationship,omitempty"`
	Name         ehrkit.HumanName         `json:"name,omitzero"`
	Telecom      []ehrkit.ContactPoint    `json:"telecom,omitempty"`
	Address      ehrkit.Address           `json:"address,omitzero"`
	Gender       Gender                   `json:"gender,omitempty"`
	Period       ehrkit.Period            `json:"period,omitzero"`
}

// Is reports whether the contact has the given relationship code
// (RelationshipEmergency, RelationshipNextOfKin).
func (c Contact) Is(code string) bool {
	for _, r := range c.Relationship {
		if r.Has(SystemContactRelationship, code) {
			return true
		}
	}
	return false
}

// Patient is a person receiving care (shaped after FHIR R4 Patient). It holds
// PHI: String, GoString, every fmt verb and LogValue show the id (and
// version) only; encoding/json still writes every field.
type Patient struct {
	ID      ID        `json:"id"`
	Version int64     `json:"-"` // version read from the store; Update expects it
	Updated time.Time `json:"-"` // time of the version read

	Active               bool                   `json:"active"`
	Identifiers          []ehrkit.Identifier    `json:"identifier,omitempty"`
	Names                []ehrkit.HumanName     `json:"name,omitempty"`
	Telecom              []ehrkit.ContactPoint  `json:"telecom,omitempty"`
	Gender               Gender                 `json:"gender,omitempty"`
	BirthDate            ehrkit.Date            `json:"birthDate,omitzero"`
	Deceased             bool                   `json:"deceased,omitempty"`
	DeceasedAt           time.Time              `json:"deceasedDateTime,omitzero"` // when known; implies Deceased
	Addresses            []ehrkit.Address       `json:"address,omitempty"`
	MaritalStatus        ehrkit.CodeableConcept `json:"maritalStatus,omitzero"`
	Language             language.Tag           `json:"language,omitzero"` // preferred language (BCP 47)
	Contacts             []Contact              `json:"contact,omitempty"`
	GeneralPractitioner  []ehrkit.Reference     `json:"generalPractitioner,omitempty"`
	ManagingOrganization ehrkit.Reference       `json:"managingOrganization,omitzero"`
	Links                []Link                 `json:"link,omitempty"`
}

// ReplacedBy returns the patient this record was merged into, or "".
func (p Patient) ReplacedBy() ID {
	for _, l := range p.Links {
		if l.Type == LinkReplacedBy {
			return l.Other
		}
	}
	return ""
}

// Name returns the name to show: the first official or usual name in force,
// else the first name; the zero name when there is none.
func (p Patient) Name() ehrkit.HumanName {
	for _, n := range p.Names {
		if (n.Use == "official" || n.Use == "usual" || n.Use == "") && n.Period.End.IsZero() {
			return n
		}
	}
	if len(p.Names) > 0 {
		return p.Names[0]
	}
	return ehrkit.HumanName{}
}

// Identifier returns the value of the first identifier in system, or "".
func (p Patient) Identifier(system string) string {
	for _, id := range p.Identifiers {
		if id.System == system && id.Use != "old" {
			return id.Value
		}
	}
	return ""
}

var (
	identifierUses = []string{"", "usual", "official", "temp", "secondary", "old"}
	addressUses    = []string{"", "home", "work", "temp", "old", "billing"}
	linkTypes      = []LinkType{LinkReplacedBy, LinkReplaces, LinkRefer, LinkSeeAlso}
	practitioners  = []string{"Practitioner", "PractitionerRole", "Organization"}
)

// Validate checks every field and returns one *ehrkit.ValidationError listing
// every problem (paths such as "name[0].family", "identifier[1].value"), or nil.
// It does not assign the MRN; Service.Register does.
func (p Patient) Validate() error {
	var v ehrkit.Issues
	v.Check(p.ID == "" || storage.ValidID(string(p.ID)), "id", ehrkit.IssueValue, "malformed id")
	v.Required("name", len(p.Names) > 0)
	for i, n := range p.Names {
		v.Merge(ehrkit.Index("name", i), n.Validate())
	}
	v.Check(p.Gender.Valid(), "gender", ehrkit.IssueCodeInvalid, "unknown gender")
	v.Merge("birthDate", p.BirthDate.Validate())
	v.Check(p.DeceasedAt.IsZero() || p.Deceased, "deceased", ehrkit.IssueInvariant, "a deceased time needs deceased true")
	v.Check(p.DeceasedAt.IsZero() || p.BirthDate.IsZero() || !p.DeceasedAt.Before(p.BirthDate.Start(time.UTC)),
		"deceasedDateTime", ehrkit.IssueInvariant, "is before the birth date")
	seen := map[string]int{}
	for i, id := range p.Identifiers {
		path := ehrkit.Index("identifier", i)
		v.Merge(path, id.Validate())
		v.Check(slices.Contains(identifierUses, id.Use), path+".use", ehrkit.IssueCodeInvalid, "unknown identifier use")
		v.Check(len(id.Token()) <= storage.MaxTermValue, path+".value", ehrkit.IssueTooLong, "identifier too long")
		if j, dup := seen[id.Token()]; dup {
			v.Add(path, ehrkit.IssueDuplicate, "repeats identifier[%d]", j)
		} else {
			seen[id.Token()] = i
		}
	}
	for i, c := range p.Telecom {
		path := ehrkit.Index("telecom", i)
		v.Merge(path, c.Validate())
		v.Check(c.System != "phone" || c.Value == "" || PhoneDigits(c.Value) != "", path+".value", ehrkit.IssueValue, "phone number has no digits")
	}
	for i, a := range p.Addresses {
		v.Merge(ehrkit.Index("address", i), validateAddress(a))
	}
	for i, c := range p.Contacts {
		v.Merge(ehrkit.Index("contact", i), c.Validate())
	}
	for i, r := range p.GeneralPractitioner {
		path := ehrkit.Index("generalPractitioner", i)
		v.Check(slices.Contains(practitioners, r.Type), path+".type", ehrkit.IssueValue, "must be a Practitioner, PractitionerRole or Organization")
		v.Required(path+".id", r.ID != "")
	}
	if !p.ManagingOrganization.IsZero() {
		v.Check(p.ManagingOrganization.Type == "Organization", "managingOrganization.type", ehrkit.IssueValue, "must be an Organization")
		v.Required("managingOrganization.id", p.ManagingOrganization.ID != "")
	}
	if !p.MaritalStatus.IsZero() {
		v.Merge("maritalStatus", p.MaritalStatus.Validate())
	}
	for i, l := range p.Links {
		path := ehrkit.Index("link", i)
		v.Check(storage.ValidID(string(l.Other)), path+".other", ehrkit.IssueValue, "malformed patient id")
		v.Check(l.Other == "" || l.Other != p.ID, path+".other", ehrkit.IssueInvariant, "a patient cannot link to itself")
		v.Check(slices.Contains(linkTypes, l.Type), path+".type", ehrkit.IssueCodeInvalid, "unknown link type")
	}
	checkIndexed(&v, p)
	ehrkit.CheckStrings(&v, "", p)
	return v.Err()
}

// maxIndexed bounds the fields that become index terms (name parts, phone
// numbers, e-mail addresses, postal codes), so that a too-long value is
// refused naming its field, well inside storage.MaxTermValue.
const maxIndexed = 256

// checkIndexed checks the length of the indexed fields of p and that they do
// not give more index terms than a record holds.
func checkIndexed(v *ehrkit.Issues, p Patient) {
	before := v.Len()
	for i, n := range p.Names {
		path := ehrkit.Index("name", i)
		ehrkit.CheckLen(v, path+".family", n.Family, maxIndexed)
		ehrkit.CheckLen(v, path+".text", n.Text, maxIndexed)
		for j, g := range n.Given {
			ehrkit.CheckLen(v, ehrkit.Index(path+".given", j), g, maxIndexed)
		}
	}
	for i, c := range p.Telecom {
		ehrkit.CheckLen(v, ehrkit.Index("telecom", i)+".value", c.Value, maxIndexed)
	}
	for i, a := range p.Addresses {
		ehrkit.CheckLen(v, ehrkit.Index("address", i)+".postalCode", a.PostalCode, maxIndexed)
	}
	// A token of a name gives at most five terms and takes two bytes with its
	// separator: a patient with less than 300 bytes of names and 200 other
	// indexed values stays far below storage.MaxTerms, and is not indexed
	// twice to tell.
	nameBytes := 0
	for _, n := range p.Names {
		nameBytes += len(n.Family) + len(n.Text)
		for _, g := range n.Given {
			nameBytes += len(g)
		}
	}
	small := nameBytes < 300 && len(p.Names)+len(p.Identifiers)+len(p.Telecom)+len(p.Addresses) < 200
	if v.Len() == before && !small {
		v.Check(len(p.terms()) <= storage.MaxTerms, "name", ehrkit.IssueTooLong, "names, identifiers and contacts give more than %d index terms", storage.MaxTerms)
	}
}

// Validate checks the contact: it needs a name, a telecom or an address.
func (c Contact) Validate() error {
	var v ehrkit.Issues
	v.Check(c.Name.Full() != "" || len(c.Telecom) > 0 || !isZeroAddress(c.Address), "name", ehrkit.IssueRequired,
		"a contact needs a name, a telecom or an address")
	if c.Name.Full() != "" {
		v.Merge("name", c.Name.Validate())
	}
	for i, r := range c.Relationship {
		v.Merge(ehrkit.Index("relationship", i), r.Validate())
	}
	for i, t := range c.Telecom {
		v.Merge(ehrkit.Index("telecom", i), t.Validate())
	}
	v.Merge("address", validateAddress(c.Address))
	v.Check(c.Gender.Valid(), "gender", ehrkit.IssueCodeInvalid, "unknown gender")
	v.Merge("period", c.Period.Validate())
	return v.Err()
}

func validateAddress(a ehrkit.Address) error {
	var v ehrkit.Issues
	v.Check(slices.Contains(addressUses, a.Use), "use", ehrkit.IssueCodeInvalid, "unknown address use")
	v.Merge("period", a.Period.Validate())
	return v.Err()
}

func isZeroAddress(a ehrkit.Address) bool {
	return len(a.Line) == 0 && a.City == "" && a.District == "" && a.State == "" && a.PostalCode == "" && a.Country == ""
}

// nameTokens returns every folded token of the patient's names (given and family).
func (p Patient) nameTokens() []string {
	var out []string
	for _, n := range p.Names {
		for _, part := range append(append([]string{n.Family}, n.Given...), n.Text) {
			out = append(out, Tokens(part)...)
		}
	}
	return out
}
