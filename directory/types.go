package directory

import (
	"slices"
	"time"

	"github.com/ehrkit/ehrkit"
)

// Record types of the directory (FHIR resource names).
const (
	PractitionerType     = "Practitioner"
	OrganizationType     = "Organization"
	LocationType         = "Location"
	PractitionerRoleType = "PractitionerRole"
)

// PractitionerID identifies a Practitioner record. Schedule, rx, lab and
// billing name a clinician by it, never by a display name.
type PractitionerID string

// OrganizationID identifies an Organization record.
type OrganizationID string

// LocationID identifies a Location record.
type LocationID string

// RoleID identifies a PractitionerRole record.
type RoleID string

// Practitioner is a person who provides care or services (FHIR Practitioner):
// a physician, nurse, pharmacist, therapist. An identifier with system
// ehrkit.SystemNPI must be a valid NPI, and an identifier belongs to one
// practitioner only.
type Practitioner struct {
	ID      PractitionerID `json:"id"`
	Version int64          `json:"-"` // version read from the store
	Updated time.Time      `json:"-"` // time of the version read

	Active         bool                  `json:"active"`
	Identifiers    []ehrkit.Identifier   `json:"identifier,omitempty"`
	Names          []ehrkit.HumanName    `json:"name,omitempty"`
	Telecom        []ehrkit.ContactPoint `json:"telecom,omitempty"`
	Addresses      []ehrkit.Address      `json:"address,omitempty"`
	Gender         string                `json:"gender,omitempty"` // male | female | other | unknown
	BirthDate      ehrkit.Date           `json:"birthDate,omitzero"`
	Qualifications []Qualification       `json:"qualification,omitempty"`
}

// Qualification is a licence, certification or degree (FHIR
// Practitioner.qualification): Code says what it is (a v2-0360 degree code, a
// NUCC taxonomy code), Issuer who issued it.
type Qualification struct {
	Identifiers []ehrkit.Identifier    `json:"identifier,omitempty"`
	Code        ehrkit.CodeableConcept `json:"code"`
	Period      ehrkit.Period          `json:"period,omitzero"`
	Issuer      OrganizationID         `json:"issuer,omitempty"`
}

// NPI returns the practitioner's National Provider Identifier, or "".
func (p Practitioner) NPI() string { return npiOf(p.Identifiers) }

// Name returns the first name's full form ("Given Family"), or "".
func (p Practitioner) Name() string {
	if len(p.Names) == 0 {
		return ""
	}
	return p.Names[0].Full()
}

// Organization is a group with a shared purpose (FHIR Organization): a
// practice, hospital, department, payer or laboratory. PartOf nests it (a
// department in a hospital).
type Organization struct {
	ID      OrganizationID `json:"id"`
	Version int64          `json:"-"`
	Updated time.Time      `json:"-"`

	Active      bool                     `json:"active"`
	Identifiers []ehrkit.Identifier      `json:"identifier,omitempty"`
	Types       []ehrkit.CodeableConcept `json:"type,omitempty"` // organization-type: prov, dept, ins, pay ...
	Name        string                   `json:"name,omitempty"`
	Aliases     []string                 `json:"alias,omitempty"`
	Telecom     []ehrkit.ContactPoint    `json:"telecom,omitempty"`
	Addresses   []ehrkit.Address         `json:"address,omitempty"`
	PartOf      OrganizationID           `json:"partOf,omitempty"`
}

// NPI returns the organization's National Provider Identifier (a type 2 NPI),
// or "".
func (o Organization) NPI() string { return npiOf(o.Identifiers) }

// Location statuses (FHIR LocationStatus).
const (
	LocationActive    = "active"
	LocationSuspended = "suspended"
	LocationInactive  = "inactive"
)

// Physical types of a location (FHIR location-physical-type codes, system
// PhysicalTypeSystem) used by the directory's helpers.
const (
	PhysicalTypeSystem = "http://terminology.hl7.org/CodeSystem/location-physical-type"
	PhysicalSite       = "si" // site
	PhysicalBuilding   = "bu" // building
	PhysicalWing       = "wi" // wing
	PhysicalWard       = "wa" // ward
	PhysicalLevel      = "lvl"
	PhysicalRoom       = "ro" // room
	PhysicalBed        = "bd" // bed
	PhysicalArea       = "area"
)

// Location is a place where care is given (FHIR Location): a site, building,
// ward, room or bed. PartOf nests it (a bed in a room in a ward); Organization
// is the organization that manages it.
type Location struct {
	ID      LocationID `json:"id"`
	Version int64      `json:"-"`
	Updated time.Time  `json:"-"`

	Status       string                   `json:"status,omitempty"` // active | suspended | inactive
	Identifiers  []ehrkit.Identifier      `json:"identifier,omitempty"`
	Name         string                   `json:"name,omitempty"`
	Aliases      []string                 `json:"alias,omitempty"`
	Description  string                   `json:"description,omitempty"`
	Mode         string                   `json:"mode,omitempty"` // instance | kind
	Types        []ehrkit.CodeableConcept `json:"type,omitempty"`
	Telecom      []ehrkit.ContactPoint    `json:"telecom,omitempty"`
	Address      ehrkit.Address           `json:"address,omitzero"`
	PhysicalType ehrkit.CodeableConcept   `json:"physicalType,omitzero"`
	Organization OrganizationID           `json:"managingOrganization,omitempty"`
	PartOf       LocationID               `json:"partOf,omitempty"`
}

// Is reports whether the location's physical type is code (PhysicalRoom,
// PhysicalBed ...).
func (l Location) Is(code string) bool { return l.PhysicalType.Has(PhysicalTypeSystem, code) }

// PractitionerRole says what a practitioner does, for which organization, at
// which locations and when (FHIR PractitionerRole).
type PractitionerRole struct {
	ID      RoleID    `json:"id"`
	Version int64     `json:"-"`
	Updated time.Time `json:"-"`

	Active       bool                     `json:"active"`
	Identifiers  []ehrkit.Identifier      `json:"identifier,omitempty"`
	Period       ehrkit.Period            `json:"period,omitzero"`
	Practitioner PractitionerID           `json:"practitioner"`
	Organization OrganizationID           `json:"organization,omitempty"`
	Codes        []ehrkit.CodeableConcept `json:"code,omitempty"`      // role: doctor, nurse, pharmacist ...
	Specialties  []ehrkit.CodeableConcept `json:"specialty,omitempty"` // NUCC or SNOMED CT specialty
	Locations    []LocationID             `json:"location,omitempty"`
	Telecom      []ehrkit.ContactPoint    `json:"telecom,omitempty"`
}

// ActiveAt reports whether the role is active and its period covers t.
func (r PractitionerRole) ActiveAt(t time.Time) bool { return r.Active && r.Period.Contains(t) }

// AtLocation reports whether the role is held at location id.
func (r PractitionerRole) AtLocation(id LocationID) bool { return slices.Contains(r.Locations, id) }

func npiOf(ids []ehrkit.Identifier) string {
	for _, id := range ids {
		if id.System == ehrkit.SystemNPI {
			return id.Value
		}
	}
	return ""
}
