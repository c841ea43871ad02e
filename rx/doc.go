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
// and dose range (single and daily dose against per-ingredient limits). A
// dose whose unit cannot be converted to an amount of an ingredient with a
// limit ("mL", "lbs", a typo) raises an interruptive dose-unchecked alert
// instead of passing unchecked.
// Products are expanded to their RxNorm ingredients before matching; codes
// the knowledge base does not know are resolved by display name and otherwise
// reported as unresolved, never ignored. Each alert carries its severity
// (contraindicated, major, moderate, minor), whether it must interrupt the
// prescriber, the RxCUIs involved, a message, the mechanism, management advice
// and the source of the rule.
//
// How each check works:
//
//   - Product expansion: every coding is resolved first, by RxCUI (an
//     ingredient or a product), then by display name (ingredient names,
//     synonyms, product names, allergy class names), then by reading the
//     display as an RxNorm clinical drug name ("Warfarin Sodium 5 MG Oral
//     Tablet", "lopinavir / ritonavir": components split, salts dropped).
//     What still matches nothing goes to Result.Unresolved.
//   - Drug-drug: each ingredient of a new order against each ingredient of
//     every active medication and of the other new orders. Class rules are
//     expanded to ingredient pairs when the base loads, so a lookup is one
//     map access whatever the size of the base. Rules are symmetric. Rules
//     that several sources state for one pair make one alert: the most
//     severe rule leads, the others fill the texts it lacks, and every
//     source is cited. Rules derived from enzyme roles show only when no
//     source states the pair.
//   - Drug-allergy: the allergen's own ingredient is contraindicated; a drug
//     of the same allergy class (penicillin G allergy, amoxicillin) is major.
//     An allergy recorded against a class name alerts on every member.
//   - Duplicate therapy: the same ingredient (also through products) or the
//     same therapeutic class (two statins) is moderate and interruptive.
//   - Dose range: the single dose and the daily dose (dose × frequency per
//     day; a missing frequency counts as one) against per-ingredient limits.
//     A dose may be a mass or a count of the product's dose form ({tablet}),
//     converted with the product's strengths.
//
// Only new orders are checked; interactions among medications already active
// are not alerted again. ONC high-priority pairs are contraindicated and
// interruptive; the ONC non-interruptive list downgrades the pairs it names,
// but not a pair another source grades major or contraindicated; rules
// derived from the FDA CYP table (a strong inhibitor or inducer with a
// sensitive substrate is major, a moderate one moderate) are never
// interruptive.
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
// A knowledge base in that format holds sources, ingredients, products with
// strengths, classes (interaction, allergy, therapeutic), interactions (each
// side a class or an ingredient, with severity, interruptive, mechanism,
// management and sources) and dose limits. NewBase validates files together
// and names every problem in one *ehrkit.ValidationError (unknown codes,
// classes or sources, duplicate ids, bad severities or units, rules without a
// source). The shipped files:
//
//   - onc.json: the ONC high-priority class pairs and non-interruptive pairs
//     (Phansalkar et al., JAMIA 2012;19:735 and 2013;20:489; memberships as
//     transcribed by Ayvaz et al. 2015).
//   - va.json: drug-drug interactions of the VA National Drug File
//     Reference Terminology (NDF-RT), with salts folded into their
//     ingredients and texts in ehrkit's words (the source gives none).
//   - labels.json: interactions stated by FDA labeling and FDA safety
//     communications, each naming its label section, among them a class of
//     drugs whose labeling warns of QT prolongation.
//   - cyp.json: role classes and rules derived from the FDA table of
//     substrates, inhibitors and inducers (CYP1A2, 2C19, 2C9, 2D6, 3A).
//   - classes.json: allergy classes (penicillins, cephalosporins, sulfonamide
//     antibacterials, NSAIDs) and duplicate-therapy classes (statins, PPIs,
//     SSRIs, ACE inhibitors, ARBs, NSAIDs, opioids, benzodiazepines),
//     following FDA Established Pharmacologic Classes.
//   - ingredients.json and products.json: RxNorm ingredients with synonyms,
//     and common products with ingredient strengths.
//   - doses.json: maximum single and daily doses, each from the
//     Dosage and Administration section of its FDA-approved label.
//   - sources.json: the citations every rule names.
//
// The ONC QT-prolonging class ships empty (the paper gives no public list);
// RxCUIs should be checked against the current RxNorm release before
// clinical use. A test regenerates the files and fails when they are stale.
//
// Dose limits carry an age band (in years, or in days for neonates and young
// infants), a route and fixed or per-kilogram maxima (the smaller applies),
// and may bound the frequency (methotrexate weekly). The shipped base holds
// adult limits, paediatric per-kilogram limits for acetaminophen, ibuprofen
// and amoxicillin (with neonatal acetaminophen and young-infant amoxicillin
// bands), age-specific maxima (citalopram over
// 60), route-specific limits (ketorolac, intravenous acetaminophen) and
// patterns (methotrexate, colchicine). A child's order against a per-kilogram
// limit without a recorded weight raises a "not checked" alert, never silence.
// The daily dose of each ingredient is also summed across all proposed and
// active orders (Input.ActiveOrders) and combination products.
//
// Rules of several sources naming one ingredient pair make one alert: the most
// severe rule leads and every source is cited (Alert.Rules lists the rules).
// docs/kb.md describes the format, the sources and how the base is generated.
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
// against the other. Importing rx also installs a patient.MergeCheck: a merge
// that would bring two interacting active or on-hold medication orders, one
// from each chart, onto one chart is refused (*patient.MergeHazardError)
// unless it carries an override (patient.WithMergeOverride, which needs the
// override permission); the check reads both ledgers in the merge's
// transaction, uses the shipped knowledge base, and rewrites the surviving
// patient's ledger so that a signing racing the merge conflicts with it.
// Orders naming a patient that does not exist or was merged away, or an encounter that is not the patient's, are refused with an
// *ehrkit.ValidationError naming the field. A signed prescription is queued
// for the pharmacy in the signing transaction (the change feed is the outbox)
// and a Dispatcher transmits it with retries, an idempotency key and a status.
//
// SaveOrder is the transaction-scoped entry point of importers and feeds;
// MedicationRequestRecords and ServiceRequestRecords are read-only views of
// the stored orders. The Service is also the clinical.MedicationSource of a
// clinical summary (ActiveMedications).
//
// The Dispatcher acts only on what it reads: an event is sent only for a
// signed, active medication order of the event's patient (CheckPrescription),
// or of the patient that patient was merged into since, under whom it is then
// sent; any other event is dropped and logged. rx holds no wire format: the wiring
// gives the Dispatcher an Encoder (interop/fhir's PrescriptionEncoder,
// interop/hl7v2's RDEEncoder) and a Pharmacy. A transient failure is retried
// with the same key, Run waiting longer after each failure in a row up to a
// limit; a permanent one (an error wrapped with Permanent, an encoding error,
// an order stopped or put on hold before it went out) or transient failures
// beyond the attempts allowed put the prescription in the dead-letter state
// with its cause, and the Dispatcher moves on to later ones. Service.DeadLetters
// lists them; Service.Requeue sends one again once the cause is fixed.
package rx

//go:generate go run ./internal/kbgen -out kb
