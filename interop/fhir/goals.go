package fhir

import (
	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	gpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/goal_go_proto"
)

// ---- Goal
//
// A FHIR Goal is either contained in its CarePlan or a resource of its own.
// ehrkit keeps both shapes as they arrive: a contained Goal a plan references
// ("#goal1") becomes a clinical.Goal inside the clinical.CarePlan, exported
// again as a contained Goal; a Goal sent on its own (as Synthea sends them)
// becomes a clinical.PatientGoal, saved through
// (*clinical.Service).SaveGoal, and a CarePlan's goal references to it are
// kept as references (clinical.CarePlan.GoalRefs), exported after the
// contained ones (an issue with one is reported at CarePlan.goal). An
// activity's goal references name contained goals only; references from an
// activity to a Goal of its own are not kept. Of a target, the measure, a
// detailQuantity and a dueDate are modelled; start[x] is startDate.

// fGoal is a FHIR R4 Goal contained in a CarePlan, as the CarePlan mapping
// decodes it; a Goal of its own is mapped from its proto.
type fGoal struct {
	ResourceType      string        `json:"resourceType"`
	ID                string        `json:"id,omitempty"`
	LifecycleStatus   string        `json:"lifecycleStatus"`
	AchievementStatus *fConcept     `json:"achievementStatus,omitempty"`
	Category          []fConcept    `json:"category,omitempty"`
	Description       *fConcept     `json:"description"`
	Subject           *fReference   `json:"subject"`
	StartDate         string        `json:"startDate,omitempty"`
	Target            []fGoalTarget `json:"target,omitempty"`
	Addresses         []fReference  `json:"addresses,omitempty"`
	Note              []fAnnotation `json:"note,omitempty"`
}

type fGoalTarget struct {
	Measure        *fConcept  `json:"measure,omitempty"`
	DetailQuantity *fQuantity `json:"detailQuantity,omitempty"`
	DueDate        string     `json:"dueDate,omitempty"`
}

func goalTargetFrom(t *fGoalTarget) (clinical.GoalTarget, error) {
	out := clinical.GoalTarget{Measure: toConcept(t.Measure)}
	if t.DetailQuantity != nil {
		q, err := toQuantity(t.DetailQuantity)
		if err != nil {
			return out, err
		}
		out.Detail = &q
	}
	var err error
	out.Due, err = dateOf(t.DueDate)
	return out, err
}

func goalTargetTo(t clinical.GoalTarget) fGoalTarget {
	out := fGoalTarget{Measure: fromConcept(t.Measure), DueDate: t.Due.String()}
	if t.Detail != nil {
		out.DetailQuantity = fromQuantity(*t.Detail)
	}
	return out
}

func readGoalTarget(t *gpb.Goal_Target) (clinical.GoalTarget, error) {
	out := clinical.GoalTarget{Measure: readConcept(t.GetMeasure()), Due: readDate(t.GetDue().GetDate())}
	if q := t.GetDetail().GetQuantity(); q != nil {
		d, err := readQuantity(q)
		if err != nil {
			return out, err
		}
		out.Detail = &d
	}
	return out, nil
}

func pbGoalTarget(t clinical.GoalTarget, err *error) *gpb.Goal_Target {
	out := &gpb.Goal_Target{Measure: pbConcept(t.Measure)}
	if d := pbDate(t.Due); d != nil {
		out.Due = &gpb.Goal_Target_DueX{Choice: &gpb.Goal_Target_DueX_Date{Date: d}}
	}
	if t.Detail != nil {
		out.Detail = &gpb.Goal_Target_DetailX{Choice: &gpb.Goal_Target_DetailX_Quantity{Quantity: pbQuantity(*t.Detail, err)}}
	}
	return out
}

