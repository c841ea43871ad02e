package ehrkit_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/schedule"
	"github.com/ehrkit/ehrkit/storage/sqlitestore"
)

func Example() {
	birth := ehrkit.MustDate("1970-05") // only year and month are known
	fmt.Println(birth, birth.Precision() == ehrkit.PrecisionMonth, birth.AgeAt(ehrkit.MustDate("2026-04-30")))

	glucose := ehrkit.Concept(ehrkit.SystemLOINC, "2345-7", "Glucose [Mass/volume] in Serum or Plasma")
	fmt.Println(glucose.Coding[0].Token(), ehrkit.Qty("5.40", "mmol/L"))

	// Validation lists every problem, with its path and code.
	name := ehrkit.HumanName{Use: "nick"}
	var v ehrkit.Issues
	v.Merge("name[0]", name.Validate())
	v.Merge("code", ehrkit.Coding{System: ehrkit.SystemLOINC, Code: "2345-8"}.Validate())
	err := v.Err()
	var ve *ehrkit.ValidationError
	if errors.As(err, &ve) {
		for _, is := range ve.Issues {
			fmt.Println(is.Path, is.Code)
		}
	}
	fmt.Println(errors.Is(err, ehrkit.ErrInvalid))
	// Output:
	// 1970-05 true 55
	// http://loinc.org|2345-7 5.40 mmol/L
	// name[0].family required
	// name[0].use code-invalid
	// code.code code-invalid
	// true
}

// One visit across the services, on the embedded SQLite store guarded by the
// default access policy: the front desk registers a patient and books her
// first free slot; the physician records her vital signs and signs a
// prescription, and a second one that interacts with it is refused until an
// override reason is given.
func Example_acrossServices() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "ehrkit-example-")
	defer os.RemoveAll(dir)
	clock := ehrkit.NewFakeClock(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)) // a Monday
	db, err := sqlitestore.Open(ctx, filepath.Join(dir, "clinic.db"), sqlitestore.WithClock(clock))
	if err != nil {
		log.Fatal(err)
	}
	store := access.Guard(db, access.DefaultPolicy(), access.WithClock(clock))
	defer store.Close()

	registry, _ := patient.NewService(store, patient.WithClock(clock))
	appointments := schedule.NewService(store, schedule.WithClock(clock))
	chart := clinical.NewService(store, clinical.WithClock(clock))
	orders, _ := rx.NewService(store, rx.Shipped(), rx.WithClock(clock))

	// Every call acts as the principal in its context.
	desk := access.WithPrincipal(ctx, access.Principal{Kind: access.User, ID: "desk-ana",
		Roles: []string{access.RoleFrontDesk}, Facility: "clinic-1"})
	doctor := access.WithPrincipal(ctx, access.Principal{Kind: access.User, ID: "dr-weber",
		Roles: []string{access.RolePhysician}, Facility: "clinic-1", Practitioner: "prac-weber"})

	// The front desk registers the patient (an MRN is assigned) and books.
	amara, err := registry.Register(desk, patient.Patient{
		Names:     []ehrkit.HumanName{{Family: "Okafor", Given: []string{"Amara"}}},
		Gender:    patient.GenderFemale,
		BirthDate: ehrkit.MustDate("1961-07-14"),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("registered:", amara.Identifiers[0].Value)

	weber := ehrkit.Ref(schedule.Practitioner, "prac-weber")
	visit := schedule.AppointmentType{ID: "visit", Name: "Visit", Duration: 20 * time.Minute,
		Requires: []string{schedule.Practitioner}}
	_ = appointments.PutType(desk, visit)
	_ = appointments.PutSchedule(desk, schedule.Schedule{Actor: weber, TimeZone: "Europe/Berlin",
		Availability: []schedule.Availability{{Rule: "FREQ=WEEKLY;BYDAY=MO,WE",
			From: ehrkit.NewDate(2026, 1, 5), Open: "09:00", Close: "12:00"}}})
	slots, _ := appointments.FreeSlots(desk, schedule.SlotQuery{Type: visit.ID,
		Resources: []ehrkit.Reference{weber}, Start: clock.Now(), End: clock.Now().AddDate(0, 0, 7)})
	appt, err := appointments.Book(desk, schedule.BookRequest{Type: visit.ID, Patient: amara.ID,
		Resources: []ehrkit.Reference{weber}, Start: slots[0].Start})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("booked:", appt.Start.Format(time.DateTime), "UTC,", appt.Status)

	// The physician opens the encounter and records vital signs; each is flagged.
	clock.Set(appt.Start)
	enc, err := chart.OpenEncounter(doctor, clinical.Encounter{Patient: amara.ID, Class: clinical.ClassAmbulatory})
	if err != nil {
		log.Fatal(err)
	}
	systolic, diastolic, rate := ehrkit.Qty("148", "mm[Hg]"), ehrkit.Qty("92", "mm[Hg]"), ehrkit.Qty("72", "/min")
	vitals, err := chart.RecordVitals(doctor, amara.ID, enc.ID,
		clinical.Vitals{Systolic: &systolic, Diastolic: &diastolic, HeartRate: &rate})
	if err != nil {
		log.Fatal(err)
	}
	for _, v := range vitals {
		if len(v.Components) == 0 {
			fmt.Println("vital:", v.Code, v.Value.Quantity, v.Interpretation)
		}
		for _, c := range v.Components { // blood pressure: systolic and diastolic
			fmt.Println("vital:", c.Code, c.Value.Quantity, c.Interpretation)
		}
	}

	// Orders are checked against the chart when drafted and again when signed.
	tablet := func(code, name string) rx.Order {
		return rx.Order{Patient: amara.ID, Kind: rx.KindMedication, Requester: "prac-weber",
			Medication: &rx.MedicationDetail{
				Medication: ehrkit.Coding{System: ehrkit.SystemRxNorm, Code: code, Display: name},
				Dose:       ehrkit.Qty("1", "{tbl}"), Route: "oral", FrequencyPerDay: decimal.NewFromInt(1),
				DurationDays: 30, Quantity: ehrkit.Qty("30", "{tbl}"),
			}}
	}
	simva, err := orders.Draft(doctor, tablet("312961", "Simvastatin 20 MG Oral Tablet"))
	if err == nil {
		simva, err = orders.Sign(doctor, simva.ID, "")
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("order:", simva.Medication.Medication.Display, simva.Status)

	clari, err := orders.Draft(doctor, tablet("197517", "Clarithromycin 500 MG Oral Tablet"))
	if err != nil {
		log.Fatal(err)
	}
	var alerts *rx.AlertsError
	if _, err = orders.Sign(doctor, clari.ID, ""); errors.As(err, &alerts) {
		for _, a := range alerts.Alerts {
			fmt.Println("refused:", a.Severity, a.Kind, a.Rule)
		}
	}
	clari, err = orders.Sign(doctor, clari.ID, "Simvastatin paused for the 7-day course")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("order:", clari.Medication.Medication.Display, clari.Status, "with override by", clari.Override.By)
	// Output:
	// registered: MRN000000018
	// booked: 2026-03-02 08:00:00 UTC, booked
	// vital: Heart rate 72 /min [N]
	// vital: Systolic blood pressure 148 mm[Hg] [H]
	// vital: Diastolic blood pressure 92 mm[Hg] [H]
	// order: Simvastatin 20 MG Oral Tablet active
	// refused: contraindicated drug-drug ONC-HP-25
	// order: Clarithromycin 500 MG Oral Tablet active with override by dr-weber
}
