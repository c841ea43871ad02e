package clinical_test

import (
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVitalRangesForAge checks the age bands against the PALS 2020 tables and
// the adult ranges against ACC/AHA 2017 and the MERIT calling criteria.
func TestVitalRangesForAge(t *testing.T) {
	on := ehrkit.MustDate("2026-11-25")
	tests := []struct {
		name, birth, code string
		q                 ehrkit.Quantity
		want              string
		reference         string
	}{
		{"newborn heart rate 150", "2026-11-20", clinical.LOINCHeartRate, qty("150", "/min"), "N", "PALS: 85-205 from birth to 3 months"},
		{"newborn respiratory rate 45", "2026-11-20", clinical.LOINCRespiratoryRate, qty("45", "/min"), "N", "PALS: 30-53 under 1 year"},
		{"newborn systolic 55 is hypotension", "2026-11-20", clinical.LOINCSystolic, qty("55", "mm[Hg]"), "LL", "PALS: < 60 in term neonates"},
		{"infant heart rate 95 is low", "2026-02-01", clinical.LOINCHeartRate, qty("95", "/min"), "L", "PALS: 100-190 from 3 months to 2 years"},
		{"infant systolic 68 is hypotension", "2026-02-01", clinical.LOINCSystolic, qty("68", "mm[Hg]"), "LL", "PALS: < 70 in infants"},
		{"four-year-old heart rate 120", "2022-06-01", clinical.LOINCHeartRate, qty("120", "/min"), "N", "PALS: 60-140 from 2 to 10 years"},
		{"four-year-old respiratory rate 32 is high", "2022-06-01", clinical.LOINCRespiratoryRate, qty("32", "/min"), "H", "PALS: 20-28 at 3-5 years"},
		{"four-year-old systolic 76 is hypotension", "2022-06-01", clinical.LOINCSystolic, qty("76", "mm[Hg]"), "LL", "PALS: < 70 + 2 x 4 = 78"},
		{"four-year-old systolic 125: no limit without height percentiles", "2022-06-01", clinical.LOINCSystolic, qty("125", "mm[Hg]"), "N", "AAP 2017 percentile tables"},
		{"eight-year-old respiratory rate 22", "2018-06-01", clinical.LOINCRespiratoryRate, qty("22", "/min"), "N", "PALS: 18-25 at 6-11 years"},
		{"fifteen-year-old systolic 125 is elevated", "2011-06-01", clinical.LOINCSystolic, qty("125", "mm[Hg]"), "H", "AAP 2017: adult thresholds from 13 years"},
		{"adult heart rate 150 is critical", "1970-01-01", clinical.LOINCHeartRate, qty("150", "/min"), "HH", "MERIT: > 140"},
		{"adult heart rate 35 is critical", "1970-01-01", clinical.LOINCHeartRate, qty("35", "/min"), "LL", "MERIT: < 40"},
		{"adult heart rate 120 is high", "1970-01-01", clinical.LOINCHeartRate, qty("120", "/min"), "H", "StatPearls: 60-100"},
		{"adult respiratory rate 40 is critical", "1970-01-01", clinical.LOINCRespiratoryRate, qty("40", "/min"), "HH", "MERIT: > 36"},
		{"adult SpO2 88 is critical", "1970-01-01", clinical.LOINCOxygenSaturation, qty("88", "%"), "LL", "MERIT: < 90 %"},
		{"systolic 120 is not normal", "1970-01-01", clinical.LOINCSystolic, qty("120", "mm[Hg]"), "H", "ACC/AHA 2017: 120-129 elevated"},
		{"diastolic 80 is not normal", "1970-01-01", clinical.LOINCDiastolic, qty("80", "mm[Hg]"), "H", "ACC/AHA 2017: 80-89 stage 1"},
		{"systolic 119 is normal", "1970-01-01", clinical.LOINCSystolic, qty("119", "mm[Hg]"), "N", "ACC/AHA 2017: < 120"},
		{"systolic 185 is a crisis", "1970-01-01", clinical.LOINCSystolic, qty("185", "mm[Hg]"), "HH", "ACC/AHA 2017: > 180"},
		{"diastolic 125 is a crisis", "1970-01-01", clinical.LOINCDiastolic, qty("125", "mm[Hg]"), "HH", "ACC/AHA 2017: > 120"},
		{"heart rate in LOINC's {beats}/min", "1970-01-01", clinical.LOINCHeartRate, qty("72", "{beats}/min"), "N", "LOINC 8867-4 example unit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := clinical.VitalRangesForAge(ehrkit.MustDate(tt.birth), on)
			require.True(t, ok)
			assert.Equal(t, tt.want, r.Flag(tt.code, tt.q), tt.reference)
		})
	}
	_, ok := clinical.VitalRangesForAge(ehrkit.MustDate("1970"), on)
	assert.False(t, ok, "a year alone does not tell a child's band")
}

