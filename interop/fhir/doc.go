// Package fhir maps ehrkit's domain values to and from FHIR R4 resources,
// imports FHIR Bundles and Bulk Data NDJSON into any storage.Store, and
// exports a store as Bulk Data NDJSON or one patient's record as a
// Patient/$everything Bundle.
//
// Every resource read and every resource written is parsed and validated
// against the R4 specification by github.com/google/fhir/go (jsonformat);
// this is the only ehrkit package that imports it.
//
//	im := fhir.NewImporter(store, fhir.KeepOriginal(), fhir.WithProgress(func(p fhir.Progress) { ... }))
//	err := im.ImportPaths(ctx, "bundles/", "Observation.ndjson")
//	rep := im.Report() // counts per type, unmapped elements, failures with entry and issues
//
//	x, err := fhir.NewExporter(store)
//	counts, err := x.Dir(ctx, "out/", "")     // one Type.ndjson per resource type
//	err = x.Everything(ctx, "patient-id", w) // Patient/$everything searchset Bundle
//
// # Import
//
// An Importer never writes records itself: each resource is stored by its
// owning domain package's transaction-scoped entry point (see Services), in
// the importer's transaction. Every domain rule therefore runs on imported
// data as on data entered by hand: identifier claims, vital-sign flags, the
// schedule's day ledger (an imported Appointment's slot is no longer
// offered), the medication ledger, referential checks and events. A resource
// a service refuses is reported with its issues, and the rest of its batch is
// written; nothing of a refused resource is stored.
//
// Resources are parsed and validated on every core (WithWorkers) while one
// writer per source commits them in transactions of 500 (WithBatchSize).
// NDJSON streams line by line, so a file of any size never sits in memory; a
// Bundle's entries are held while that Bundle is imported, because its
// urn:uuid: references, forward ones included, are resolved first.
// ImportPaths walks folders for .json and .ndjson files and imports them in
// stages by the resource type their name starts with, as Bulk Data exports
// name them: patients first, then encounters, schedules, coverages and
// claims, then everything else, so that the records a resource names exist when it is checked.
// Within a stage two files are imported at a time, so one file's parsing
// overlaps the other's writing.
//
// A transaction Bundle is atomic, as FHIR defines it: its entries are
// written in one transaction, and when any entry fails (it does not parse,
// or its service refuses it, for example an Observation whose Patient
// failed) none is written; the failing entries are listed in Report.Failed
// and the others counted in Report.RolledBack. Batch, collection and other
// Bundles, and NDJSON, succeed or fail entry by entry.
//
// Hostile or broken input costs bounded memory and never panics. A resource
// longer than the limit (WithMaxResource, default DefaultMaxResource: 2 MiB,
// at most about 240 MB of parser memory per worker) is refused unparsed, and
// an NDJSON line over it is skipped without being held, reported with its
// line number, and the import goes on with the next line. Before a resource
// is parsed one pass over its bytes refuses nesting deeper than MaxDepth and
// strings that are not UTF-8 text or hold a NUL (which the parser would
// rewrite or keep), with a *ehrkit.ValidationError naming each element path
// ("Patient.name[0].family").
//
// Records keep their FHIR logical id as their ehrkit id (a Schedule is the
// exception: ehrkit keys it by its actor), so importing a source again
// updates records instead of duplicating them; the Report counts created,
// updated and unchanged records per type. References resolve from Type/id,
// Type/id/_history/n, absolute URLs ending in Type/id and Bundle urn:uuid:
// full URLs. Top-level elements ehrkit does not map are counted per path in
// Report.Unmapped (for example "Appointment.serviceType"). With
// KeepOriginal the resource as read is stored beside its record (record type
// OriginalType), and resources of types ehrkit does not model are stored the
// same way and exported again.
//
// ehrkit's model is stricter than FHIR in places: a clinical record belongs
// to a patient, an observation has a time and a value, a patient has a name,
// an order names its requester, medication orders are RxNorm-coded.
// Resources that break those rules are refused with the field named (issue
// codes required, value, code-invalid, invariant, business-rule), never
// half-imported.
//
// # Mapping
//
// MappingFor returns the mapping of a resource type and Supported lists
// them:
//
//   - Patient ↔ patient.Patient. A missing active reads as true; of
//     communication only the preferred language is kept.
//   - Encounter, Condition, AllergyIntolerance, Observation, Procedure,
//     Immunization, CarePlan (with contained Goal resources) ↔ the clinical
//     types of the same names; a Goal of its own ↔ clinical.PatientGoal,
//     which a CarePlan's goal references keep pointing at. Condition onset and abatement are calendar
//     dates; a procedure performed at a point in time is written as
//     performedDateTime; an immunization series of known size with an
//     unknown dose number is written with doseNumberString "unknown".
//   - DocumentReference ↔ clinical.Note: docStatus draft ↔ preliminary,
//     signed ↔ final, amended ↔ amended; the text is a base64 text/plain
//     attachment; signatures, addenda and amendments travel in an extension.
//   - QuestionnaireResponse ↔ clinical.FormResponse: the questionnaire
//     canonical's last path segment is the form id.
//   - MedicationRequest ↔ rx.Order of kind medication; ServiceRequest ↔
//     rx.Order of kind lab, imaging or referral (by category: SNOMED CT
//     108252007, 363679005, 3457005; without one a LOINC code means a lab
//     order). A frequency per day is written as whole frequency per period
//     days (every 6 h is 4 per 1 d). The order-state extension carries what
//     FHIR has no element for: alerts, override, signer and order set.
//   - Appointment ↔ schedule.Appointment. The first Patient participant is
//     the patient; Practitioner, Location and Device participants are the
//     resources. An appointment without start and end, patient, resource or
//     type, or in a status ehrkit does not schedule (pending, arrived,
//     entered-in-error, waitlist), is refused: ehrkit books appointments into
//     free time. The appointment-state extension carries buffers,
//     overbooking, hold and revision.
//   - Schedule ↔ schedule.Schedule. An ehrkit schedule belongs to exactly one
//     Practitioner, Location or Device; a Schedule with several actors is
//     refused. The schedule-availability extension carries the availability
//     rules losslessly; a Schedule without it imports with time zone UTC and
//     no availability.
//   - Claim ↔ billing.Claim, saved through billing.Service.SaveClaim:
//     status draft is a draft claim, active a submitted one; items are
//     charges. The claim-state extension carries what FHIR's Claim has no
//     element for (lifecycle status, payments, NPIs, member id,
//     institutional facts, submission), so a claim round-trips; re-importing
//     a Claim keeps the payments posted to it.
//   - ExplanationOfBenefit → a billing.Payment posted to the claim it names
//     through billing.Service.PostPaymentTx, once per EOB id, its CMS Blue
//     Button adjudications read as X12 CAS adjustments; it is exported
//     within its Claim.
//   - Coverage ↔ billing.Coverage, saved through
//     billing.Service.SaveCoverage; the payer's X12 id is the payor's
//     identifier of system https://ehrkit.dev/fhir/sid/x12-payer-id.
//   - Invoice ← billing.Invoice, exported only: billing creates invoices,
//     pricing their lines from the claims they bill.
//   - Account ↔ billing.Account, saved through billing.Service.SaveAccount:
//     the patient, the coverages in priority order and the guarantor.
//
// Slots are not mapped: ehrkit computes free slots on demand
// (schedule.Service.FreeSlots) rather than storing them, so Slot resources
// are reported as unsupported (and kept with KeepOriginal).
//
// For modelled fields domain → FHIR → domain is lossless: times are kept to
// the microsecond and decimals keep their written precision. References
// round-trip when the referenced ids are FHIR ids (ValidID: letters, digits,
// "-" and ".", at most 64 characters).
//
// # REST
//
// NewHandler serves the FHIR R4 REST API over a store and the services
// built over it; mount it under a prefix with http.StripPrefix:
//
//	h, err := fhir.NewHandler(guarded, services, fhir.WithTokenVerifier(v))
//	mux.Handle("/fhir/", http.StripPrefix("/fhir", h))
//
// It serves metadata (a CapabilityStatement generated from the mappings
// and their search parameters), read, vread, create, update, search (type
// and Patient compartment level, GET and POST _search), history (instance,
// type and system, _since, _count), batch and transaction Bundles and
// Patient/$everything. Every write is mapped as an import is and saved
// through the owning service's entry point in a storage.Update. Versions
// are ETags W/"n": an update with a stale If-Match is 412, a read with
// If-None-Match of the current version 304. A conditional create
// (If-None-Exist) or update writes a claim record (ConditionType) per type
// and condition in its transaction before it searches, so concurrent
// requests with one condition serialise and exactly one creates. A
// transaction is one storage.Update: urn:uuid full URLs become the ids
// given to created resources and conditional references must match exactly
// one resource, else the transaction fails with an OperationOutcome naming
// Bundle.entry[i]. Resources of unmodelled types in a transaction are kept
// as sent (OriginalType).
//
// Delete. DELETE Type/id deletes through the owning service's delete entry
// point (patient.Service.Delete, clinical.Service.Delete) in a
// storage.Update: the record becomes a tombstone (storage.Tx.Delete), the
// access guard checks the principal's delete permission (access.Delete) and
// audits it, and the token needs the d of a SMART v2 scope
// (user/Observation.cruds), else 403. The answer is 204, also when the
// resource was deleted already or never existed (R4 http §3.1.0.7.1).
// Afterwards a read is 410 Gone, a vread of an earlier version still
// answers it, the history holds the deletion (request.method DELETE) and
// searches no longer find it. Domain rules refuse a deletion with an
// *ehrkit.InUseError (409 with an OperationOutcome): a Patient whose
// compartment still holds records of other types (delete the chart first;
// its identifiers are released when it goes), an Encounter that records of
// its patient name. Conditional delete (DELETE Type?query) runs in single
// mode (CapabilityStatement conditionalDelete: single): no match is 204
// and deletes nothing, one match is deleted, several are 412 and nothing is
// deleted. A transaction Bundle's DELETE Type/id entries run first, in the
// transaction's storage.Update (R4 http §3.1.0.11.2), and answer
// "204 No Content"; a refused one fails the whole transaction. Types whose
// owning package offers no deletion answer 405:
// MedicationRequest and ServiceRequest (the medication ledger signs
// against them), Appointment and Schedule (the day ledger holds the
// booking), DiagnosticReport (its results are observations of their own)
// and the directory types (other records name them); their status is
// updated instead (entered-in-error, cancelled, inactive). The
// CapabilityStatement lists the delete interaction only for the types that
// offer it.
//
// Search parameters read the index terms the owning packages compute
// (Patient name, family, given, birthdate, gender, identifier, phone,
// email; Observation code, date, patient, category, status, encounter,
// value-quantity;
// Appointment date, actor, status; ... as the CapabilityStatement lists),
// with _id and _lastUpdated everywhere, the prefixes eq, ne, lt, le, gt,
// ge, sa, eb on dates and the modifiers :exact, :contains (strings), :not
// (tokens) and :missing. family and given match the folded name words of
// any part of the name. Result parameters: _count (at most 1 000), _sort
// (one key), _include, _revinclude, _summary=count, _total. Every clause is
// checked on each record read, before the page is cut, so pages are full
// and next links (an opaque _cursor) visit each result once.
//
// value-quantity (R4 search §3.1.1.4.9) takes [prefix]number,
// [prefix]number|system|code or [prefix]number||code. Without a prefix (or
// with eq) a number stands for the range its precision implies (§3.1.1.4.6:
// 5.4 matches [5.35, 5.45), 100 matches [99.5, 100.5)) and ne for the
// values outside it; sa matches values at or above the range's upper end,
// eb values below its lower end; lt, le, gt, ge compare with the number
// itself. A stored value is a point (its own precision is not widened).
// With a code the quantities compare in the canonical unit of the code's
// dimension (clinical.CanonicalQuantity: 100 mg/dL is 1 g/L), so a search
// in mg/dL finds results sent in g/L; a code clinical does not convert
// matches that code only. A system other than UCUM matches nothing: ehrkit
// stores UCUM units. clinical indexes each Observation.valueQuantity twice
// (clinical.TermValueNumber, clinical.TermValueQuantity) with
// order-preserving keys (clinical.NumberKey), so the store applies the
// range filters.
//
// Errors are OperationOutcomes: a *ehrkit.ValidationError is 422 with one
// issue per problem and its FHIRPath expression (an Observation's patient
// is Observation.subject), a body that is not R4 400, ErrNotFound 404, a
// deleted record 410, ErrUnauthenticated 401, ErrPermission 403, a business
// refusal (ErrFailedPrecondition) or a version race lost every retry 409.
//
// With a TokenVerifier every request but metadata and
// .well-known/smart-configuration needs a bearer token; the verifier's
// Authorization gives the principal (checked and audited by the access
// guard the store should be) and the SMART App Launch v2 scopes
// (ParseScopes: patient/*.rs, user/Observation.cruds, granular
// patient/Observation.rs?category=laboratory, v1 read and write). Scopes
// narrow the principal's access: a read outside them is 403, and searches,
// counts, includes, history and $everything hold only what they reach,
// filtered before paging. Groups declares the handler's record types for
// an access policy.
//
// # Prescriptions
//
// PrescriptionEncoder is the rx.Encoder an rx.Dispatcher is given to send
// prescriptions as FHIR R4 MedicationRequests (application/fhir+json): the
// mapping above without the order-state extension, validated like every
// export.
package fhir
