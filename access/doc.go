// Package access enforces who may read and write patient data, and keeps a
// tamper-evident audit trail of every access.
//
//	policy, err := access.DefaultPolicy(patient.Groups(), directory.Groups(), clinical.Groups(), schedule.Groups(), rx.Groups(), lab.Groups(), billing.Groups())
//	store := access.Guard(sqlite, policy, access.WithClock(clock))
//	ctx = access.WithPrincipal(ctx, access.Principal{Kind: access.User, ID: "dr-1",
//		Roles: []string{access.RolePhysician}, Facility: "F1", Practitioner: "prac-1"})
//	ctx = access.WithPurpose(ctx, access.PurposeTreatment) // recorded in every audit event
//
// # Record level: the guard
//
// Guard wraps a storage.Store. The guarded Store is itself a storage.Store, so
// a domain service built on it is protected without writing a single check:
// every Get, GetVersion, History, Query and Changes, and every Put, Delete and
// Emit inside Update, is checked against the principal in the context and
// audited.
//
//   - Every call needs a Principal in the context (WithPrincipal); without
//     one it fails with a *DeniedError wrapping ehrkit.ErrUnauthenticated. A
//     refusal wraps ehrkit.ErrPermission and names its Reason (role,
//     compartment, sensitive, consent, ...). Refusals are audited too.
//   - A Policy maps roles to actions (read, search, create, update, delete)
//     on classes of records (ClassClinical, ClassDemographic, ...), and to
//     operation permissions (PermRxSign, PermRxOverride, PermPatientMerge,
//     PermScheduleBook, ...; vendors define their own Permission values) that
//     services check with Require and Act. Each domain package declares which
//     of its record types belong to which class, and which change-feed topics
//     come with them, in its Groups function; DefaultPolicy assembles the
//     policy from those groups, so this package names no record type of the
//     packages above it. A role's Scope limits the patient compartments it
//     reaches: the portal patient's own (ScopeOwn), the principal's care team
//     (ScopeCareTeam), the principal's facility (ScopeFacility, by the
//     records' FacilityTerm), or all (ScopeAll). Records of no compartment
//     (practitioners, the medication catalogue) are governed by the class and
//     action rules alone. DefaultPolicy ships physician, nurse, pharmacist,
//     lab technician, front desk, biller, patient (portal), administrator,
//     privacy officer and integration (system principals) roles; DefaultRoles
//     returns them to adapt, and NewPolicy reports every problem of a custom
//     policy in one *ehrkit.ValidationError.
//   - Records labelled sensitive (LabelSensitive, LabelBehavioralHealth,
//     LabelPart2) need an extra permission. A patient's Consent (SetConsent)
//     refuses named principals or roles; it binds users, never the patient
//     themself nor system principals. WithConsentCache keeps the consents
//     read outside transactions for a bound you choose: a consent written
//     through the guard applies to its next read, one written elsewhere
//     within the bound; checks inside a transaction always read it there.
//   - Store.BreakGlass grants emergency access to one patient for a
//     limited time (WithBreakGlassDuration, one hour by default), with a
//     stated reason. The grant reaches past scope, labels and consent, never
//     past the record types and actions the roles allow. It is stored,
//     audited (purpose ETREAT) and emitted on TopicBreakGlass in one
//     transaction, for the privacy officer's notifier; every access made under
//     it names the grant in its audit event.
//   - Searches never leak: a query is narrowed before it runs (a portal user
//     to their own compartment, a facility-scoped search to its facility), so
//     pages are full and cursors never point into what the principal may not
//     see; records of the searched patient the principal still may not see
//     are left out of the page. Changes returns only entries the principal may
//     read, and never the audit events themselves.
//
// # Operation level: Require, Act, Note
//
// Acts that are more than a write (sign an order, override an alert, merge
// patients, sign a note) are checked by the service that performs them, with
// the principal from the context. Require decides a permission for one
// patient compartment; Act does the same inside the transaction that
// performs the act and returns the transaction the act writes through: writes
// to the named compartments are then allowed by the act, not record by
// record, and still audited as the act. Note appends a semantic audit event in
// that transaction.
//
//	return store.Update(ctx, func(tx storage.Tx) error {
//		tx, err := access.Act(ctx, tx, access.PermPatientMerge, source, target)
//		if err != nil {
//			return err
//		}
//		// ... the writes of the merge, through tx ...
//		return access.Note(ctx, tx, string(access.PermPatientMerge), target, "merged "+source)
//	})
//
// These checks never depend on the concrete type of the store a service was
// given. They follow Unwrap (Unwrapper, TxUnwrapper) through decorators
// (metrics, tracing, caches) until they reach a guarded store or one marked
// Trusted; a decorator that does not unwrap makes them fail closed
// (ReasonUntrusted). Trusted is the one way to run services without a policy
// (tests, tools, migrations that own the data): on it operation checks need
// only a principal.
//
// # Audit trail
//
// Every read, search (with the ids returned), write, feed read, operation
// decision, break-the-glass and denial appends an Event to a hash chain
// stored in the same store (records of AuditEventType whose ids give the
// chain's order; each event carries the hash of the one before and the
// SHA-256 of its own canonical encoding). A record holds one event, or a
// block of up to 64 consecutive events (what an audit journal's drain
// writes, see below), its id the position of its first event; each event of
// a block is chained and checked on its own, and chains written before
// blocks existed go on verifying with blocks after them. A write's event is
// written in the transaction that makes it, so both commit or neither does;
// a read's event is durable before the data is returned (concurrent readers
// share one audit transaction). Appending at position N creates record N
// with expected version 0, so two writers can never both take a position:
// the loser retries, and the function given to Update may therefore run more
// than once. Inside that function use the transaction, never the store.
//
// Verify walks the chain's records in id order and returns a *ChainError
// naming the first event missing, altered, reordered or inserted (a record
// claiming a position a block already holds), wrapping ErrTampered. Altered
// covers the stored bytes (they must be the canonical encoding of the events
// they decode to), the hashes, and the record's index terms (patient and
// time for a single event, patient and day per patient and day of a block,
// which Accounting reads): the terms stored with it must be those its hashed
// content gives, and the index must find it by them. Every transaction that
// appends also rewrites the head record (AuditHeadType), so removing the
// newest events is reported as FaultTruncated; a forger who also rewrites
// the head record is caught by a head read earlier with ReadHead, kept
// somewhere the store's administrators cannot write, and passed to Verify.
// Accounting answers "who accessed this patient's record, when and why"
// with index reads, one prefix query of the patient term per run of days of
// the period (single days at its edges, then tens of days, months, years,
// decades), and sorts each run's events by time; it needs PermAuditRead, or
// the portal patient asking about themself.
//
// # Audit journal
//
// A read waiting for a transaction of the store costs a durable commit per
// read (or per batch of concurrent reads), several times the read itself.
// With an audit journal the events written outside a caller's transaction
// (reads, searches, feed reads, Require, denials) are made durable in a
// local append-only file instead, and copied into the chain in the
// background:
//
//	j, err := access.OpenJournal(ctx, "/var/lib/clinic/audit.journal", sqlite)
//	store := access.Guard(sqlite, policy, access.WithJournal(j), access.WithConsentCache(time.Second))
//	defer store.Close() // drains and closes the journal, then the store
//
// A batch of events is one entry of the file (length, CRC-32C, the events),
// written with one write(2); the reads it audits return once that write
// returned. That is durable against the process dying (SIGKILL, a panic, an
// OOM kill: the kernel keeps the page cache), the guarantee SQLite's WAL
// gives with synchronous=NORMAL, but not against the machine losing power
// or the kernel crashing. JournalSync adds an fsync per batch for that, at
// the cost of a device flush before the reads return. A drain goroutine
// copies the entries into the chain, many batches per transaction (hashes
// are computed there), in blocks of up to 64 events per record, so that a
// drained event costs a fraction of a record, and records in the same
// transaction how far it got
// (an AuditHeadType record named after the journal), then cuts the drained
// entries from the file. OpenJournal takes an exclusive lock (one process
// owns a journal) and replays what a crash left undrained before it returns:
// an entry already copied is recognised by that record and not copied
// twice, a torn last entry (a write that never returned, so never
// acknowledged) is cut, a corrupt entry followed by others is a
// *JournalCorruptError. Until an event is drained it is in the journal and
// not yet in the chain: Store.Flush (and Accounting, Verify and ReadHead
// through the guard, which flush first) wait for the drain; a reader of the
// bare store sees the events up to about 100ms later (WithDrainDelay). The
// chain's order is then the drain's order, not the reads' order in time;
// Accounting sorts by time. Events of writes stay in their transaction.
package access
