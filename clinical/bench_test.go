package clinical_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/stretchr/testify/require"
)

func BenchmarkCheckUnit(b *testing.B) {
	for b.Loop() {
		_ = clinical.CheckUnit("mL/min/{1.73_m2}")
	}
}

func BenchmarkConvert(b *testing.B) {
	q := qty("101.3", "[degF]")
	for b.Loop() {
		_, _ = clinical.Convert(q, "Cel")
	}
}

func BenchmarkObservationValidate(b *testing.B) {
	o := clinical.Observation{Patient: "p1", Status: clinical.ObservationFinal, Code: loinc(clinical.LOINCBloodPressure, ""), Effective: fixed,
		Components: []clinical.Component{
			{Code: loinc(clinical.LOINCSystolic, ""), Value: clinical.QuantityValue(qty("120", "mm[Hg]"))},
			{Code: loinc(clinical.LOINCDiastolic, ""), Value: clinical.QuantityValue(qty("80", "mm[Hg]"))},
		}}
	for b.Loop() {
		_ = o.Validate()
	}
}

func BenchmarkFormCheck(b *testing.B) {
	f := builtin(b, clinical.FormIntake)
	r := validIntake()
	for b.Loop() {
		_ = f.Check(&r)
	}
}

func BenchmarkPHQ9Extract(b *testing.B) {
	f := builtin(b, clinical.FormPHQ9)
	r := phq9Response(2, 2, 1, 1, 1, 0, 0, 0, 0)
	for b.Loop() {
		_, _ = f.Extract(&r)
	}
}

// BenchmarkRecordVitals records a set of vital signs on each backend: heart
// rate, temperature, height, weight, a blood-pressure panel and the derived
// BMI, six observations in one transaction.
func BenchmarkRecordVitals(b *testing.B) {
	v := clinical.Vitals{HeartRate: qp("72", "/min"), Temperature: qp("37", "Cel"), Height: qp("172", "cm"), Weight: qp("81", "kg"),
		Systolic: qp("120", "mm[Hg]"), Diastolic: qp("80", "mm[Hg]")}
	for _, be := range testbackends.All() {
		b.Run(be.Name, func(b *testing.B) {
			clock := ehrkit.NewFakeClock(fixed)
			s := be.Open(b, clock)
			ctx := access.WithPrincipal(b.Context(), physician)
			addPatientsTB(b, ctx, s, "p1")
			svc := clinical.NewService(s, clinical.WithClock(clock))
			for b.Loop() {
				if _, err := svc.RecordVitals(ctx, "p1", "", v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTimeline reads the timeline of a patient with n vital-sign sets
// (6n observations) on each backend.
func BenchmarkTimeline(b *testing.B) {
	for _, n := range []int{10, 100} {
		for _, be := range testbackends.All() {
			b.Run(fmt.Sprintf("%s/sets=%d", be.Name, n), func(b *testing.B) {
				clock := ehrkit.NewFakeClock(fixed)
				s := be.Open(b, clock)
				ctx := access.WithPrincipal(b.Context(), physician)
				addPatientsTB(b, ctx, s, "p1")
				svc := clinical.NewService(s, clinical.WithClock(clock))
				for range n {
					clock.Advance(time.Hour)
					_, err := svc.RecordVitals(ctx, "p1", "", clinical.Vitals{HeartRate: qp("72", "/min"), Temperature: qp("37", "Cel"),
						Height: qp("172", "cm"), Weight: qp("81", "kg"), Systolic: qp("120", "mm[Hg]"), Diastolic: qp("80", "mm[Hg]")})
					require.NoError(b, err)
				}
				for b.Loop() {
					tl, err := svc.Timeline(ctx, "p1")
					if err != nil || len(tl) != 6*n {
						b.Fatal(err, len(tl))
					}
				}
			})
		}
	}
}