func TestBandOf(t *testing.T) {
	on := ehrkit.MustDate("2026-11-25")
	for birth, want := range map[string]clinical.AgeBand{
		"2026-11-01": clinical.BandNeonate, "2026-10-20": clinical.BandInfant, "2025-06-01": clinical.BandToddler,
		"2022-01-01": clinical.BandPreschool, "2017-01-01": clinical.BandSchoolAge, "2010-01-01": clinical.BandAdolescent,
		"2008-11-25": clinical.BandAdult,
	} {
		got, ok := clinical.BandOf(ehrkit.MustDate(birth), on)
		assert.True(t, ok, birth)
		assert.Equal(t, want, got, birth)
	}
}

// TestClassifyBloodPressure: the 2017 ACC/AHA categories (Whelton 2018,
// table 6; crisis in section 11.2).
func TestClassifyBloodPressure(t *testing.T) {
	tests := []struct {
		sys, dia string
		want     clinical.BPCategory
	}{
		{"118", "78", clinical.BPNormal},
		{"120", "78", clinical.BPElevated},
		{"129", "79", clinical.BPElevated},
		{"119", "80", clinical.BPStage1},
		{"132", "78", clinical.BPStage1},
		{"142", "70", clinical.BPStage2},
		{"128", "92", clinical.BPStage2},
		{"181", "100", clinical.BPCrisis},
		{"150", "121", clinical.BPCrisis},
		{"180", "120", clinical.BPStage2},
	}
	for _, tt := range tests {
		got, ok := clinical.ClassifyBloodPressure(qty(tt.sys, "mm[Hg]"), qty(tt.dia, "mm[Hg]"))
		assert.True(t, ok)
		assert.Equal(t, tt.want, got, "%s/%s", tt.sys, tt.dia)
	}
	got, ok := clinical.ClassifyBloodPressure(qty("24", "kPa"), qty("10", "kPa"))
	assert.True(t, ok)
	assert.Equal(t, clinical.BPCrisis, got, "24 kPa is 180.02 mm[Hg]")
	_, ok = clinical.ClassifyBloodPressure(qty("120", "kg"), qty("80", "mm[Hg]"))
	assert.False(t, ok)
}

// TestComparators: a value sent with a comparator is flagged only when every
// value it allows falls in one category.
func TestComparators(t *testing.T) {
	r := clinical.AdultVitalRanges()
	with := func(c, v, unit string) ehrkit.Quantity {
		q := qty(v, unit)
		q.Comparator = c
		return q
	}
	assert.Equal(t, "LL", r.Flag(clinical.LOINCSystolic, with("<", "90", "mm[Hg]")))
	assert.Equal(t, "", r.Flag(clinical.LOINCSystolic, with("<", "130", "mm[Hg]")), "could be anything below 130")
	assert.Equal(t, "HH", r.Flag(clinical.LOINCHeartRate, with(">", "150", "/min")))
	assert.Equal(t, "", r.Flag(clinical.LOINCHeartRate, with(">", "90", "/min")))
	assert.Equal(t, "", r.Flag(clinical.LOINCRespiratoryRate, with("<=", "11", "/min")), "spans low (5-11) and critical (< 5)")
	assert.Equal(t, "LL", r.Flag(clinical.LOINCRespiratoryRate, with("<=", "4", "/min")))
}

