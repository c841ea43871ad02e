package access

import (
	"slices"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Action is what a principal does to a record.
type Action string

// Record actions checked by the guard.
const (
	Read   Action = "read"   // Get, GetVersion, History, and the change feed
	Search Action = "search" // Query
	Create Action = "create" // Put of a record that does not exist
	Update Action = "update" // Put of an existing record
	Delete Action = "delete" // Delete
)

// Actions lists every record action.
var Actions = []Action{Read, Search, Create, Update, Delete}

// Permission is an operation-level permission: an act that is more than a
// record write, checked with Require. Vendors may define their own.
type Permission string

// Operation permissions used by the default policy.
const (
	PermRxSign        Permission = "rx.sign"        // sign a prescription
	PermRxOverride    Permission = "rx.override"    // override an interaction or allergy alert
	PermRxDispense    Permission = "rx.dispense"    // record a dispense
	PermPatientMerge  Permission = "patient.merge"  // merge and unmerge patients
	PermNoteSign      Permission = "note.sign"      // sign a clinical note
	PermClinicalAmend Permission = "clinical.amend" // amend signed clinical data
	PermLabRelease    Permission = "lab.release"    // verify and release a lab result
	PermBillingPost   Permission = "billing.post"   // post charges and payments
	PermScheduleBook  Permission = "schedule.book"  // book, move and cancel appointments
	// PermBreakGlass lets a principal request emergency access (BreakGlass).
	PermBreakGlass Permission = "access.break-glass"
	// PermAuditRead lets a principal read the audit trail and break-glass
	// grants, run Verify and Accounting, and see "access." feed events.
	PermAuditRead Permission = "audit.read"
	// Permissions needed for records carrying the default sensitive labels.
	PermSensitive        Permission = "access.sensitive"
	PermBehavioralHealth Permission = "access.behavioral-health"
	PermPart2            Permission = "access.42cfr-part2"
)

// Default sensitive labels (storage.Record.Labels).
const (
	LabelSensitive        = "sensitive"         // generic restricted record (VIP, employee)
	LabelBehavioralHealth = "behavioral-health" // psychotherapy and mental health
	// LabelPart2 marks substance use disorder records protected by 42 CFR
	// Part 2: the HL7 v3 sensitivity code ETH (substance abuse information
	// sensitivity). The HL7 privacy-law code "42CFRPart2" itself is not a
	// valid storage label (labels start with a letter).
	LabelPart2 = "ETH"
)

// Scope restricts the patient compartments a role reaches. Scopes combine: a
// role with ScopeCareTeam|ScopeFacility sees its care team's patients and every
// record of its facility. A zero Scope reaches no compartment at all: the role
// then only sees records that belong to no patient (practitioners, locations).
type Scope uint8

// Scopes.
const (
	// ScopeOwn is the principal's own compartment (Principal.Patient): the
	// patient-portal scope.
	ScopeOwn Scope = 1 << iota
	// ScopeCareTeam is the compartments listed in Principal.CareTeam.
	ScopeCareTeam
	// ScopeFacility is the records whose FacilityTerm equals
	// Principal.Facility (see FacilityTerm for how a record gets one).
	ScopeFacility
	// ScopeAll is every compartment.
	ScopeAll
)

// FacilityTerm is the index term naming the facility a record belongs to.
// Domain packages may set it; when a record written through a guarded store
// carries none, the guard keeps the one of the version it replaces or, for a
// new record, stamps the writer's Principal.Facility. The facility of a patient
// compartment as a whole (for Require and feed events) is the one of the
// compartment's "Patient" record.
const FacilityTerm = "_facility"

// Rule grants actions on record types. "*" in Types means every type.
type Rule struct {
	Types   []string
	Actions []Action
}

// Role is a named set of rules and operation permissions, restricted to the
// compartments of its Scope.
type Role struct {
	Name        string
	Rules       []Rule
	Permissions []Permission
	Scope       Scope
}

// Policy maps roles to what they may do. Build one with NewPolicy or
// DefaultPolicy; it is immutable and safe for concurrent use.
type Policy struct {
	roles     map[string]*role
	order     []string
	sensitive map[string]Permission
	shared    map[string]bool
}

type role struct {
	Role
	grants map[string]map[Action]bool // type or "*" -> actions
	perms  map[Permission]bool
}

// NewPolicy checks and compiles roles, the sensitive labels (label ->
// permission needed to see a record carrying it) and the shared record types
// (types whose records belong to no patient, such as Practitioner: searching
// them is never narrowed to the principal's compartments). Every problem is
// reported in one *ehrkit.ValidationError.
func NewPolicy(roles []Role, sensitive map[string]Permission, shared []string) (*Policy, error) {
	var v ehrkit.Issues
	p := &Policy{roles: map[string]*role{}, sensitive: map[string]Permission{}, shared: map[string]bool{}}
	for i, t := range shared {
		v.Check(storage.ValidType(t), ehrkit.Index("shared", i), ehrkit.IssueValue, "malformed record type")
		p.shared[t] = true
	}
	for i, r := range roles {
		path := ehrkit.Index("roles", i)
		v.Required(path+".name", r.Name != "")
		v.Check(p.roles[r.Name] == nil, path+".name", ehrkit.IssueDuplicate, "role defined twice")
		v.Check(r.Scope <= ScopeOwn|ScopeCareTeam|ScopeFacility|ScopeAll, path+".scope", ehrkit.IssueValue, "unknown scope bits")
		c := &role{Role: r, grants: map[string]map[Action]bool{}, perms: map[Permission]bool{}}
		for j, rule := range r.Rules {
			rp := ehrkit.Index(path+".rules", j)
			v.Check(len(rule.Types) > 0, rp+".types", ehrkit.IssueRequired, "a rule names at least one type")
			v.Check(len(rule.Actions) > 0, rp+".actions", ehrkit.IssueRequired, "a rule names at least one action")
			for k, a := range rule.Actions {
				v.Check(slices.Contains(Actions, a), ehrkit.Index(rp+".actions", k), ehrkit.IssueCodeInvalid, "unknown action")
			}
			for k, t := range rule.Types {
				v.Check(t == "*" || storage.ValidType(t), ehrkit.Index(rp+".types", k), ehrkit.IssueValue, "malformed record type")
				if c.grants[t] == nil {
					c.grants[t] = map[Action]bool{}
				}
				for _, a := range rule.Actions {
					c.grants[t][a] = true
				}
			}
		}
		for k, perm := range r.Permissions {
			v.Check(perm != "", ehrkit.Index(path+".permissions", k), ehrkit.IssueRequired, "empty permission")
			c.perms[perm] = true
		}
		if r.Name != "" && p.roles[r.Name] == nil {
			p.roles[r.Name] = c
			p.order = append(p.order, r.Name)
		}
	}
	for label, perm := range sensitive {
		v.Check(storage.ValidateRecord(storage.Record{Type: "X", ID: "x", Labels: []string{label}}) == nil, "sensitive", ehrkit.IssueValue, "malformed label")
		v.Check(perm != "", "sensitive", ehrkit.IssueRequired, "a sensitive label needs a permission")
		p.sensitive[label] = perm
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// Roles returns the roles of the policy in definition order.
func (p *Policy) Roles() []Role {
	out := make([]Role, len(p.order))
	for i, name := range p.order {
		out[i] = p.roles[name].Role
	}
	return out
}

// Sensitive returns the permission a record labelled label requires, and
// whether the label is sensitive at all.
func (p *Policy) Sensitive(label string) (Permission, bool) {
	perm, ok := p.sensitive[label]
	return perm, ok
}

// grants reports whether the role allows action on typ.
func (r *role) allows(typ string, a Action) bool {
	return r.grants[typ][a] || r.grants["*"][a]
}

// rolesFor returns the principal's roles that allow action on typ (any type
// when typ is "").
func (p *Policy) rolesFor(pr Principal, typ string, a Action) []*role {
	var out []*role
	for _, name := range pr.Roles {
		r := p.roles[name]
		if r == nil {
			continue
		}
		if typ == "" && r.allowsAny(a) || typ != "" && r.allows(typ, a) {
			out = append(out, r)
		}
	}
	return out
}

func (r *role) allowsAny(a Action) bool {
	for _, acts := range r.grants {
		if acts[a] {
			return true
		}
	}
	return false
}

// holds returns the principal's roles holding perm.
func (p *Policy) holds(pr Principal, perm Permission) []*role {
	var out []*role
	for _, name := range pr.Roles {
		if r := p.roles[name]; r != nil && r.perms[perm] {
			out = append(out, r)
		}
	}
	return out
}

// Record-type groups of the default policy.
var (
	clinicalTypes = []string{
		"Encounter", "EpisodeOfCare", "Condition", "Observation", "AllergyIntolerance", "Procedure",
		"Immunization", "DiagnosticReport", "DocumentReference", "Composition", "ClinicalImpression",
		"CarePlan", "CareTeam", "FamilyMemberHistory", "Flag", "Goal", "ServiceRequest", "Specimen",
		"ImagingStudy", "QuestionnaireResponse", "RiskAssessment",
	}
	medicationTypes = []string{
		"MedicationRequest", "MedicationStatement", "MedicationAdministration", "MedicationDispense",
	}
	labTypes   = []string{"ServiceRequest", "Specimen", "Observation", "DiagnosticReport"}
	schedTypes = []string{"Appointment", "Schedule", "Slot", "AppointmentType", "ScheduleLedger", "WaitlistEntry", "AppointmentReminder"}
	// registryTypes are the records the patient registry keeps beside
	// Patient: identifier claims, the MRN counter, merges.
	registryTypes = []string{"PatientIdentifier", "PatientCounter", "PatientMerge"}
	billingTypes  = []string{"Account", "ChargeItem", "Claim", "ClaimResponse", "Coverage", "Invoice", "PaymentNotice", "PaymentReconciliation", "ExplanationOfBenefit"}
	directory     = []string{"Practitioner", "PractitionerRole", "Organization", "Location", "HealthcareService", "Medication", "Questionnaire", "PlanDefinition"}
	transmissions = []string{"RxTransmission"}
	demographics  = []string{"Patient", "RelatedPerson"}
	readSearch    = []Action{Read, Search}
	readWrite     = []Action{Read, Search, Create, Update}
	allActions    = Actions
	sensitiveDefs = map[string]Permission{
		LabelSensitive:        PermSensitive,
		LabelBehavioralHealth: PermBehavioralHealth,
		LabelPart2:            PermPart2,
	}
)

// Default role names.
const (
	RolePhysician     = "physician"
	RoleNurse         = "nurse"
	RolePharmacist    = "pharmacist"
	RoleLabTechnician = "lab-technician"
	RoleFrontDesk     = "front-desk"
	RoleBiller        = "biller"
	RolePatient       = "patient"
	RoleAdministrator = "administrator"
	RolePrivacy       = "privacy-officer"
	// RoleIntegration is for system principals moving orders between
	// systems, such as the prescription dispatcher: it reads medication
	// orders and writes their transmission records.
	RoleIntegration = "integration"
)

func cat(groups ...[]string) []string { return slices.Concat(groups...) }

// DefaultRoles returns the roles of DefaultPolicy, to extend or adapt.
func DefaultRoles() []Role {
	return []Role{
		{Name: RolePhysician, Scope: ScopeCareTeam | ScopeFacility, Rules: []Rule{
			{Types: cat(clinicalTypes, medicationTypes, []string{ConsentType}), Actions: allActions},
			{Types: cat(demographics, registryTypes, schedTypes), Actions: readWrite},
			{Types: cat(directory, transmissions, []string{"Coverage"}), Actions: readSearch},
		}, Permissions: []Permission{PermRxSign, PermRxOverride, PermNoteSign, PermClinicalAmend, PermLabRelease, PermBreakGlass, PermSensitive, PermBehavioralHealth, PermScheduleBook}},
		{Name: RoleNurse, Scope: ScopeCareTeam | ScopeFacility, Rules: []Rule{
			{Types: cat(clinicalTypes, medicationTypes, transmissions, demographics, schedTypes, directory), Actions: readSearch},
			{Types: []string{"Observation", "MedicationAdministration", "Immunization", "AllergyIntolerance", "Flag", "Specimen"}, Actions: readWrite},
		}, Permissions: []Permission{PermBreakGlass, PermScheduleBook}},
		{Name: RolePharmacist, Scope: ScopeFacility, Rules: []Rule{
			{Types: cat(medicationTypes, transmissions, []string{"AllergyIntolerance", "Condition", "Observation", "Patient", "Coverage"}, directory), Actions: readSearch},
			{Types: []string{"MedicationRequest", "MedicationDispense"}, Actions: readWrite},
		}, Permissions: []Permission{PermRxDispense, PermRxOverride}},
		{Name: RoleLabTechnician, Scope: ScopeFacility, Rules: []Rule{
			{Types: cat([]string{"Patient"}, labTypes, directory), Actions: readSearch},
			{Types: []string{"Specimen", "Observation", "DiagnosticReport"}, Actions: readWrite},
		}, Permissions: []Permission{PermLabRelease}},
		{Name: RoleFrontDesk, Scope: ScopeFacility, Rules: []Rule{
			{Types: cat(demographics, registryTypes, schedTypes, []string{"Coverage", ConsentType}), Actions: readWrite},
			{Types: directory, Actions: readSearch},
		}, Permissions: []Permission{PermPatientMerge, PermScheduleBook}},
		{Name: RoleBiller, Scope: ScopeFacility, Rules: []Rule{
			{Types: billingTypes, Actions: readWrite},
			{Types: cat(demographics, []string{"Encounter", "Procedure", "Condition", "Appointment"}, directory), Actions: readSearch},
		}, Permissions: []Permission{PermBillingPost}},
		{Name: RolePatient, Scope: ScopeOwn, Rules: []Rule{
			{Types: cat(demographics, clinicalTypes, medicationTypes, schedTypes, []string{"Coverage", "Account", "Invoice"}, directory), Actions: readSearch},
			{Types: []string{ConsentType}, Actions: readWrite},
		}, Permissions: []Permission{PermScheduleBook}},
		{Name: RoleAdministrator, Scope: ScopeAll, Rules: []Rule{
			{Types: []string{"*"}, Actions: allActions},
		}, Permissions: []Permission{PermRxSign, PermRxOverride, PermRxDispense, PermPatientMerge, PermNoteSign, PermClinicalAmend, PermLabRelease, PermBillingPost, PermScheduleBook, PermBreakGlass, PermAuditRead, PermSensitive, PermBehavioralHealth, PermPart2}},
		{Name: RolePrivacy, Scope: ScopeAll, Rules: []Rule{
			{Types: cat(demographics, []string{ConsentType}), Actions: readSearch},
		}, Permissions: []Permission{PermAuditRead}},
		{Name: RoleIntegration, Scope: ScopeFacility, Rules: []Rule{
			{Types: []string{"MedicationRequest", "Patient"}, Actions: readSearch},
			{Types: cat(transmissions, []string{storage.CheckpointType}), Actions: readWrite},
		}},
	}
}

// DefaultPolicy returns the default roles (see DefaultRoles) with the default
// sensitive labels (LabelSensitive needs PermSensitive, LabelBehavioralHealth
// PermBehavioralHealth and LabelPart2 PermPart2) and the directory types
// (Practitioner, PractitionerRole, Organization, Location, HealthcareService,
// Medication, Questionnaire, PlanDefinition, Schedule, Slot, AppointmentType,
// ScheduleLedger, and feed checkpoints) as shared types.
func DefaultPolicy() *Policy {
	p, err := NewPolicy(DefaultRoles(), sensitiveDefs, slices.Concat(directory, []string{"Schedule", "Slot", "AppointmentType", "ScheduleLedger", storage.CheckpointType}))
	if err != nil {
		panic(err) // the default roles are fixed: a failure is a bug in this package
	}
	return p
}
