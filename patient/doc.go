// Package patient is the patient registry: demographics, identifiers (MRN),
// contacts, search, duplicate detection, merge and unmerge.
//
// A Patient is shaped after FHIR R4 Patient: several names with use and
// period, gender, birth date (an ehrkit.Date with precision), deceased,
// identifiers (MRN, national ids, insurance member ids, each with a system),
// telecom, addresses, marital status, preferred language (BCP 47), contacts
// (emergency contact, next of kin), general practitioners, managing
// organisation, active flag and links to other patient records. Validate
// reports every bad field in one *ehrkit.ValidationError.
//
// A Service stores patients through any storage.Store:
//
//   - Register validates, refuses a certain duplicate (*DuplicateError) unless
//     AllowDuplicate is passed, assigns the next MRN in the configured
//     MRNFormat and claims every identifier. Identifier uniqueness rests on one
//     IdentifierRecordType record per system|value created with expected version
//     0 in the patient's transaction, so it holds under any concurrency, on
//     every backend; a taken identifier is an *IdentifierInUseError.
//   - Update writes with optimistic concurrency (Patient.Version), Get,
//     GetVersion and History read the current and past versions.
//   - Search finds patients by name (folded: case, diacritics and punctuation
//     do not matter), phonetic code, birth date or range, gender, identifier,
//     phone, e-mail and postal code, combined, one page at a time in id order.
//   - Match returns likely duplicates of a candidate with a score, a level
//     (possible, probable, certain) and a per-field explanation. It reads only
//     the patients sharing a blocking key with the candidate. Compare is the
//     pure scoring function underneath.
//   - Merge folds one patient into another in one transaction: every record of
//     the source's compartment, of any record type, is moved and its references
//     re-pointed; the target keeps what the source knew; the source remains,
//     linked and inactive. Unmerge restores the exact previous state. Both need
//     the access.PermPatientMerge operation permission and are audited.
//
// Refusals (*DuplicateError, *IdentifierInUseError, an id in use, a merged
// record updated, an unmerge that would lose a later change) wrap
// ehrkit.ErrFailedPrecondition; only a lost version race wraps
// ehrkit.ErrConflict, and the Service retries those itself (ehrkit.Retry,
// WithMaxAttempts). Patients, contacts, matches, queries and results print
// and log ids only (String, GoString, fmt.Formatter, slog.LogValuer).
//
// Text is normalised with golang.org/x/text (Fold, Tokens): compatibility
// decomposition, marks removed, case folded, and the letters decomposition
// leaves whole transliterated (Turkish ı, ß, đ, ø, æ, ł, þ, œ). The phonetic code
// is NYSIIS (Taft 1970); string similarity is Jaro-Winkler (Winkler 1990).
package patient
