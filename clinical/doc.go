// Package clinical is the clinical record: encounters, the problem list,
// allergies and intolerances, observations and vital signs, procedures,
// immunizations, care plans, signed clinical notes, structured forms, and the
// patient's timeline and summary.
//
// Values are shaped after FHIR R4 (Encounter, Condition, AllergyIntolerance,
// Observation, Procedure, Immunization, CarePlan with goals and activities,
// DocumentReference for notes, Questionnaire and QuestionnaireResponse for
// forms) with FHIR codes for statuses, so that the FHIR mapping is direct.
// Every type has a Validate method that reports every problem in one
// *ehrkit.ValidationError: unknown code systems are accepted, but malformed
// codes of known ones (ICD-10-CM, LOINC check digit, SNOMED CT Verhoeff check
// digit, RxNorm, CPT ...) are rejected, and units must be UCUM (CheckUnit) and
// fit the observation (a heart rate is not in "kg").
//
// Rules are pure functions over values:
//   - CanTransition and Encounter.Transition: the encounter status lifecycle.
//   - CheckUnit and Convert: UCUM syntax, and conversion between the units of
//     vital signs (kg, g, [lb_av], [oz_av]; m, cm, mm, [in_i], [ft_i]; Cel,
//     [degF], K; mm[Hg], kPa; /min, /h; %; kg/m2).
//   - VitalSignOf, Vitals.Observations, DeriveBMI and VitalRanges.Flag: the
//     LOINC vital signs panel, adult ranges (ACC/AHA 2017 blood pressure) and
//     age-specific ones (VitalRangesForAge, PALS 2020), critical tiers (LL,
//     HH), comparators ("<90"), plausibility limits that refuse impossible
//     values, ClassifyBloodPressure (ACC/AHA 2017 categories and crisis) and
//     Disagreements between a sender's flag, which is kept, and the computed
//     one.
//   - BMI, EGFR (CKD-EPI 2021, race-free) and CHA2DS2VASc: calculators with
//     their published formula and source named.
//   - Note.Sign, AddAddendum and Amend: a draft is signed once, then only
//     addenda and signed amendments change it.
//   - FormDefinition.Check, Score and Extract: responses checked against
//     their form with every problem at its item path, scores, and extraction
//     into observations. BuiltinForm ships an adult intake form and PHQ-9;
//     SafetyFindings reports answers that need attention whatever the total
//     (PHQ-9 item 9).
//
// Service adds persistence (one storage.Kind per type, the patient as the
// compartment, index terms for code, date, status, encounter and category),
// referential checks (the patient and encounter must exist), flags on vital
// signs, operation permissions through package access (note.sign,
// clinical.amend) with audit entries written in the same transaction, the
// timeline and the summary. Active medications come from rx through the
// MedicationSource interface, so that clinical does not import rx.
package clinical
