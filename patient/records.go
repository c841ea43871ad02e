package patient

// Records is the storage kind of patient records, for packages that read or
// write patients in their own transactions (FHIR import and export).
var Records = patients
