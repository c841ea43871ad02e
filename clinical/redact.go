package clinical

import "log/slog"

// Clinical values hold PHI: their String and LogValue name the record by
// type and id only, so that printing or logging one never leaks its content.

func redacted(typ, id string) slog.Value {
	return slog.GroupValue(slog.String("type", typ), slog.String("id", id))
}

// String names the encounter without its content.
func (e Encounter) String() string { return EncounterType + "/" + e.ID }

// LogValue logs the encounter's type and id only.
func (e Encounter) LogValue() slog.Value { return redacted(EncounterType, e.ID) }

// String names the condition without its content.
func (c Condition) String() string { return ConditionType + "/" + c.ID }

// LogValue logs the condition's type and id only.
func (c Condition) LogValue() slog.Value { return redacted(ConditionType, c.ID) }

// String names the allergy without its content.
func (a AllergyIntolerance) String() string { return AllergyType + "/" + a.ID }

// LogValue logs the allergy's type and id only.
func (a AllergyIntolerance) LogValue() slog.Value { return redacted(AllergyType, a.ID) }

// String names the observation without its content.
func (o Observation) String() string { return ObservationType + "/" + o.ID }

// LogValue logs the observation's type and id only.
func (o Observation) LogValue() slog.Value { return redacted(ObservationType, o.ID) }

// String names the procedure without its content.
func (p Procedure) String() string { return ProcedureType + "/" + p.ID }

// LogValue logs the procedure's type and id only.
func (p Procedure) LogValue() slog.Value { return redacted(ProcedureType, p.ID) }

// String names the immunization without its content.
func (im Immunization) String() string { return ImmunizationType + "/" + im.ID }

// LogValue logs the immunization's type and id only.
func (im Immunization) LogValue() slog.Value { return redacted(ImmunizationType, im.ID) }

// String names the care plan without its content.
func (cp CarePlan) String() string { return CarePlanType + "/" + cp.ID }

// LogValue logs the care plan's type and id only.
func (cp CarePlan) LogValue() slog.Value { return redacted(CarePlanType, cp.ID) }

// String names the goal without its content.
func (g PatientGoal) String() string { return GoalType + "/" + g.ID }

// LogValue logs the goal's type and id only.
func (g PatientGoal) LogValue() slog.Value { return redacted(GoalType, g.ID) }

// String names the note without its content.
func (n Note) String() string { return NoteType + "/" + n.ID }

// LogValue logs the note's type, id and status only.
func (n Note) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type", NoteType), slog.String("id", n.ID), slog.String("status", string(n.Status)))
}

// String names the response without its answers.
func (r FormResponse) String() string { return FormResponseType + "/" + r.ID }

// LogValue logs the response's id, form and status only.
func (r FormResponse) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type", FormResponseType), slog.String("id", r.ID), slog.String("form", r.Form), slog.String("status", r.Status))
}
