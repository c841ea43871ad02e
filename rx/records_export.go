package rx

// Storage kinds of orders, for packages that read or write them in their own
// transactions (FHIR import and export).
var (
	MedicationRequests = medicationRequests
	ServiceRequests    = serviceRequests
)
