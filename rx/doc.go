// Package rx is computerised provider order entry (CPOE) and e-prescribing with
// an offline, explainable drug-safety engine.
//
// # Checks
//
// Check is a pure function of the patient context, active medications,
// allergies and the proposed orders. It returns alerts of four kinds:
// drug-drug (ingredient- and class-level rules), drug-allergy (the allergen's
// ingredients and their allergy classes: a penicillin G allergy alerts on
// amoxicillin), duplicate therapy (same ingredient or same therapeutic class)
// and dose range (single and daily dose against per-ingredient limits).
// Products are expanded to their RxNorm ingredients before matching; codes
// the knowledge base does not know are resolved by display name and otherwise
// reported as unresolved, never ignored. Each alert carries its severity
// (contraindicated, major, moderate, minor), whether it must interrupt the
// prescriber, the RxCUIs involved, a message, the mechanism, management advice
// and the source of the rule. Interactions the ONC non-interruptive list names
// are returned as non-interruptive.
//
// Embedding the engine takes three lines:
//
//	kb := rx.Shipped()
//	res := rx.Check(kb, rx.Input{Active: active, Orders: orders})
//	for _, a := range res.Interrupting() { ... }
//
// # Knowledge bases
//
// The engine reads a KnowledgeBase, a small interface a vendor implements to
// plug in a commercial base. Merge combines several bases and suppresses rules
// centrally by ID. Shipped returns the starter base embedded in the package:
// files in ehrkit's own JSON format (Document, under kb/) written by the
// generator in internal/kbgen from public facts: the ONC high-priority and
// non-interruptive interaction lists with their RxNorm members, mechanism-based
// rules derived (and labelled as derived) from the FDA table of CYP inhibitors,
// inducers and sensitive substrates, allergy and duplicate-therapy classes
// following FDA Established Pharmacologic Classes, adult dose limits from FDA
// labeling and common RxNorm products. Every rule keeps its source. Vendors
// load their own files in the same format with LoadBase.
//
// Dose limits for children are the extension point of DoseLimit: limits with
// an age range and per-kilogram maxima apply to patients of that age using
// their weight. The shipped base holds adult limits only, so no dose-range
// alert is raised for a patient under 18 unless such limits are loaded.
//
// # Orders, signing and transmission
//
// Orders (medication, lab, imaging, referral) follow the FHIR MedicationRequest
// and ServiceRequest statuses with only valid transitions. A Service stores
// them, checks medication orders at draft and again at signing, and refuses to
// sign an order with interruptive alerts unless an override with a reason is
// given by a principal holding the override permission; the override is stored
// with the order. The check at signing runs inside the transaction that
// activates the order, against the patient's medication list as a ledger
// record holds it: every act that changes the list (signing; completing,
// cancelling or stopping an active order; importing an active order with
// SaveOrder) rewrites the ledger with the version it read, so two orders
// signed at once for one patient conflict and the one that retries is checked
// against the other. Orders naming a patient that does not exist or was merged
// away, or an encounter that is not the patient's, are refused with an
// *ehrkit.ValidationError naming the field. A signed prescription is queued
// for the pharmacy in the signing transaction (the change feed is the outbox)
// and a Dispatcher transmits it with retries, an idempotency key and a status.
//
// SaveOrder is the transaction-scoped entry point of importers and feeds;
// MedicationRequestRecords and ServiceRequestRecords are read-only views of
// the stored orders. The Service is also the clinical.MedicationSource of a
// clinical summary (ActiveMedications).
package rx

//go:generate go run ./internal/kbgen -corpus ../../shared/corpus -out kb
