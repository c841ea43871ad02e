package fhir_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
)

// labResult is a final laboratory Observation of pid with a UCUM quantity.
func labResult(id, pid, loinc, value, unit string) string {
	return `{"resourceType":"Observation","id":"` + id + `","status":"final",` +
		`"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],` +
		`"code":{"coding":[{"system":"http://loinc.org","code":"` + loinc + `"}]},` +
		`"subject":{"reference":"Patient/` + pid + `"},"effectiveDateTime":"2026-03-02T09:00:00Z",` +
		`"valueQuantity":{"value":` + value + `,"unit":"` + unit + `","system":"http://unitsofmeasure.org","code":"` + unit + `"}}`
}

// TestSearchValueQuantity: value-quantity ([prefix]number|system|code, FHIR
// R4 search §3.1.1.4.9) with every prefix. Without a prefix a number stands
// for the range its precision implies (§3.1.1.4.6: 5.4 is [5.35, 5.45),
// 110 is [109.5, 110.5)); units compare after UCUM conversion (UCUM §2.2:
// d = 10^-1, m = 10^-3, so 1 g/L = 100 mg/dL). Expectations are computed by
// hand from the six results below.
func TestSearchValueQuantity(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		srv := newServer(t, s)
		require.Equal(t, http.StatusCreated, srv.do(t, "admin", "PUT", "Patient/p1", patientJSON("p1", "Quant", "Q", "1970-01-01")).status)
		// LOINC 2345-7 glucose mass/volume, 15074-8 glucose moles/volume.
		for _, o := range [][4]string{
			{"g90", "2345-7", "90", "mg/dL"},     // 0.9 g/L
			{"m540", "15074-8", "5.4", "mmol/L"}, // no conversion: compared in mmol/L
			{"m535", "15074-8", "5.35", "mmol/L"},
			{"m545", "15074-8", "5.45", "mmol/L"},
			{"g110", "2345-7", "1.1", "g/L"},   // 110 mg/dL
			{"g126", "2345-7", "126", "mg/dL"}, // 1.26 g/L
		} {
			res := srv.do(t, "admin", "PUT", "Observation/"+o[0], labResult(o[0], "p1", o[1], o[2], o[3]))
			require.Equal(t, http.StatusCreated, res.status, "%s", res.raw)
		}
		const ucum = "http://unitsofmeasure.org"
		cases := []struct {
			value string
			want  []string
		}{
			{"5.4|" + ucum + "|mmol/L", []string{"m535", "m540"}},
			{"5.4||mmol/L", []string{"m535", "m540"}},
			{"5.4", []string{"m535", "m540"}},
			{"eq5.4||mmol/L", []string{"m535", "m540"}},
			{"ne5.4||mmol/L", []string{"m545"}},
			{"gt5.4|" + ucum + "|mmol/L", []string{"m545"}},
			{"ge5.4||mmol/L", []string{"m540", "m545"}},
			{"lt5.4||mmol/L", []string{"m535"}},
			{"le5.4||mmol/L", []string{"m535", "m540"}},
			{"sa5.4||mmol/L", []string{"m545"}},
			{"eb5.4||mmol/L", nil},
			{"eb5.45||mmol/L", []string{"m535", "m540"}},
			{"ge100||mg/dL", []string{"g110", "g126"}},
			{"110||mg/dL", []string{"g110"}},
			{"lt1|" + ucum + "|g/L", []string{"g90"}},
			{"lt1|" + ucum + "|kg", nil},
			{"90", []string{"g90"}},
			{"100", nil},
			{"90|http://snomed.info/sct|mg/dL", nil},
		}
		for _, c := range cases {
			res := srv.do(t, "admin", "GET", "Observation?_sort=_id&value-quantity="+url.QueryEscape(c.value), "")
			require.Equal(t, http.StatusOK, res.status, "%s: %s", c.value, res.raw)
			var want []string
			for _, id := range c.want {
				want = append(want, "Observation/"+id)
			}
			assert.Equal(t, want, res.entries(), c.value)
		}
		for _, bad := range []string{"abc", "5.4|mmol/L", "gt"} {
			res := srv.do(t, "admin", "GET", "Observation?value-quantity="+url.QueryEscape(bad), "")
			assert.Equal(t, http.StatusBadRequest, res.status, bad)
		}
		missing := srv.do(t, "admin", "GET", "Observation?value-quantity:missing=false&_summary=count", "")
		assert.EqualValues(t, 6, missing.body["total"], "%s", missing.raw)
	})
}
