// Package access enforces who may read and write patient data, and keeps a
// tamper-evident audit trail of every access.
//
// Guard wraps a storage.Store. The guarded Store is itself a storage.Store, so
// a domain service built on it is protected without writing a single check:
//
//   - Every call needs a Principal in the context (WithPrincipal); without
//     one it fails with a *DeniedError wrapping ehrkit.ErrUnauthenticated.
//   - A Policy maps roles to actions (read, search, create, update, delete)
//     on classes of records (ClassClinical, ClassDemographic, ...), and to
//     operation permissions (PermRxOverride, PermPatientMerge, ...) that
//     services check with Require and Act. Each domain package declares which
//     of its record types belong to which class, and which change-feed topics
//     come with them, in its Groups function; DefaultPolicy assembles the
//     policy from those groups, so this package names no record type of the
//     packages above it. A role's Scope
//     limits the patient compartments it reaches: the portal patient's own,
//     the principal's care team, the principal's facility (FacilityTerm), or
//     all. DefaultPolicy ships physician, nurse, pharmacist, lab technician,
//     front desk, biller, patient, administrator and privacy officer roles.
//   - Records labelled sensitive (LabelSensitive, LabelBehavioralHealth,
//     LabelPart2) need an extra permission; a patient's Consent can deny named
//     principals or roles.
//   - BreakGlass grants emergency access to one patient for a limited time,
//     with a stated reason; it is audited and emitted on TopicBreakGlass for
//     the privacy officer.
//   - Every read, search (with the ids returned), write, feed read, operation
//     check and denial appends an Event to a hash chain stored in the same
//     store (records of AuditEventType, one per event, whose ids give the
//     chain's order). A write's event is written in the transaction that
//     makes it, so both commit or neither does; a read's event is durable
//     before the data is returned (concurrent readers share one audit
//     transaction). Verify walks the chain and names the first event altered,
//     removed or reordered; Accounting answers "who accessed this patient's
//     record, when and why".
//
// Services record acts that are more than a write with Note, inside the
// transaction that performs them:
//
//	if err := access.Require(ctx, store, access.PermPatientMerge, survivor); err != nil {
//		return err
//	}
//	return store.Update(ctx, func(tx storage.Tx) error {
//		// ... the writes of the merge ...
//		return access.Note(ctx, tx, string(access.PermPatientMerge), survivor, "merged "+loser)
//	})
package access
