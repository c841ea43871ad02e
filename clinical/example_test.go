package clinical_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage/memstore"
)

// A clinician's full visit: open the encounter, record vitals, add a problem
// and an allergy, fill in the intake form, sign the note, close the encounter.
func Example() {
	clock := ehrkit.NewFakeClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	store := memstore.New(memstore.WithClock(clock))
	defer store.Close()
	ctx := access.WithPrincipal(context.Background(), access.Principal{
		Kind: access.User, ID: "dr-smith", Roles: []string{access.RolePhysician}, Practitioner: "prac-7",
	})
	// The patient registry owns patients: register one through it.
	trusted := access.Trusted(store) // no policy in this example
	registry, err := patient.NewService(trusted, patient.WithIDs(&ehrkit.SeqIDs{Prefix: "pat-"}))
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := registry.Register(ctx, patient.Patient{
		Names:     []ehrkit.HumanName{{Family: "Example", Given: []string{"Pat"}}},
		Gender:    patient.GenderFemale,
		BirthDate: ehrkit.MustDate("1980-01-01"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	pid := p.ID

	svc := clinical.NewService(trusted, clinical.WithClock(clock), clinical.WithIDs(&ehrkit.SeqIDs{Prefix: "id-"}))
	if err := svc.InstallBuiltinForms(ctx); err != nil {
		fmt.Println(err)
		return
	}

	visit, err := svc.OpenEncounter(ctx, clinical.Encounter{Patient: pid, Class: clinical.ClassAmbulatory,
		Reasons: []ehrkit.CodeableConcept{{Text: "Cough"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("encounter:", visit.Status)

	temp, sys, dia := ehrkit.Qty("101.3", "[degF]"), ehrkit.Qty("138", "mm[Hg]"), ehrkit.Qty("84", "mm[Hg]")
	vitals, err := svc.RecordVitals(ctx, pid, visit.ID, clinical.Vitals{Temperature: &temp, Systolic: &sys, Diastolic: &dia})
	if err != nil {
		fmt.Println(err)
		return
	}
	celsius, _ := clinical.Convert(vitals[0].Value.Quantity, "Cel")
	fmt.Println("temperature:", vitals[0].Value.Quantity, "=", celsius, vitals[0].Interpretation)

	// A temperature in kilograms is refused, naming the field.
	_, err = svc.RecordObservation(ctx, clinical.Observation{Patient: pid, Encounter: visit.ID, Status: clinical.ObservationFinal,
		Code: ehrkit.Concept(ehrkit.SystemLOINC, clinical.LOINCBodyTemperature, "Body temperature"), Effective: clock.Now(),
		Value: clinical.QuantityValue(ehrkit.Qty("38", "kg"))})
	fmt.Println("refused:", err)

	problem, _ := svc.AddCondition(ctx, clinical.Condition{Patient: pid, Encounter: visit.ID, Category: clinical.ConditionProblemListItem,
		ClinicalStatus: clinical.ConditionActive, VerificationStatus: clinical.VerificationConfirmed,
		Code: ehrkit.Concept(ehrkit.SystemICD10CM, "J20.9", "Acute bronchitis, unspecified")})
	_, _ = svc.AddAllergy(ctx, clinical.AllergyIntolerance{Patient: pid, Encounter: visit.ID, ClinicalStatus: "active",
		VerificationStatus: "confirmed", Criticality: "high", Code: ehrkit.Concept(ehrkit.SystemRxNorm, "7980", "Penicillin G")})

	_, extracted, err := svc.SubmitResponse(ctx, clinical.FormResponse{Patient: pid, Encounter: visit.ID, Form: clinical.FormIntake,
		Status: clinical.ResponseCompleted, Items: []clinical.ResponseItem{
			{LinkID: "reason", Answers: []clinical.Value{clinical.TextValue("Cough for three days")}},
			{LinkID: "measurements", Items: []clinical.ResponseItem{
				{LinkID: "height", Answers: []clinical.Value{clinical.QuantityValue(ehrkit.Qty("172", "cm"))}},
				{LinkID: "weight", Answers: []clinical.Value{clinical.QuantityValue(ehrkit.Qty("81", "kg"))}},
			}},
			{LinkID: "tobacco", Answers: []clinical.Value{clinical.CodedValue(ehrkit.Concept(ehrkit.SystemSNOMED, "266919005", "Never smoked tobacco"))}},
			{LinkID: "has-allergies", Answers: []clinical.Value{clinical.BooleanValue(false)}},
		}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("observations from the intake form:", len(extracted))

	note, _ := svc.CreateNote(ctx, clinical.Note{Patient: pid, Encounter: visit.ID, Author: ehrkit.Ref("Practitioner", "prac-7"),
		Type: ehrkit.Concept(ehrkit.SystemLOINC, clinical.LOINCProgressNote, "Progress note"), Text: "Acute bronchitis. Fluids, rest."})
	clock.Advance(15 * time.Minute)
	note, err = svc.SignNote(ctx, note.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("note:", note.Status, "by", note.Signature.By, "at", note.Signature.At.Format(time.TimeOnly))
	_, err = svc.EditNote(ctx, note.ID, "", "changed")
	fmt.Println("editing a signed note:", err != nil)

	_, _ = svc.UpdateEncounter(ctx, visit.ID, func(e *clinical.Encounter) error {
		e.Diagnoses = append(e.Diagnoses, clinical.Diagnosis{Condition: ehrkit.Ref(clinical.ConditionType, problem.ID), Rank: 1})
		return nil
	})
	visit, _ = svc.SetEncounterStatus(ctx, visit.ID, clinical.EncounterFinished)
	fmt.Println("encounter:", visit.Status, visit.Period.End.Sub(visit.Period.Start))

	sum, _ := svc.Summary(ctx, pid)
	fmt.Println("problems:", sum.ActiveProblems[0].Code, "| allergies:", sum.Allergies[0].Code)
	for _, v := range sum.LatestVitals {
		if len(v.Components) > 0 {
			fmt.Println("vital:", v.Code)
		} else {
			fmt.Println("vital:", v.Code, v.Value.Quantity, v.Interpretation)
		}
		for _, c := range v.Components {
			fmt.Println("  ", c.Code, c.Value.Quantity, c.Interpretation)
		}
	}
	// Output:
	// encounter: in-progress
	// temperature: 101.3 [degF] = 38.5 Cel [H]
	// refused: ehrkit: invalid: value.quantity.unit: unit does not measure temperature (value)
	// observations from the intake form: 4
	// note: signed by Practitioner/prac-7 at 09:15:00
	// editing a signed note: true
	// encounter: finished 15m0s
	// problems: Acute bronchitis, unspecified | allergies: Penicillin G
	// vital: Blood pressure panel with all children optional
	//    Systolic blood pressure 138 mm[Hg] [H]
	//    Diastolic blood pressure 84 mm[Hg] [H]
	// vital: Body temperature 101.3 [degF] [H]
	// vital: Body height 172 cm []
	// vital: Body weight 81 kg []
	// vital: Body mass index (BMI) [Ratio] 27.4 kg/m2 [H]
}
