package directory

import (
	"context"
	"errors"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// CheckPractitionerRef checks, in r (the transaction of the caller's write,
// so the answer holds when it commits), that the practitioner exists. A
// problem is added to is at path ("requester", "practitioner"); only a
// storage failure is returned. Packages above the directory (schedule, rx,
// lab, billing) call it before they write a record that names a clinician.
func CheckPractitionerRef(ctx context.Context, r storage.Reader, id PractitionerID, path string, is *ehrkit.Issues) error {
	return checkRef(ctx, r, PractitionerType, string(id), path, is)
}

// CheckOrganizationRef checks that the organization exists (see
// CheckPractitionerRef).
func CheckOrganizationRef(ctx context.Context, r storage.Reader, id OrganizationID, path string, is *ehrkit.Issues) error {
	return checkRef(ctx, r, OrganizationType, string(id), path, is)
}

// CheckLocationRef checks that the location exists (see
// CheckPractitionerRef).
func CheckLocationRef(ctx context.Context, r storage.Reader, id LocationID, path string, is *ehrkit.Issues) error {
	return checkRef(ctx, r, LocationType, string(id), path, is)
}

func checkRef(ctx context.Context, r storage.Reader, typ, id, path string, is *ehrkit.Issues) error {
	if !storage.ValidID(id) {
		is.Add(path, ehrkit.IssueRequired, "needs a %s id", typ)
		return nil
	}
	_, err := r.Get(ctx, typ, id)
	if errors.Is(err, ehrkit.ErrNotFound) {
		is.Add(path, ehrkit.IssueValue, "no such %s", typ)
		return nil
	}
	return err
}

// maxDepth bounds a part-of chain (site, building, wing, ward, room, bed is
// six; a hospital group's departments a few more).
const maxDepth = 32

// checkParent checks that parent (if any) exists and that following part-of
// links from it never comes back to self.
func checkParent(ctx context.Context, r storage.Reader, typ, self, parent, path string, next func(storage.Record) (string, error), is *ehrkit.Issues) error {
	if parent == "" {
		return nil
	}
	for depth := 0; parent != ""; depth++ {
		if parent == self || depth == maxDepth {
			is.Add(path, ehrkit.IssueInvariant, "part-of links form a cycle or a chain deeper than %d", maxDepth)
			return nil
		}
		rec, err := r.Get(ctx, typ, parent)
		if errors.Is(err, ehrkit.ErrNotFound) {
			if depth == 0 {
				is.Add(path, ehrkit.IssueValue, "no such %s", typ)
			}
			return nil
		}
		if err != nil {
			return err
		}
		if parent, err = next(rec); err != nil {
			return err
		}
	}
	return nil
}

func orgParent(rec storage.Record) (string, error) {
	o, err := organizations.Decode(rec)
	return string(o.PartOf), err
}

func locationParent(rec storage.Record) (string, error) {
	l, err := locations.Decode(rec)
	return string(l.PartOf), err
}

func optionalOrg(ctx context.Context, r storage.Reader, id OrganizationID, path string, is *ehrkit.Issues) error {
	if id == "" {
		return nil
	}
	return CheckOrganizationRef(ctx, r, id, path, is)
}

var practitionerEntry = entry[Practitioner, PractitionerID]{
	kind:        practitioners,
	id:          func(p *Practitioner) *PractitionerID { return &p.ID },
	version:     func(p *Practitioner) (*int64, *time.Time) { return &p.Version, &p.Updated },
	identifiers: func(p *Practitioner) []ehrkit.Identifier { return p.Identifiers },
	validate:    func(p *Practitioner) error { return p.Validate() },
	refs: func(ctx context.Context, r storage.Reader, p *Practitioner, is *ehrkit.Issues) error {
		for i, q := range p.Qualifications {
			if err := optionalOrg(ctx, r, q.Issuer, ehrkit.Index("qualification", i)+".issuer", is); err != nil {
				return err
			}
		}
		return nil
	},
	terms: []string{TermName, TermIdentifier, TermNPI, TermActive},
}

var organizationEntry = entry[Organization, OrganizationID]{
	kind:        organizations,
	id:          func(o *Organization) *OrganizationID { return &o.ID },
	version:     func(o *Organization) (*int64, *time.Time) { return &o.Version, &o.Updated },
	identifiers: func(o *Organization) []ehrkit.Identifier { return o.Identifiers },
	validate:    func(o *Organization) error { return o.Validate() },
	refs: func(ctx context.Context, r storage.Reader, o *Organization, is *ehrkit.Issues) error {
		return checkParent(ctx, r, OrganizationType, string(o.ID), string(o.PartOf), "partOf", orgParent, is)
	},
	terms: []string{TermName, TermIdentifier, TermNPI, TermActive, TermType, TermPartOf},
}

var locationEntry = entry[Location, LocationID]{
	kind:        locations,
	id:          func(l *Location) *LocationID { return &l.ID },
	version:     func(l *Location) (*int64, *time.Time) { return &l.Version, &l.Updated },
	identifiers: func(l *Location) []ehrkit.Identifier { return l.Identifiers },
	validate:    func(l *Location) error { return l.Validate() },
	refs: func(ctx context.Context, r storage.Reader, l *Location, is *ehrkit.Issues) error {
		if err := optionalOrg(ctx, r, l.Organization, "managingOrganization", is); err != nil {
			return err
		}
		return checkParent(ctx, r, LocationType, string(l.ID), string(l.PartOf), "partOf", locationParent, is)
	},
	terms: []string{TermName, TermIdentifier, TermNPI, TermActive, TermType, TermOrganization, TermPartOf},
}

var roleEntry = entry[PractitionerRole, RoleID]{
	kind:        roles,
	id:          func(r *PractitionerRole) *RoleID { return &r.ID },
	version:     func(r *PractitionerRole) (*int64, *time.Time) { return &r.Version, &r.Updated },
	identifiers: func(r *PractitionerRole) []ehrkit.Identifier { return r.Identifiers },
	validate:    func(r *PractitionerRole) error { return r.Validate() },
	refs: func(ctx context.Context, rd storage.Reader, r *PractitionerRole, is *ehrkit.Issues) error {
		if err := CheckPractitionerRef(ctx, rd, r.Practitioner, "practitioner", is); err != nil {
			return err
		}
		if err := optionalOrg(ctx, rd, r.Organization, "organization", is); err != nil {
			return err
		}
		for i, l := range r.Locations {
			if err := CheckLocationRef(ctx, rd, l, ehrkit.Index("location", i), is); err != nil {
				return err
			}
		}
		return nil
	},
	terms: []string{TermIdentifier, TermActive, TermType, TermSpecialty, TermOrganization, TermPractitioner, TermLocation},
}