// TestPlausibility: impossible values are refused with the path of the value.
func TestPlausibility(t *testing.T) {
	obs := func(code, v, unit string) *clinical.Observation {
		return &clinical.Observation{Patient: "p1", Status: clinical.ObservationFinal, Categories: []string{clinical.CategoryVitalSigns},
			Code: loinc(code, ""), Effective: fixed, Value: clinical.QuantityValue(qty(v, unit))}
	}
	for _, bad := range []*clinical.Observation{
		obs(clinical.LOINCOxygenSaturation, "101", "%"),
		obs(clinical.LOINCHeartRate, "1000", "/min"),
		obs(clinical.LOINCBodyTemperature, "98.6", "Cel"),
		obs(clinical.LOINCBodyWeight, "-3", "kg"),
		obs(clinical.LOINCBodyWeight, "0", "kg"), // a body has a weight
		obs(clinical.LOINCBodyHeight, "0", "cm"),
	} {
		assert.Contains(t, issues(t, bad.Validate()), "value.quantity.value value", bad.Value.Quantity)
	}
	assert.NoError(t, obs(clinical.LOINCOxygenSaturation, "100", "%").Validate())
	assert.NoError(t, obs(clinical.LOINCHeartRate, "0", "/min").Validate(), "an arrest is recorded as a rate of 0")
	assert.NoError(t, obs(clinical.LOINCBodyWeight, "0.4", "kg").Validate(), "an extremely premature newborn")
	assert.NoError(t, obs(clinical.LOINCBodyTemperature, "98.6", "[degF]").Validate())
	assert.NoError(t, obs(clinical.LOINCHeartRate, "72", "{beats}/min").Validate(), "LOINC's unit for 8867-4")
}

// TestSenderFlagKept: a sender's critical flag is stored as sent; the
// disagreement with the computed flag is surfaced, on every backend.
func TestSenderFlagKept(t *testing.T) {
	runEnv(t, func(t *testing.T, e env) {
		o := clinical.Observation{Patient: "p1", Status: clinical.ObservationFinal, Categories: []string{clinical.CategoryVitalSigns},
			Code: loinc(clinical.LOINCHeartRate, "Heart rate"), Effective: fixed, Value: clinical.QuantityValue(qty("55", "/min")),
			Interpretation: []string{"LL"}}
		got, err := e.svc.RecordObservation(e.ctx, o)
		require.NoError(t, err)
		assert.Equal(t, []string{"LL"}, got.Interpretation, "kept as sent")
		stored, err := e.svc.Observations(e.ctx, "p1", ehrkit.Coding{System: ehrkit.SystemLOINC, Code: clinical.LOINCHeartRate})
		require.NoError(t, err)
		require.Len(t, stored, 1)
		assert.Equal(t, []string{"LL"}, stored[0].Interpretation)
		assert.Equal(t, []clinical.Disagreement{{Path: "value", Sent: []string{"LL"}, Computed: "L"}},
			clinical.AdultVitalRanges().Disagreements(stored[0]))

		// A correction keeps the sender's flag; a computed flag is recomputed.
		fixedHR, err := e.svc.UpdateObservation(e.ctx, got.ID, func(o *clinical.Observation) error {
			o.Status = clinical.ObservationAmended
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, []string{"LL"}, fixedHR.Interpretation)
	}, clinical.WithVitalRanges(clinical.AdultVitalRanges()))
}

// TestServiceFlagsByAge: without WithVitalRanges the service flags each
// patient's vital signs against the ranges of their age, on every backend.
func TestServiceFlagsByAge(t *testing.T) {
	clock := ehrkit.NewFakeClock(fixed)
	testbackends.RunClock(t, clock, func(t *testing.T, s storage.Store) {
		ctx := access.WithPrincipal(t.Context(), physician)
		require.NoError(t, s.Update(ctx, func(tx storage.Tx) error {
			for id, birth := range map[string]string{"infant": "2025-12-01", "adult": "1970-01-01"} {
				rec := storage.Record{Type: patient.RecordType, ID: id, Compartment: id,
					Value: []byte(`{"v":1,"d":{"id":"` + id + `","birthDate":"` + birth + `"}}`)}
				if _, err := tx.Put(ctx, rec, 0); err != nil {
					return err
				}
			}
			return nil
		}))
		svc := clinical.NewService(trusted(s), clinical.WithClock(clock), clinical.WithIDs(&ehrkit.SeqIDs{Prefix: "v-"}))
		flag := func(p patient.ID) []string {
			obs, err := svc.RecordVitals(ctx, p, "", clinical.Vitals{HeartRate: qp("150", "/min")})
			require.NoError(t, err)
			return obs[0].Interpretation
		}
		assert.Equal(t, []string{"N"}, flag("infant"), "PALS: 100-190 /min at 3 months to 2 years")
		assert.Equal(t, []string{"HH"}, flag("adult"), "MERIT: > 140 /min")
	})
}
