package directory

import "github.com/ehrkit/ehrkit/access"

// Groups returns the record-type groups of the directory for an access
// policy (access.DefaultPolicy): practitioners, organizations, locations,
// roles and the identifier claims that keep their identifiers unique are
// shared reference data (no patient compartment) that every staff role
// reads. Each call returns fresh slices.
func Groups() []access.Group {
	return []access.Group{{
		Class:  access.ClassDirectory,
		Types:  []string{PractitionerType, OrganizationType, LocationType, PractitionerRoleType, IdentifierKeyType},
		Shared: true,
	}}
}
