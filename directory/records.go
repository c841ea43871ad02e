package directory

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/textfold"
	"github.com/ehrkit/ehrkit/storage"
)

// Index term names of directory records. Query filters on them.
const (
	TermName         = "name"         // folded name and alias tokens
	TermIdentifier   = "identifier"   // system|value
	TermNPI          = "npi"          // NPI value
	TermActive       = "active"       // "true" or "false" (a location: active status)
	TermType         = "type"         // system|code of type, physical type or role code
	TermSpecialty    = "specialty"    // system|code of a role's specialty
	TermOrganization = "organization" // managing or employing organization id
	TermPartOf       = "partof"       // parent organization or location id
	TermPractitioner = "practitioner" // a role's practitioner id
	TermLocation     = "location"     // a role's location ids
)

type terms []storage.Term

func (t *terms) add(name string, values ...string) {
	for _, v := range values {
		if v != "" {
			*t = append(*t, storage.Term{Name: name, Value: v})
		}
	}
}

func (t *terms) names(texts ...string) {
	seen := map[string]bool{}
	for _, s := range texts {
		for _, w := range textfold.Tokens(s) {
			if !seen[w] {
				seen[w] = true
				t.add(TermName, w)
			}
		}
	}
}

func (t *terms) identifiers(ids []ehrkit.Identifier) {
	for _, id := range ids {
		t.add(TermIdentifier, id.Token())
		if id.System == ehrkit.SystemNPI {
			t.add(TermNPI, id.Value)
		}
	}
}

func (t *terms) concepts(name string, ccs ...ehrkit.CodeableConcept) {
	for _, cc := range ccs {
		for _, c := range cc.Coding {
			t.add(name, c.Token())
		}
	}
}

func humanNames(ns []ehrkit.HumanName) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Text, n.Family)
		out = append(out, n.Given...)
	}
	return out
}

var practitioners = storage.Kind[Practitioner]{
	Type: PractitionerType, Version: 1,
	Meta: func(p *Practitioner) storage.Meta {
		var t terms
		t.names(humanNames(p.Names)...)
		t.identifiers(p.Identifiers)
		t.add(TermActive, strconv.FormatBool(p.Active))
		return storage.Meta{ID: string(p.ID), Terms: t}
	},
}

var organizations = storage.Kind[Organization]{
	Type: OrganizationType, Version: 1,
	Meta: func(o *Organization) storage.Meta {
		var t terms
		t.names(append([]string{o.Name}, o.Aliases...)...)
		t.identifiers(o.Identifiers)
		t.add(TermActive, strconv.FormatBool(o.Active))
		t.concepts(TermType, o.Types...)
		t.add(TermPartOf, string(o.PartOf))
		return storage.Meta{ID: string(o.ID), Terms: t}
	},
}

var locations = storage.Kind[Location]{
	Type: LocationType, Version: 1,
	Meta: func(l *Location) storage.Meta {
		var t terms
		t.names(append([]string{l.Name}, l.Aliases...)...)
		t.identifiers(l.Identifiers)
		t.add(TermActive, strconv.FormatBool(l.Status == "" || l.Status == LocationActive))
		t.concepts(TermType, append([]ehrkit.CodeableConcept{l.PhysicalType}, l.Types...)...)
		t.add(TermOrganization, string(l.Organization))
		t.add(TermPartOf, string(l.PartOf))
		return storage.Meta{ID: string(l.ID), Terms: t}
	},
}

var roles = storage.Kind[PractitionerRole]{
	Type: PractitionerRoleType, Version: 1,
	Meta: func(r *PractitionerRole) storage.Meta {
		var t terms
		t.identifiers(r.Identifiers)
		t.add(TermActive, strconv.FormatBool(r.Active))
		t.concepts(TermType, r.Codes...)
		t.concepts(TermSpecialty, r.Specialties...)
		t.add(TermPractitioner, string(r.Practitioner))
		t.add(TermOrganization, string(r.Organization))
		for _, l := range r.Locations {
			t.add(TermLocation, string(l))
		}
		return storage.Meta{ID: string(r.ID), Terms: t}
	},
}

// Read-only views of the directory's records, for packages that read them in
// their own transactions (an exporter, a report); writes go through the
// Service.
var (
	PractitionerRecords     = practitioners.View()
	OrganizationRecords     = organizations.View()
	LocationRecords         = locations.View()
	PractitionerRoleRecords = roles.View()
)

// IdentifierKeyType is the record type of identifier claims: one record per
// (record type, identifier), written with every directory write, so that two
// practitioners (or organizations, locations, roles) can never hold the same
// identifier, whatever writes them concurrently.
const IdentifierKeyType = "DirectoryIdentifier"

// identifierKey records which record holds an identifier. Its record id is
// a digest of the record type and the identifier token (a token is a URI and
// a value, too long and too free for a record id); Token keeps the token
// itself, so a digest collision is told apart from a claim.
type identifierKey struct {
	Key    string `json:"key"`
	Type   string `json:"type"`
	Token  string `json:"token"`
	Holder string `json:"holder"`
}

func keyOf(typ string, id ehrkit.Identifier) identifierKey {
	sum := sha256.Sum256([]byte(typ + " " + id.Token()))
	return identifierKey{Key: "id-" + hex.EncodeToString(sum[:20]), Type: typ, Token: id.Token()}
}

var identifierKeys = storage.Kind[identifierKey]{
	Type: IdentifierKeyType, Version: 1,
	Meta: func(k *identifierKey) storage.Meta { return storage.Meta{ID: k.Key} },
}
