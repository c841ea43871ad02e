package directory

import (
	"slices"
	"strings"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Validate checks the practitioner on its own (references to other records
// are checked by the Service, in the transaction that writes it): a valid id,
// at least one name, valid identifiers (an NPI passes its check digit),
// telecom, gender and qualifications. It returns nil or one
// *ehrkit.ValidationError naming every problem.
func (p Practitioner) Validate() error {
	var v ehrkit.Issues
	checkID(&v, string(p.ID))
	v.Required("name", len(p.Names) > 0)
	for i, n := range p.Names {
		v.Merge(ehrkit.Index("name", i), n.Validate())
	}
	checkIdentifiers(&v, p.Identifiers)
	checkTelecom(&v, p.Telecom)
	v.Check(p.Gender == "" || slices.Contains([]string{"male", "female", "other", "unknown"}, p.Gender),
		"gender", ehrkit.IssueCodeInvalid, "unknown administrative gender")
	for i, q := range p.Qualifications {
		path := ehrkit.Index("qualification", i)
		v.Merge(path+".code", q.Code.Validate()) // a zero code is "required"
		v.Merge(path+".period", q.Period.Validate())
		checkIdentifiersAt(&v, path+".identifier", q.Identifiers)
		checkOptionalID(&v, path+".issuer", string(q.Issuer))
	}
	ehrkit.CheckStrings(&v, "", p)
	return v.Err()
}

// Validate checks the organization on its own: a valid id, a name or an
// identifier (FHIR invariant org-1), valid identifiers, types and telecom, and
// that it is not part of itself.
func (o Organization) Validate() error {
	var v ehrkit.Issues
	checkID(&v, string(o.ID))
	v.Check(strings.TrimSpace(o.Name) != "" || len(o.Identifiers) > 0, "name", ehrkit.IssueRequired,
		"needs a name or an identifier")
	checkIdentifiers(&v, o.Identifiers)
	checkConcepts(&v, "type", o.Types)
	checkTelecom(&v, o.Telecom)
	checkOptionalID(&v, "partOf", string(o.PartOf))
	v.Check(o.PartOf == "" || o.PartOf != o.ID, "partOf", ehrkit.IssueInvariant, "an organization cannot be part of itself")
	ehrkit.CheckStrings(&v, "", o)
	return v.Err()
}

// Validate checks the location on its own: a valid id, a name, status and
// mode codes, identifiers, types, physical type and telecom, and that it is
// not part of itself.
func (l Location) Validate() error {
	var v ehrkit.Issues
	checkID(&v, string(l.ID))
	v.Required("name", strings.TrimSpace(l.Name) != "")
	v.Check(l.Status == "" || slices.Contains([]string{LocationActive, LocationSuspended, LocationInactive}, l.Status),
		"status", ehrkit.IssueCodeInvalid, "unknown location status")
	v.Check(l.Mode == "" || l.Mode == "instance" || l.Mode == "kind", "mode", ehrkit.IssueCodeInvalid, "unknown location mode")
	checkIdentifiers(&v, l.Identifiers)
	checkConcepts(&v, "type", l.Types)
	if !l.PhysicalType.IsZero() {
		v.Merge("physicalType", l.PhysicalType.Validate())
	}
	checkTelecom(&v, l.Telecom)
	checkOptionalID(&v, "managingOrganization", string(l.Organization))
	checkOptionalID(&v, "partOf", string(l.PartOf))
	v.Check(l.PartOf == "" || l.PartOf != l.ID, "partOf", ehrkit.IssueInvariant, "a location cannot be part of itself")
	ehrkit.CheckStrings(&v, "", l)
	return v.Err()
}

// Validate checks the role on its own: a valid id, a practitioner, a valid
// period, codes, specialties, locations and telecom.
func (r PractitionerRole) Validate() error {
	var v ehrkit.Issues
	checkID(&v, string(r.ID))
	v.Required("practitioner", r.Practitioner != "")
	checkOptionalID(&v, "practitioner", string(r.Practitioner))
	checkOptionalID(&v, "organization", string(r.Organization))
	v.Merge("period", r.Period.Validate())
	checkIdentifiers(&v, r.Identifiers)
	checkConcepts(&v, "code", r.Codes)
	checkConcepts(&v, "specialty", r.Specialties)
	for i, l := range r.Locations {
		v.Check(storage.ValidID(string(l)), ehrkit.Index("location", i), ehrkit.IssueValue, "malformed location id")
	}
	checkTelecom(&v, r.Telecom)
	ehrkit.CheckStrings(&v, "", r)
	return v.Err()
}

func checkID(v *ehrkit.Issues, id string) {
	v.Required("id", id != "")
	checkOptionalID(v, "id", id)
}

func checkOptionalID(v *ehrkit.Issues, path, id string) {
	v.Check(id == "" || storage.ValidID(id), path, ehrkit.IssueValue, "malformed id")
}

func checkIdentifiers(v *ehrkit.Issues, ids []ehrkit.Identifier) {
	checkIdentifiersAt(v, "identifier", ids)
}

// checkIdentifiersAt checks each identifier at path[i]: system and value
// present, an NPI ten digits passing its check digit (CMS, "Requirements for
// National Provider Identifier (NPI) and NPI Enumerator", check digit by the
// Luhn formula over the prefix 80840), and no identifier twice.
func checkIdentifiersAt(v *ehrkit.Issues, path string, ids []ehrkit.Identifier) {
	seen := make(map[string]bool, len(ids))
	for i, id := range ids {
		p := ehrkit.Index(path, i)
		v.Merge(p, id.Validate())
		v.Check(id.System != ehrkit.SystemNPI || ehrkit.ValidNPI(id.Value), p+".value", ehrkit.IssueCodeInvalid,
			"not a valid NPI (ten digits with a Luhn check digit)")
		v.Check(!seen[id.Token()], p, ehrkit.IssueDuplicate, "identifier given twice")
		seen[id.Token()] = true
	}
}

func checkConcepts(v *ehrkit.Issues, path string, ccs []ehrkit.CodeableConcept) {
	for i, cc := range ccs {
		v.Merge(ehrkit.Index(path, i), cc.Validate())
	}
}

func checkTelecom(v *ehrkit.Issues, cps []ehrkit.ContactPoint) {
	for i, c := range cps {
		v.Merge(ehrkit.Index("telecom", i), c.Validate())
	}
}
