package clinical

// Storage kinds of the clinical records, for packages that read or write them
// in their own transactions (FHIR import and export).
var (
	Encounters    = encounters
	Conditions    = conditions
	Allergies     = allergies
	Observations  = observations
	Procedures    = procedures
	Immunizations = immunizations
	CarePlans     = carePlans
	FormResponses = responses
	Notes         = notes
)
