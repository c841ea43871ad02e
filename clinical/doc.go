// Package clinical is the clinical record: encounters, the problem list,
// allergies and intolerances, observations and vital signs, procedures,
// immunizations, care plans, signed clinical notes, structured forms, and the
// patient's timeline and summary.
//
// # Values
//
// Values are plain Go structs shaped after FHIR R4 with FHIR codes for
// statuses, so that the FHIR mapping is direct:
//
//   - Encounter (FHIR Encounter): class AMB, IMP, EMER, VR or HH, status
//     history, participants, location, period, reasons, diagnoses.
//   - Condition: ICD-10-CM or SNOMED CT; clinical and verification status;
//     onset and abatement as ehrkit.Date; invariants con-3, con-4, con-5.
//   - AllergyIntolerance: substance in RxNorm, SNOMED CT or UNII, or a class;
//     reactions, severity, criticality; invariants ait-1, ait-2.
//   - Observation: a quantity, coded, text, boolean, range or date value;
//     components (blood pressure); interpretation flags.
//   - Procedure (completed needs a performed time), Immunization (CVX;
//     not-done needs a reason; dose number at most the series doses).
//   - CarePlan with Goal and Activity folded in (FHIR CarePlan, Goal,
//     activity.detail); it also refers to PatientGoals, goals recorded on
//     their own (FHIR Goal: lifecycle and achievement status, targets).
//   - Note (DocumentReference with the text inline): draft → signed →
//     amended, with addenda and signatures.
//   - FormDefinition and FormResponse (Questionnaire, QuestionnaireResponse).
//
// Every type has a Validate method that reports every problem in one
// *ehrkit.ValidationError with its path and FHIR issue code. Unknown code
// systems are accepted, but malformed codes of known ones (ICD-10-CM syntax,
// LOINC check digit, SNOMED CT Verhoeff check digit, RxNorm, CPT, HCPCS) are
// rejected through ehrkit.CheckCode, and units must be UCUM (CheckUnit) and
// fit the observation (a heart rate is not in "kg").
//
// # Rules
//
// Rules are pure functions over values:
//
//   - CanTransition and Encounter.Transition: planned → arrived → triaged →
//     in-progress ⇄ onleave → finished; planned, arrived and triaged may be
//     cancelled; anything may become entered-in-error; nothing else leaves
//     finished or cancelled. A transition records the old status, starts the
//     period on in-progress and ends it on finished.
//   - CheckUnit: UCUM syntax (terms joined by "." and "/", metric prefixes on
//     metric atoms, integer exponents, parentheses, factors, {annotations});
//     the clinical and customary atoms (mm[Hg], [iU], [lb_av], [degF] ...).
//     It refuses lbs, bpm, mmHg and °C.
//   - Convert: exact UCUM definitions between the units of vital signs (kg,
//     g, [lb_av], [oz_av]; m, cm, mm, [in_i], [ft_i]; K, Cel, [degF]; mm[Hg],
//     kPa; /min, /h; %; kg/m2), in decimal arithmetic to six decimals.
//   - VitalSignOf, Vitals.Observations and DeriveBMI: the FHIR vital-signs
//     LOINC panel (heart rate 8867-4, respiratory rate 9279-1, temperature
//     8310-5, height 8302-2, weight 29463-7, BMI 39156-5, blood pressure panel
//     85354-9 with systolic 8480-6 and diastolic 8462-4, SpO2 2708-6 and
//     59408-5, head circumference 9843-4). Units are kept as entered.
//   - VitalRanges.Flag, AdultVitalRanges and VitalRangesForAge: H, L or N
//     against inclusive normal ranges, and LL or HH beyond critical tiers,
//     converted to the range's unit, comparators ("<90") included. Adult
//     defaults: heart rate 60–100 /min, respiratory rate 12–20 /min,
//     temperature 36.1–37.8 Cel, SpO2 95–100 %, systolic 90–119 and diastolic
//     60–79 mm[Hg] (2017 ACC/AHA guideline: 120/80 is elevated), BMI
//     18.5–24.9 (Sapra et al., Vital Sign Assessment, StatPearls NBK553213;
//     WHO adult BMI classes); children's ranges follow their age (PALS 2020).
//     Plausibility limits refuse impossible values (SpO2 over 100 %);
//     ClassifyBloodPressure gives the ACC/AHA 2017 category (crisis
//     included); Disagreements reports where a sender's flag, which is kept,
//     differs from the computed one. WithVitalRanges replaces the ranges.
//   - BMI (kg/m², one decimal; checked against the CDC adult BMI examples),
//     EGFR (CKD-EPI 2021 race-free creatinine equation, Inker et al., NEJM
//     2021;385:1737-49; adults; a whole number in mL/min/{1.73_m2}) and
//     CHA2DS2VASc (Lip et al., Chest 2010;137:263-72).
//   - Note.Sign, AddAddendum and Amend: only drafts are edited or signed;
//     signed notes take addenda; an amendment replaces the text, is signed,
//     and names the stored version it supersedes.
//   - FormDefinition.Check, Score and Extract, below. SafetyFindings reports
//     answers that need attention whatever the total (PHQ-9 item 9).
//
// # Service
//
// NewService adds persistence: one record type per value, the patient as the
// compartment (form definitions have none), index terms code, date, status,
// encounter, category, clinical-status, class and form. Every write checks,
// in its transaction, that the patient exists and was not merged away and
// that the encounter, when given, is the same patient's (a patient or
// encounter issue otherwise); nothing invalid is stored, and RecordVitals and
// SubmitResponse write all their observations in one transaction or none.
// Observations are flagged on the way in. Update methods apply a function to
// the stored value with an expected version (no lost updates); an encounter's
// status changes only through SetEncounterStatus, which applies the
// transition rule.
//
// Signing a note needs access.PermNoteSign, amending access.PermClinicalAmend,
// and a principal acting as a practitioner; each act is audited in its
// transaction and records who signed and when. Timeline lists every clinical
// record of a patient, oldest first; Summary gives the active problems and
// allergies, the latest value of each vital sign, active care plans and, from
// a MedicationSource given with WithMedications, the active medications.
//
// Other packages that write clinical records in their own transaction (an
// importer, a device feed) use the transaction-scoped entry points
// (SaveEncounter, SaveObservation, SaveNote, ...), which run the same rules
// inside the caller's storage.Tx; the read-only views (EncounterRecords,
// ObservationRecords, ...) read records without writing them.
//
// Imaging studies arriving from modalities (interop/dicom) name their
// patient by identifier: ReceiveImagingStudy files a study to the patient
// patient.Identify names with confidence, or else into the imaging
// reconciliation queue (ImagingQueue), from which ResolveImagingStudy files
// it to the patient a person chose, audited as "imaging.reconcile". The
// queue is readable by laboratory and imaging staff (access.ClassResult).
//
// # Structured forms
//
// A FormDefinition has items of type group, display, text, number (a decimal
// with a UCUM unit; an answer may use any unit of the same dimension and is
// checked against min and max after conversion), choice (options with
// optional scores), date and boolean; required; repeats; and enableWhen with
// all or any behaviour, resolved in the innermost group instance first.
// Check reports every problem at a linkId path such as
// item[weight].answer[0].quantity.unit: unknown items, wrong answer types,
// choices outside the options, unfit units, out-of-range numbers, repeated
// answers or groups that do not repeat, answers to hidden items and, once the
// response is completed or amended, required items left unanswered. Extract
// follows FHIR SDC observation-based extraction, adding a total for every
// complete score rule with its band; the service adds a BMI when height and
// weight were answered.
//
// BuiltinForm ships an adult primary-care intake form (USCDI v3, US Core 6.1
// data elements; smoking status LOINC 72166-2 with the CDC/ONC SNOMED CT
// codes) and PHQ-9 (Kroenke, Spitzer and Williams, J Gen Intern Med
// 2001;16:606-13; LOINC panel 44249-1, total 44261-6 with bands none-minimal,
// mild, moderate, moderately severe and severe; free to reproduce).
package clinical
