// Package patient is the patient registry: demographics, identifiers (MRN),
// contacts, search, duplicate detection, merge and unmerge.
//
// A Patient is shaped after FHIR R4 Patient: several names with use and
// period, gender, birth date (an ehrkit.Date with precision), deceased,
// identifiers (MRN, national ids, insurance member ids, each with a system),
// telecom, addresses, marital status, preferred language (BCP 47), contacts
// (emergency contact, next of kin, HL7 v2-0131 codes), general practitioners,
// managing organisation, active flag and links to other patient records.
// Validate reports every bad field in one *ehrkit.ValidationError.
//
//	svc, _ := patient.NewService(store, patient.WithMRN(patient.MRNFormat{System: "urn:oid:1.2.3.4", Prefix: "H", Digits: 7, CheckDigit: true}))
//	p, err := svc.Register(ctx, candidate)   // assigns the MRN; *DuplicateError for a certain duplicate
//	res, _ := svc.Search(ctx, patient.Query{Name: "jose muller", BornFrom: ehrkit.YearOnly(1970), Limit: 20})
//	ms, _ := svc.Match(ctx, candidate)        // scored, levelled, explained per field
//	m, _ := svc.Merge(ctx, duplicate, survivor) // needs access.PermPatientMerge; audited
//
// # Service
//
//   - Register validates, refuses a certain duplicate (*DuplicateError) unless
//     AllowDuplicate is passed, assigns the next MRN in the configured
//     MRNFormat and claims every identifier.
//   - Update writes with optimistic concurrency (Patient.Version); Get,
//     GetVersion and History read the current and past versions.
//   - Search finds patients by name (folded: case, diacritics and punctuation
//     do not matter), phonetic code, birth date or range, gender, identifier,
//     phone, e-mail and postal code, combined, one page at a time in id order.
//     Merged records are left out unless IncludeMerged, so a page may be
//     short: follow Results.Next.
//   - Match returns likely duplicates of a candidate with a score, a level
//     (possible, probable, certain) and a per-field explanation.
//   - Merge and Unmerge, below. Packages owning records that must not meet
//     on one chart unacknowledged install a MergeCheck (RegisterMergeCheck;
//     rx does, for interacting medication orders): a merge with findings is
//     refused with a *MergeHazardError unless WithMergeOverride is given.
//   - Delete, in the caller's transaction, refuses a patient whose
//     compartment still holds records, and one that records elsewhere name:
//     packages owning such references install a DeleteCheck
//     (RegisterDeleteCheck; billing does, for subscribers, guarantors and
//     invoice recipients). Either refusal is an *ehrkit.InUseError.
//
// Other packages that write patients in their own transaction (an importer,
// an HL7 ADT feed) use Save, which runs the same rules (validation,
// identifier claims, events) inside the caller's storage.Tx; packages that
// store records naming a patient call CheckRef in their transaction, so no
// record is stored for a patient who does not exist or was merged away.
// Events on the change feed, in the transaction of the change:
// TopicRegistered, TopicUpdated, TopicMerged, TopicUnmerged, with ids only.
//
// Refusals (*DuplicateError, *IdentifierInUseError, an id in use, a merged
// record updated, an unmerge that would lose a later change) wrap
// ehrkit.ErrFailedPrecondition; only a lost version race wraps
// ehrkit.ErrConflict, and the Service retries those itself (ehrkit.Retry,
// WithMaxAttempts). Patients, contacts, matches, queries and results print
// and log ids only (String, GoString, fmt.Formatter, slog.LogValuer).
//
// # Identifiers and MRNs
//
// Every identifier system|value a patient carries owns a key record
// (IdentifierRecordType, id = a hash of the token) created with expected
// version 0 in the patient's transaction, so a second holder gets a conflict
// from the store and uniqueness holds under any concurrency on every backend;
// a taken identifier is an *IdentifierInUseError. Key records are never
// deleted: a released identifier keeps its key with no holder. MRNs come from
// a counter record per MRN system, formatted as prefix, zero-padded number
// and an optional Luhn check digit (default MRN000000018). A registration
// that loses the counter race is retried (WithMaxAttempts); an MRN supplied at
// registration is kept and the counter skips it.
//
// # Normalisation and phonetics
//
// Text is normalised with golang.org/x/text (Fold, Tokens): compatibility
// decomposition, marks removed, Unicode case folding (ß → ss), and the letters
// decomposition leaves whole transliterated (Turkish ı, đ, ø, æ, ł, þ, œ).
// Tokens splits at every character that is not a letter or digit and drops
// apostrophes ("O'Brien" → obrien, "Müller-Lüdenscheidt" → muller,
// ludenscheidt). Phones compare by their last ten digits (PhoneDigits), postal
// codes upper-cased without spaces and hyphens (PostalCode).
//
// The phonetic code is NYSIIS (R. L. Taft, Name Search Techniques, New York
// State Identification and Intelligence System, 1970), implemented from the
// published rule list with the original six-character truncation: a
// documented algorithm designed on personal names whose whole rule set can be
// checked by hand; Soundex is weaker on names. String similarity is
// Jaro-Winkler (Winkler 1990).
//
// Index terms of Patient records (TermName ... TermBlock, for callers
// building their own storage.Query): name (folded tokens), nameprefix (the
// first one to five letters of each token, so a prefix search starts from an
// equality filter), namepair (the first two and three letters of two
// different tokens, so a search of two words starts from an equality few
// patients share), phonetic, birthdate, birthperiod (the year and
// month of birth, so a year or month search starts from an equality too),
// gender, identifier, phone, email, postal, status (current or merged) and
// block (the matching keys). When a version adds a term, patients stored by
// an earlier one lack it: Service.Reindex, run once after upgrading, rewrites
// those whose stored terms are out of date.
//
// # Matching
//
// Compare is a pure, symmetric function summing log-odds-style weights per
// field, with a breakdown (FieldScore):
//
//   - family name: exact +4, Jaro-Winkler ≥ 0.9 +3, same NYSIIS +2.5, part of
//     a double name +2.5; different −3.
//   - first given name: exact +3, nickname +2.5, Jaro-Winkler ≥ 0.9 +2, same
//     NYSIIS +1.5, initial +0.5; different −2. Swapped given and family names
//     score as above, −0.25 each.
//   - birth date: exact +4; day and month transposed +2.5; one component
//     different, or a partial date compatible, +1; different −4.
//   - gender: same +0.5, different −2 (unknown counts as missing).
//   - identifier: a shared system|value +8; the same non-local system with a
//     different value −4. Local (MRN) systems differing is no evidence.
//   - phone +2.5, e-mail +2, address lines and postal code +2 (postal code
//     only +1); a difference costs nothing, since people move and change
//     numbers.
//
// Every name pair of the two patients is tried (old and maiden names
// included) and the best is used. DefaultThresholds: certain ≥ 14, probable
// ≥ 10.5, possible ≥ 7. Only a certain duplicate makes Register refuse. The
// nickname table is the package's own small list of English diminutives and
// Spanish hypocorisms. Match reads only the patients sharing a blocking key
// with the candidate (birth date, the same date with day and month
// transposed, the NYSIIS codes of given and family name in sorted order, each
// identifier, phone and e-mail), at most 1000 per key.
//
// # Merge and unmerge
//
// Merge folds a source patient into a target in one transaction: every record
// in the source's compartment, of any record type, moves to the target's
// compartment, and in its JSON value and index terms every string equal to
// the source id or Patient/<source id> becomes the target's (object keys,
// substrings and numbers are never rewritten; values that are not JSON move
// unchanged), so records of packages the registry does not know move too. The
// target gains a replaces link and what the source knew that it lacks (names,
// telecom and addresses with use old, identifiers, contacts, practitioners;
// single-valued fields only where the target has none); the source stays
// readable, inactive, with a replaced-by link, and can no longer be updated. A
// MergeRecord lists every rewritten record with its version before and after.
// Unmerge writes back the exact previous state of each as a new version, and
// refuses with ehrkit.ErrFailedPrecondition, writing nothing, if any of them
// changed since. Both need access.PermPatientMerge for both patients and are audited
// in the transaction.
package patient
