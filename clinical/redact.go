package clinical

import (
	"fmt"
	"log/slog"

	"github.com/ehrkit/ehrkit"
)

// Clinical values hold PHI: printed with fmt (any verb, %#v included) or
// logged with slog they name the record by type and id only, so that printing
// or logging one never leaks its content. encoding/json still writes every
// field.

func redacted(typ, id string) slog.Value {
	return slog.GroupValue(slog.String("type", typ), slog.String("id", id))
}

// goString is the %#v form of a record: its Go type and id, nothing else.
func goString(goType, id string) string {
	return fmt.Sprintf("clinical.%s{ID:%q /* PHI redacted */}", goType, id)
}

// String names the encounter without its content.
func (e Encounter) String() string { return EncounterType + "/" + e.ID }

// GoString shows the encounter's Go type and id only.
func (e Encounter) GoString() string { return goString("Encounter", e.ID) }

// Format names the encounter for every verb; see ehrkit.FormatRedacted.
func (e Encounter) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, e) }

// LogValue logs the encounter's type and id only.
func (e Encounter) LogValue() slog.Value { return redacted(EncounterType, e.ID) }

// String names the condition without its content.
func (c Condition) String() string { return ConditionType + "/" + c.ID }

// GoString shows the condition's Go type and id only.
func (c Condition) GoString() string { return goString("Condition", c.ID) }

// Format names the condition for every verb; see ehrkit.FormatRedacted.
func (c Condition) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, c) }

// LogValue logs the condition's type and id only.
func (c Condition) LogValue() slog.Value { return redacted(ConditionType, c.ID) }

// String names the allergy without its content.
func (a AllergyIntolerance) String() string { return AllergyType + "/" + a.ID }

// GoString shows the allergy's Go type and id only.
func (a AllergyIntolerance) GoString() string { return goString("AllergyIntolerance", a.ID) }

// Format names the allergy for every verb; see ehrkit.FormatRedacted.
func (a AllergyIntolerance) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, a) }

// LogValue logs the allergy's type and id only.
func (a AllergyIntolerance) LogValue() slog.Value { return redacted(AllergyType, a.ID) }

// String names the observation without its content.
func (o Observation) String() string { return ObservationType + "/" + o.ID }

// GoString shows the observation's Go type and id only.
func (o Observation) GoString() string { return goString("Observation", o.ID) }

// Format names the observation for every verb; see ehrkit.FormatRedacted.
func (o Observation) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, o) }

// LogValue logs the observation's type and id only.
func (o Observation) LogValue() slog.Value { return redacted(ObservationType, o.ID) }

// String names the procedure without its content.
func (p Procedure) String() string { return ProcedureType + "/" + p.ID }

// GoString shows the procedure's Go type and id only.
func (p Procedure) GoString() string { return goString("Procedure", p.ID) }

// Format names the procedure for every verb; see ehrkit.FormatRedacted.
func (p Procedure) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, p) }

// LogValue logs the procedure's type and id only.
func (p Procedure) LogValue() slog.Value { return redacted(ProcedureType, p.ID) }

// String names the immunization without its content.
func (im Immunization) String() string { return ImmunizationType + "/" + im.ID }

// GoString shows the immunization's Go type and id only.
func (im Immunization) GoString() string { return goString("Immunization", im.ID) }

// Format names the immunization for every verb; see ehrkit.FormatRedacted.
func (im Immunization) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, im) }

// LogValue logs the immunization's type and id only.
func (im Immunization) LogValue() slog.Value { return redacted(ImmunizationType, im.ID) }

// String names the care plan without its content.
func (cp CarePlan) String() string { return CarePlanType + "/" + cp.ID }

// GoString shows the care plan's Go type and id only.
func (cp CarePlan) GoString() string { return goString("CarePlan", cp.ID) }

// Format names the care plan for every verb; see ehrkit.FormatRedacted.
func (cp CarePlan) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, cp) }

// LogValue logs the care plan's type and id only.
func (cp CarePlan) LogValue() slog.Value { return redacted(CarePlanType, cp.ID) }

// String names the goal without its content.
func (g PatientGoal) String() string { return GoalType + "/" + g.ID }

// GoString shows the goal's Go type and id only.
func (g PatientGoal) GoString() string { return goString("PatientGoal", g.ID) }

// Format names the goal for every verb; see ehrkit.FormatRedacted.
func (g PatientGoal) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, g) }

// LogValue logs the goal's type and id only.
func (g PatientGoal) LogValue() slog.Value { return redacted(GoalType, g.ID) }

// String names the note without its content.
func (n Note) String() string { return NoteType + "/" + n.ID }

// GoString shows the note's Go type and id only.
func (n Note) GoString() string { return goString("Note", n.ID) }

// Format names the note for every verb; see ehrkit.FormatRedacted.
func (n Note) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, n) }

// LogValue logs the note's type, id and status only.
func (n Note) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type", NoteType), slog.String("id", n.ID), slog.String("status", string(n.Status)))
}

// String names the response without its content.
func (r FormResponse) String() string { return FormResponseType + "/" + r.ID }

