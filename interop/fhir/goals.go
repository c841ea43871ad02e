package fhir

import (
	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	bcrpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/bundle_and_contained_resource_go_proto"
	cppb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/care_plan_go_proto"
	gpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/goal_go_proto"
	"google.golang.org/protobuf/types/known/anypb"
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
func planGoals(f *cppb.CarePlan, rs *Refs) ([]clinical.Goal, map[string]int, []ehrkit.Reference, error) {
	contained := map[string]*gpb.Goal{}
	for _, a := range f.GetContained() {
		var cr bcrpb.ContainedResource
		if a.UnmarshalTo(&cr) != nil {
			continue
		}
		if g := cr.GetGoal(); g != nil {
			contained["#"+g.GetId().GetValue()] = g
		}
	}
	var goals []clinical.Goal
	var external []ehrkit.Reference
	index := map[string]int{}
	for _, r := range f.GetGoal() {
		ref := referenceString(r)
		g, ok := contained[ref]
		if !ok {
			if ref != "" && ref[0] != '#' {
				external = append(external, readRef(r, rs))
			}
			continue
		}
		if _, dup := index[ref]; dup {
			continue
		}
		goal := clinical.Goal{LifecycleStatus: codeOf(g.GetLifecycleStatus()), Description: readConcept(g.GetDescription())}
		if ts := g.GetTarget(); len(ts) > 0 {
			t, err := readGoalTarget(ts[0])
			if err != nil {
				return nil, nil, nil, err
			}
			goal.Measure, goal.Target, goal.Due = t.Measure, t.Detail, t.Due
		}
		index[ref] = len(goals)
		goals = append(goals, goal)
	}
	return goals, index, external, nil
}

// pbGoals renders a plan's goals as contained Goals and the references to
// them, followed by its references to Goals of their own; err is the first
// error so far, kept.
func pbGoals(cp *clinical.CarePlan, err error) ([]*anypb.Any, []*dtpb.Reference, error) {
	var contained []*anypb.Any
	var refs []*dtpb.Reference
	for i, g := range cp.Goals {
		fg := &gpb.Goal{Id: pbID(goalID(i)), LifecycleStatus: pbCode[*gpb.Goal_LifecycleStatusCode](g.LifecycleStatus, &err),
			Description: pbConcept(g.Description), Subject: pbPatientRef(cp.Patient)}
		if t := (clinical.GoalTarget{Measure: g.Measure, Detail: g.Target, Due: g.Due}); !t.Measure.IsZero() || t.Detail != nil || !t.Due.IsZero() {
			fg.Target = []*gpb.Goal_Target{pbGoalTarget(t, &err)}
		}
		a, aerr := anypb.New(&bcrpb.ContainedResource{OneofResource: &bcrpb.ContainedResource_Goal{Goal: fg}})
		if aerr != nil {
			return nil, nil, aerr
		}
		contained = append(contained, a)
		refs = append(refs, pbFragment(goalID(i)))
	}
	return contained, append(refs, pbRefs(cp.GoalRefs)...), err
}

func init() {
	register(protoTyped[clinical.PatientGoal, *gpb.Goal]{view: clinical.GoalRecords, del: clinicalDelete(clinical.GoalRecords.Type()), save: via(clinicalSvc, (*clinical.Service).SaveGoal), from: goalFrom, to: goalTo,
		elements: []string{"lifecycleStatus", "achievementStatus", "category", "description", "subject", "startDate", "target", "addresses", "note"}})
}
