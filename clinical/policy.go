package clinical

import "github.com/ehrkit/ehrkit/access"

// Groups returns the record-type groups of the chart for an access policy
// (access.DefaultPolicy). Every chart record is clinical; observations,
// allergies and immunizations are also what nursing staff chart, observations
// what laboratory staff record (with imaging studies and the
// imaging reconciliation queue); allergies, problems and observations are what
// a pharmacist reviews; encounters, procedures and problems are what billing
// codes from. Form definitions are shared reference data. Each call returns
// fresh slices.
func Groups() []access.Group {
	return []access.Group{
		{Class: access.ClassClinical, Types: []string{EncounterType, ConditionType, AllergyType, ObservationType, ProcedureType, ImmunizationType, CarePlanType, GoalType, NoteType, FormResponseType, ImagingStudyType}},
		{Class: access.ClassCharting, Types: []string{ObservationType, AllergyType, ImmunizationType}},
		{Class: access.ClassResult, Types: []string{ObservationType, ImagingStudyType, ImagingQueueType}},
		{Class: access.ClassMedicationReview, Types: []string{AllergyType, ConditionType, ObservationType}},
		{Class: access.ClassBillable, Types: []string{EncounterType, ProcedureType, ConditionType}},
		{Class: access.ClassDirectory, Types: []string{FormType}, Shared: true},
	}
}