func goalFrom(f *gpb.Goal, id string, rs *Refs) (clinical.PatientGoal, error) {
	g := clinical.PatientGoal{
		ID: id, Patient: readSubject(f.GetSubject(), rs), LifecycleStatus: codeOf(f.GetLifecycleStatus()),
		AchievementStatus: readConcept(f.GetAchievementStatus()), Categories: readConcepts(f.GetCategory()),
		Description: readConcept(f.GetDescription()), Addresses: readRefs(f.GetAddresses(), rs), Note: readNote(f.GetNote()),
		Start: readDate(f.GetStart().GetDate()),
	}
	for _, t := range f.GetTarget() {
		gt, err := readGoalTarget(t)
		if err != nil {
			return g, err
		}
		g.Targets = append(g.Targets, gt)
	}
	return g, nil
}

func goalTo(g *clinical.PatientGoal) (*gpb.Goal, error) {
	var err error
	f := &gpb.Goal{
		Id: pbID(g.ID), LifecycleStatus: pbCode[*gpb.Goal_LifecycleStatusCode](g.LifecycleStatus, &err),
		AchievementStatus: pbConcept(g.AchievementStatus), Category: pbConcepts(g.Categories), Description: pbConcept(g.Description),
		Subject: pbPatientRef(g.Patient), Addresses: pbRefs(g.Addresses), Note: pbNotes(g.Note),
		Target: each(g.Targets, func(t clinical.GoalTarget) *gpb.Goal_Target { return pbGoalTarget(t, &err) }),
	}
	if d := pbDate(g.Start); d != nil {
		f.Start = &gpb.Goal_StartX{Choice: &gpb.Goal_StartX_Date{Date: d}}
	}
	return f, err
}

// planGoals reads the goals a CarePlan references, in the order of
// CarePlan.goal: contained Goals ("#goal1") become the plan's own goals,
// returned with their index by local reference; references to Goals outside
// the plan are returned as references.
func planGoals(f *fCarePlan, rs *Refs) ([]clinical.Goal, map[string]int, []ehrkit.Reference, error) {
	contained := map[string]*fGoal{}
	for i := range f.Contained {
		if f.Contained[i].ResourceType == clinical.GoalType {
			contained["#"+f.Contained[i].ID] = &f.Contained[i]
		}
	}
	var goals []clinical.Goal
	var external []ehrkit.Reference
	index := map[string]int{}
	for _, r := range f.Goal {
		g, ok := contained[r.Reference]
		if !ok {
			if len(r.Reference) > 0 && r.Reference[0] != '#' {
				external = append(external, toRef(&r, rs))
			}
			continue
		}
		if _, dup := index[r.Reference]; dup {
			continue
		}
		goal := clinical.Goal{LifecycleStatus: g.LifecycleStatus, Description: toConcept(g.Description)}
		if len(g.Target) > 0 {
			t, err := goalTargetFrom(&g.Target[0])
			if err != nil {
				return nil, nil, nil, err
			}
			goal.Measure, goal.Target, goal.Due = t.Measure, t.Detail, t.Due
		}
		index[r.Reference] = len(goals)
		goals = append(goals, goal)
	}
	return goals, index, external, nil
}

// fromGoals renders a plan's goals as contained Goals and the references to
// them, followed by its references to Goals of their own.
func fromGoals(cp *clinical.CarePlan) ([]fGoal, []fReference) {
	var contained []fGoal
	var refs []fReference
	for i, g := range cp.Goals {
		fg := fGoal{ResourceType: clinical.GoalType, ID: goalID(i), LifecycleStatus: g.LifecycleStatus, Description: fromConcept(g.Description), Subject: patientRef(cp.Patient)}
		if t := goalTargetTo(clinical.GoalTarget{Measure: g.Measure, Detail: g.Target, Due: g.Due}); t != (fGoalTarget{}) {
			fg.Target = []fGoalTarget{t}
		}
		contained = append(contained, fg)
		refs = append(refs, fReference{Reference: "#" + fg.ID})
	}
	return contained, append(refs, fromRefs(cp.GoalRefs)...)
}

func init() {
	register(protoTyped[clinical.PatientGoal, *gpb.Goal]{view: clinical.GoalRecords, del: clinicalDelete(clinical.GoalRecords.Type()), save: via(clinicalSvc, (*clinical.Service).SaveGoal), from: goalFrom, to: goalTo,
		elements: []string{"lifecycleStatus", "achievementStatus", "category", "description", "subject", "startDate", "target", "addresses", "note"}})
}
