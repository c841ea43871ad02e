// Package patient is the patient registry: demographics, identifiers (MRN),
// contacts, search, duplicate detection, merge and unmerge.
package patient