// GoString shows the response's Go type and id only.
func (r FormResponse) GoString() string { return goString("FormResponse", r.ID) }

// Format names the response for every verb; see ehrkit.FormatRedacted.
func (r FormResponse) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, r) }

// LogValue logs the response's id, form and status only.
func (r FormResponse) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type", FormResponseType), slog.String("id", r.ID), slog.String("form", r.Form), slog.String("status", r.Status))
}

// String names the imaging study without its content.
func (s ImagingStudy) String() string { return ImagingStudyType + "/" + s.ID }

// GoString shows the imaging study's Go type and id only.
func (s ImagingStudy) GoString() string { return goString("ImagingStudy", s.ID) }

// Format names the imaging study for every verb; see ehrkit.FormatRedacted.
func (s ImagingStudy) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, s) }

// LogValue logs the imaging study's type and id only.
func (s ImagingStudy) LogValue() slog.Value { return redacted(ImagingStudyType, s.ID) }

// String names the queued study by id: its demographics are PHI.
func (q QueuedStudy) String() string { return ImagingQueueType + "/" + q.ID }

// GoString shows the queued study's id and status only.
func (q QueuedStudy) GoString() string {
	return fmt.Sprintf("clinical.QueuedStudy{ID:%q, Status:%q /* PHI redacted */}", q.ID, q.Status)
}

// Format names the queued study for every verb; see ehrkit.FormatRedacted.
func (q QueuedStudy) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, q) }

// LogValue logs the queued study's id and status only.
func (q QueuedStudy) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type", ImagingQueueType), slog.String("id", q.ID), slog.String("status", string(q.Status)))
}

// String names the incoming study by id: the identifiers, birth date and sex
// the modality sent are PHI.
func (in IncomingStudy) String() string { return "Incoming " + in.Study.String() }

// GoString shows the study's id only.
func (in IncomingStudy) GoString() string { return goString("IncomingStudy", in.Study.ID) }

// Format names the incoming study for every verb; see ehrkit.FormatRedacted.
func (in IncomingStudy) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, in) }

// LogValue logs the study's type and id only.
func (in IncomingStudy) LogValue() slog.Value { return redacted(ImagingStudyType, in.Study.ID) }

// String names the timeline entry by record type and id: its title is PHI.
func (e Entry) String() string { return e.Type + "/" + e.ID }

// GoString shows the entry's record type and id only.
func (e Entry) GoString() string {
	return fmt.Sprintf("clinical.Entry{Type:%q, ID:%q /* PHI redacted */}", e.Type, e.ID)
}

// Format names the entry for every verb; see ehrkit.FormatRedacted.
func (e Entry) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, e) }

// LogValue logs the entry's record type and id only.
func (e Entry) LogValue() slog.Value { return redacted(e.Type, e.ID) }

// String names the medication's source only: the drug and dosage are PHI.
func (m Medication) String() string { return "Medication(" + m.Source.Type + "/" + m.Source.ID + ")" }

// GoString shows the medication's source only.
func (m Medication) GoString() string {
	return fmt.Sprintf("clinical.Medication{Source:%q /* PHI redacted */}", m.Source.Type+"/"+m.Source.ID)
}

// Format names the medication for every verb; see ehrkit.FormatRedacted.
func (m Medication) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, m) }

// LogValue logs the medication's source only.
func (m Medication) LogValue() slog.Value {
	return slog.GroupValue(slog.String("source", m.Source.Type+"/"+m.Source.ID))
}

// String shows the patient id and counts only.
func (s Summary) String() string {
	return fmt.Sprintf("Summary(Patient/%s: %d problems, %d allergies, %d vitals, %d medications, %d care plans)",
		s.Patient, len(s.ActiveProblems), len(s.Allergies), len(s.LatestVitals), len(s.Medications), len(s.CarePlans))
}

// GoString shows the patient id and counts only.
func (s Summary) GoString() string {
	return fmt.Sprintf("clinical.Summary{Patient:%q /* %d problems, %d allergies, %d vitals, %d medications, %d care plans; PHI redacted */}",
		s.Patient, len(s.ActiveProblems), len(s.Allergies), len(s.LatestVitals), len(s.Medications), len(s.CarePlans))
}

// Format shows the summary's counts for every verb; see ehrkit.FormatRedacted.
func (s Summary) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, s) }

// LogValue logs the patient id and counts only.
func (s Summary) LogValue() slog.Value {
	return slog.GroupValue(slog.String("patient", string(s.Patient)), slog.Int("problems", len(s.ActiveProblems)),
		slog.Int("allergies", len(s.Allergies)), slog.Int("vitals", len(s.LatestVitals)),
		slog.Int("medications", len(s.Medications)), slog.Int("carePlans", len(s.CarePlans)))
}

// String hides the measurements.
func (v Vitals) String() string { return "Vitals(redacted)" }

// GoString hides the measurements.
func (v Vitals) GoString() string { return "clinical.Vitals{/* redacted */}" }

// Format hides the measurements for every verb; see ehrkit.FormatRedacted.
func (v Vitals) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, v) }

// LogValue hides the measurements.
func (v Vitals) LogValue() slog.Value { return slog.StringValue(v.String()) }
