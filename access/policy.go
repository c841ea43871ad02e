package access

import (
	"slices"
	"strings"

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

// Actions returns every record action, in a slice of the caller's.
func Actions() []Action { return []Action{Read, Search, Create, Update, Delete} }

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
// new record of a patient compartment, stamps the compartment's facility;
// records of no compartment, and the first record of a compartment, get the
// writer's Principal.Facility. The facility of a patient compartment as a
// whole (for creates, Require and feed events) is the one of the
// compartment's root record (RootType).
const FacilityTerm = "_facility"

// RootType is the record type that roots a patient compartment, as in FHIR's
// Patient compartment: the record of this type whose id is the compartment's
// gives the compartment its facility, and break-the-glass needs it to exist.
const RootType = "Patient"

// Class names a category of records by what they are for, so that roles are
// granted by purpose rather than by record type: each domain package declares
// which of its record types belong to which class (Group), and the policy is
// assembled from those declarations. A record type may belong to several
// classes. Vendors may define classes of their own.
type Class string

// Classes of the default roles.
const (
	// ClassDemographic is who the patient is: the patient record, related
	// persons. Front desk and clinicians write it.
	ClassDemographic Class = "demographic"
	// ClassRegistry is the bookkeeping of the patient registry written beside
	// demographics: identifier claims, number counters, merges.
	ClassRegistry Class = "registry"
	// ClassClinical is the chart: encounters, problems, observations,
	// allergies, procedures, notes, care plans. Physicians write it; nurses
	// and the patient read it.
	ClassClinical Class = "clinical"
	// ClassCharting is what nursing staff record at the bedside: vital signs
	// and other observations, allergies, immunizations, administrations.
	ClassCharting Class = "charting"
	// ClassResult is what laboratory staff record: specimens, result
	// observations, reports.
	ClassResult Class = "result"
	// ClassMedication is medication orders and what follows them:
	// administrations, dispenses, statements. Physicians write orders,
	// pharmacists review and dispense, nurses read them.
	ClassMedication Class = "medication"
	// ClassDiagnosticOrder is laboratory and imaging requests: physicians
	// write them, laboratory staff read them.
	ClassDiagnosticOrder Class = "diagnostic-order"
	// ClassMedicationReview is what a pharmacist reads beside the orders to
	// check them: allergies, problems, observations.
	ClassMedicationReview Class = "medication-review"
	// ClassScheduling is the patient's appointments, waitlist entries and
	// reminders.
	ClassScheduling Class = "scheduling"
	// ClassCoverage is the patient's insurance coverage.
	ClassCoverage Class = "coverage"
	// ClassBilling is accounts, charges, claims, invoices and payments.
	ClassBilling Class = "billing"
	// ClassStatement is what the patient sees of billing: accounts, invoices.
	ClassStatement Class = "statement"
	// ClassBillable is what billing codes from: encounters, procedures,
	// problems, appointments.
	ClassBillable Class = "billable"
	// ClassDirectory is reference data every staff role reads: practitioners,
	// organizations, locations, schedules, form definitions, order sets.
	ClassDirectory Class = "directory"
	// ClassTransmission is the delivery state of messages to other systems
	// (prescriptions sent to pharmacies): integration principals write it,
	// clinicians read it.
	ClassTransmission Class = "transmission"
	// ClassInternal is bookkeeping that services write only inside acts
	// (Act), such as ledgers that make a safety check atomic with its act:
	// no default role but the administrator writes it directly.
	ClassInternal Class = "internal"
)

// Group declares record types of one class, as the domain package that owns
// them sees them. Topics are the change-feed topics (Tx.Emit) that come with
// the group's records: a principal may emit one only with a role that may
// create or update a record type of a group declaring it. Shared types belong
// to no patient (practitioners, schedules): searching them is never narrowed
// to the principal's compartments. A Group is a plain value; packages return
// fresh slices of them, so nothing a caller changes affects another policy.
type Group struct {
	Class  Class
	Types  []string
	Topics []string
	Shared bool
}

// Rule grants actions on the record types of classes and on record types
// named directly. "*" in Types means every type.
type Rule struct {
	Classes []Class
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
	topics map[string]bool // topics the role may emit
}

// classes indexes the groups by class.
type classes map[Class][]Group

// compileGroups checks groups, indexes them by class and returns the shared
// types.
func compileGroups(v *ehrkit.Issues, groups [][]Group) (classes, map[string]bool) {
	byClass := classes{}
	shared := map[string]bool{storage.CheckpointType: true}
	declared := map[string]bool{} // type -> shared, for the types seen
	for i, list := range groups {
		for j, gr := range list {
			path := ehrkit.Index(ehrkit.Index("groups", i), j)
			v.Check(gr.Class != "", path+".class", ehrkit.IssueRequired, "a group names its class")
			v.Check(len(gr.Types) > 0, path+".types", ehrkit.IssueRequired, "a group names at least one type")
			for k, t := range gr.Types {
				tp := ehrkit.Index(path+".types", k)
				v.Check(storage.ValidType(t), tp, ehrkit.IssueValue, "malformed record type")
				v.Check(!guardOwned(t) && t != ConsentType, tp, ehrkit.IssueValue, "record type of the access package")
				if was, seen := declared[t]; seen && was != gr.Shared {
					v.Add(tp, ehrkit.IssueInvariant, "declared both shared and patient-owned")
				}
				declared[t] = gr.Shared
				if gr.Shared {
					shared[t] = true
				}
			}
			for k, topic := range gr.Topics {
				tp := ehrkit.Index(path+".topics", k)
				v.Check(topic != "", tp, ehrkit.IssueRequired, "empty topic")
				v.Check(!strings.HasPrefix(topic, "access."), tp, ehrkit.IssueValue, "topic of the access package")
			}
			byClass[gr.Class] = append(byClass[gr.Class], Group{Class: gr.Class, Types: slices.Clone(gr.Types), Topics: slices.Clone(gr.Topics), Shared: gr.Shared})
		}
	}
	return byClass, shared
}

// NewPolicy checks and compiles roles, the sensitive labels (label ->
// permission needed to see a record carrying it) and the record-type groups
// the domain packages declare (each package's Groups), which give the
// classes of the roles' rules their types. Every problem is reported in one
// *ehrkit.ValidationError.
func NewPolicy(roles []Role, sensitive map[string]Permission, groups ...[]Group) (*Policy, error) {
	var v ehrkit.Issues
	byClass, shared := compileGroups(&v, groups)
	p := &Policy{roles: map[string]*role{}, sensitive: map[string]Permission{}, shared: shared}
	for i, r := range roles {
		path := ehrkit.Index("roles", i)
		v.Required(path+".name", r.Name != "")
		v.Check(p.roles[r.Name] == nil, path+".name", ehrkit.IssueDuplicate, "role defined twice")
		v.Check(r.Scope <= ScopeOwn|ScopeCareTeam|ScopeFacility|ScopeAll, path+".scope", ehrkit.IssueValue, "unknown scope bits")
		c := compileRole(&v, path, r, byClass)
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

// compileRole checks one role and expands its classes into record types.
func compileRole(v *ehrkit.Issues, path string, r Role, byClass classes) *role {
	c := &role{Role: cloneRole(r), grants: map[string]map[Action]bool{}, perms: map[Permission]bool{}, topics: map[string]bool{}}
	grant := func(t string, acts []Action) {
		if c.grants[t] == nil {
			c.grants[t] = map[Action]bool{}
		}
		for _, a := range acts {
			c.grants[t][a] = true
		}
	}
	for j, rule := range r.Rules {
		rp := ehrkit.Index(path+".rules", j)
		v.Check(len(rule.Types)+len(rule.Classes) > 0, rp+".types", ehrkit.IssueRequired, "a rule names at least one class or type")
		v.Check(len(rule.Actions) > 0, rp+".actions", ehrkit.IssueRequired, "a rule names at least one action")
		for k, a := range rule.Actions {
			v.Check(slices.Contains(Actions(), a), ehrkit.Index(rp+".actions", k), ehrkit.IssueCodeInvalid, "unknown action")
		}
		for k, cl := range rule.Classes {
			v.Check(cl != "", ehrkit.Index(rp+".classes", k), ehrkit.IssueRequired, "empty class")
			for _, gr := range byClass[cl] {
				for _, t := range gr.Types {
					grant(t, rule.Actions)
				}
			}
		}
		for k, t := range rule.Types {
			v.Check(t == "*" || storage.ValidType(t), ehrkit.Index(rp+".types", k), ehrkit.IssueValue, "malformed record type")
			grant(t, rule.Actions)
		}
	}
	for k, perm := range r.Permissions {
		v.Check(perm != "", ehrkit.Index(path+".permissions", k), ehrkit.IssueRequired, "empty permission")
		c.perms[perm] = true
	}
	for _, list := range byClass {
		for _, gr := range list {
			if slices.ContainsFunc(gr.Types, func(t string) bool { return c.allows(t, Create) || c.allows(t, Update) }) {
				for _, topic := range gr.Topics {
					c.topics[topic] = true
				}
			}
		}
	}
	return c
}

// cloneRole copies r so that the policy shares no slice with its caller.
func cloneRole(r Role) Role {
	out := r
	out.Permissions = slices.Clone(r.Permissions)
	out.Rules = make([]Rule, len(r.Rules))
	for i, rule := range r.Rules {
		out.Rules[i] = Rule{Classes: slices.Clone(rule.Classes), Types: slices.Clone(rule.Types), Actions: slices.Clone(rule.Actions)}
	}
	return out
}

// Roles returns the roles of the policy in definition order (copies).
func (p *Policy) Roles() []Role {
	out := make([]Role, len(p.order))
	for i, name := range p.order {
		out[i] = cloneRole(p.roles[name].Role)
	}
	return out
}

// Sensitive returns the permission a record labelled label requires, and
// whether the label is sensitive at all.
func (p *Policy) Sensitive(label string) (Permission, bool) {
	perm, ok := p.sensitive[label]
	return perm, ok
}

// Shared reports whether records of typ belong to no patient (a group
// declared it shared, or it is the feed checkpoint type).
func (p *Policy) Shared(typ string) bool { return p.shared[typ] }

// allows reports whether the role allows action on typ.
func (r *role) allows(typ string, a Action) bool {
	return r.grants[typ][a] || r.grants["*"][a]
}

// emits reports whether the role may emit topic: a group it may write
// declares the topic, or it may write every type (any topic but the access
// package's own).
func (r *role) emits(topic string) bool {
	return r.topics[topic] || r.grants["*"][Create] || r.grants["*"][Update]
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

// emitters returns the principal's roles that may emit topic.
func (p *Policy) emitters(pr Principal, topic string) []*role {
	var out []*role
	for _, name := range pr.Roles {
		if r := p.roles[name]; r != nil && r.emits(topic) {
			out = append(out, r)
		}
	}
	return out
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
	// systems, such as the prescription dispatcher: it reads orders and
	// writes their transmission records and feed checkpoints.
	RoleIntegration = "integration"
)

// DefaultRoles returns the roles of DefaultPolicy, to extend or adapt. Their
// rules name classes (and the access package's own Consent type); the record
// types come from the groups a policy is built with.
func DefaultRoles() []Role {
	readSearch := []Action{Read, Search}
	readWrite := []Action{Read, Search, Create, Update}
	consent := []string{ConsentType}
	return []Role{
		{Name: RolePhysician, Scope: ScopeCareTeam | ScopeFacility, Rules: []Rule{
			{Classes: []Class{ClassClinical, ClassCharting, ClassMedication, ClassDiagnosticOrder}, Types: consent, Actions: Actions()},
			{Classes: []Class{ClassDemographic, ClassRegistry, ClassScheduling}, Actions: readWrite},
			{Classes: []Class{ClassDirectory, ClassTransmission, ClassCoverage}, Actions: readSearch},
		}, Permissions: []Permission{PermRxSign, PermRxOverride, PermNoteSign, PermClinicalAmend, PermLabRelease, PermBreakGlass, PermSensitive, PermBehavioralHealth, PermScheduleBook}},
		{Name: RoleNurse, Scope: ScopeCareTeam | ScopeFacility, Rules: []Rule{
			{Classes: []Class{ClassClinical, ClassMedication, ClassDiagnosticOrder, ClassTransmission, ClassDemographic, ClassScheduling, ClassDirectory}, Actions: readSearch},
			{Classes: []Class{ClassCharting}, Actions: readWrite},
		}, Permissions: []Permission{PermBreakGlass, PermScheduleBook}},
		{Name: RolePharmacist, Scope: ScopeFacility, Rules: []Rule{
			{Classes: []Class{ClassMedicationReview, ClassMedication, ClassTransmission, ClassDemographic, ClassCoverage, ClassDirectory}, Actions: readSearch},
			{Classes: []Class{ClassMedication}, Actions: readWrite},
		}, Permissions: []Permission{PermRxDispense, PermRxOverride}},
		{Name: RoleLabTechnician, Scope: ScopeFacility, Rules: []Rule{
			{Classes: []Class{ClassDemographic, ClassDiagnosticOrder, ClassDirectory}, Actions: readSearch},
			{Classes: []Class{ClassResult}, Actions: readWrite},
		}, Permissions: []Permission{PermLabRelease}},
		{Name: RoleFrontDesk, Scope: ScopeFacility, Rules: []Rule{
			{Classes: []Class{ClassDemographic, ClassRegistry, ClassScheduling, ClassCoverage}, Types: consent, Actions: readWrite},
			{Classes: []Class{ClassDirectory}, Actions: readSearch},
		}, Permissions: []Permission{PermPatientMerge, PermScheduleBook}},
		{Name: RoleBiller, Scope: ScopeFacility, Rules: []Rule{
			{Classes: []Class{ClassBilling, ClassCoverage}, Actions: readWrite},
			{Classes: []Class{ClassDemographic, ClassBillable, ClassDirectory}, Actions: readSearch},
		}, Permissions: []Permission{PermBillingPost}},
		// The portal reads its own chart and schedule; it books through the
		// schedule service (an act), never by writing appointments itself.
		{Name: RolePatient, Scope: ScopeOwn, Rules: []Rule{
			{Classes: []Class{ClassDemographic, ClassClinical, ClassMedication, ClassDiagnosticOrder, ClassScheduling, ClassCoverage, ClassStatement, ClassDirectory}, Actions: readSearch},
			{Types: consent, Actions: readWrite},
		}, Permissions: []Permission{PermScheduleBook}},
		{Name: RoleAdministrator, Scope: ScopeAll, Rules: []Rule{
			{Types: []string{"*"}, Actions: Actions()},
		}, Permissions: []Permission{PermRxSign, PermRxOverride, PermRxDispense, PermPatientMerge, PermNoteSign, PermClinicalAmend, PermLabRelease, PermBillingPost, PermScheduleBook, PermBreakGlass, PermAuditRead, PermSensitive, PermBehavioralHealth, PermPart2}},
		{Name: RolePrivacy, Scope: ScopeAll, Rules: []Rule{
			{Classes: []Class{ClassDemographic}, Types: consent, Actions: readSearch},
		}, Permissions: []Permission{PermAuditRead}},
		{Name: RoleIntegration, Scope: ScopeFacility, Rules: []Rule{
			{Classes: []Class{ClassMedication, ClassDemographic}, Actions: readSearch},
			{Classes: []Class{ClassTransmission}, Types: []string{storage.CheckpointType}, Actions: readWrite},
		}},
	}
}

// DefaultSensitive returns the default sensitive labels: LabelSensitive
// needs PermSensitive, LabelBehavioralHealth PermBehavioralHealth and
// LabelPart2 PermPart2.
func DefaultSensitive() map[string]Permission {
	return map[string]Permission{
		LabelSensitive:        PermSensitive,
		LabelBehavioralHealth: PermBehavioralHealth,
		LabelPart2:            PermPart2,
	}
}

// DefaultPolicy returns the default roles (DefaultRoles) with the default
// sensitive labels (DefaultSensitive) over the record-type groups given, one
// list per domain package:
//
//	policy, err := access.DefaultPolicy(patient.Groups(), directory.Groups(), clinical.Groups(), schedule.Groups(), rx.Groups(), lab.Groups(), billing.Groups())
//
// A record type no group declares is reachable by the administrator only.
func DefaultPolicy(groups ...[]Group) (*Policy, error) {
	return NewPolicy(DefaultRoles(), DefaultSensitive(), groups...)
}

// bareDefault is DefaultPolicy without groups, for Guard with a nil policy.
func bareDefault() *Policy {
	p, err := DefaultPolicy()
	if err != nil {
		panic(err) // the default roles are fixed: a failure is a bug in this package
	}
	return p
}
