package fhir_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/storage"
)

const encounterE1 = `{"resourceType":"Encounter","id":"e1","status":"finished",` +
	`"class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},` +
	`"subject":{"reference":"Patient/p1"},"period":{"start":"2026-03-02T09:00:00Z"}}`

// duringE1 is heartRate taken during encounter e1.
func duringE1(id, rate string) string {
	return strings.Replace(heartRate(id, "p1", rate, ""), `"effectiveDateTime"`, `"encounter":{"reference":"Encounter/e1"},"effectiveDateTime"`, 1)
}

// TestHandlerDelete: DELETE Type/id answers 204 (also a second time, R4
// http §3.1.0.7.1); then read answers 410 Gone, vread of the old version
// still works, the instance history ends with the delete entry and search
// no longer finds the resource. A patient whose compartment holds records
// and an encounter that records name are refused with 409 and an
// OperationOutcome; once their records are gone they can be deleted.
func TestHandlerDelete(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		srv := newServer(t, s)
		require.Equal(t, http.StatusCreated, srv.do(t, "admin", "PUT", "Patient/p1", patientJSON("p1", "Delete", "Dee", "1970-01-01")).status)
		res := srv.do(t, "admin", "PUT", "Encounter/e1", encounterE1)
		require.Equal(t, http.StatusCreated, res.status, "%s", res.raw)
		res = srv.do(t, "admin", "PUT", "Observation/o1", duringE1("o1", "70"))
		require.Equal(t, http.StatusCreated, res.status, "%s", res.raw)
		require.Equal(t, http.StatusOK, srv.do(t, "admin", "PUT", "Observation/o1", duringE1("o1", "72")).status)

		for _, path := range []string{"Patient/p1", "Encounter/e1"} {
			res := srv.do(t, "admin", "DELETE", path, "")
			require.Equal(t, http.StatusConflict, res.status, "%s: %s", path, res.raw)
			assert.Equal(t, "OperationOutcome", res.body["resourceType"])
			assert.Equal(t, http.StatusOK, srv.do(t, "admin", "GET", path, "").status, "%s is kept", path)
		}

		del := srv.do(t, "admin", "DELETE", "Observation/o1", "")
		require.Equal(t, http.StatusNoContent, del.status, "%s", del.raw)
		assert.Equal(t, http.StatusNoContent, srv.do(t, "admin", "DELETE", "Observation/o1", "").status, "deleting twice")
		assert.Equal(t, http.StatusNoContent, srv.do(t, "admin", "DELETE", "Observation/never", "").status)
		assert.Equal(t, 1, audited(t, s, "delete", "Observation", "o1"), "the guard audits the deletion once")

		assert.Equal(t, http.StatusGone, srv.do(t, "admin", "GET", "Observation/o1", "").status)
		v2 := srv.do(t, "admin", "GET", "Observation/o1/_history/2", "")
		require.Equal(t, http.StatusOK, v2.status, "%s", v2.raw)
		assert.EqualValues(t, 72, v2.body["valueQuantity"].(map[string]any)["value"])
		assert.Equal(t, http.StatusGone, srv.do(t, "admin", "GET", "Observation/o1/_history/3", "").status)
		hist := srv.do(t, "admin", "GET", "Observation/o1/_history", "")
		require.Equal(t, http.StatusOK, hist.status)
		assert.EqualValues(t, 3, hist.body["total"], "%s", hist.raw)
		first := hist.body["entry"].([]any)[0].(map[string]any)
		assert.Equal(t, "DELETE", first["request"].(map[string]any)["method"], "newest first: the deletion")
		assert.Empty(t, srv.do(t, "admin", "GET", "Observation?patient=p1", "").entries())

		require.Equal(t, http.StatusNoContent, srv.do(t, "admin", "DELETE", "Encounter/e1", "").status)
		require.Equal(t, http.StatusNoContent, srv.do(t, "admin", "DELETE", "Patient/p1", "").status)
		assert.Equal(t, http.StatusGone, srv.do(t, "admin", "GET", "Patient/p1", "").status)
		assert.Empty(t, srv.do(t, "admin", "GET", "Patient?family=delete", "").entries())

		assert.Equal(t, http.StatusMethodNotAllowed, srv.do(t, "admin", "DELETE", "Appointment/a1", "").status,
			"appointments are cancelled, not deleted")
	})
}

// TestHandlerConditionalDelete: DELETE Type?query in single mode: no match
// answers 204, one match is deleted, several answer 412 and delete nothing.
func TestHandlerConditionalDelete(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		srv := newServer(t, s)
		require.Equal(t, http.StatusCreated, srv.do(t, "admin", "PUT", "Patient/p1", patientJSON("p1", "Cond", "Cee", "1970-01-01")).status)
		for _, o := range [][2]string{{"o1", "70"}, {"o2", "80"}, {"o3", "80"}} {
			require.Equal(t, http.StatusCreated, srv.do(t, "admin", "PUT", "Observation/"+o[0], heartRate(o[0], "p1", o[1], "")).status)
		}
		assert.Equal(t, http.StatusNoContent, srv.do(t, "admin", "DELETE", "Observation?value-quantity=99", "").status)
		several := srv.do(t, "admin", "DELETE", "Observation?value-quantity=80", "")
		assert.Equal(t, http.StatusPreconditionFailed, several.status, "%s", several.raw)
		assert.Equal(t, "OperationOutcome", several.body["resourceType"])
		require.Equal(t, http.StatusNoContent, srv.do(t, "admin", "DELETE", "Observation?value-quantity=70", "").status)
		assert.Equal(t, http.StatusGone, srv.do(t, "admin", "GET", "Observation/o1", "").status)
		assert.Equal(t, []string{"Observation/o2", "Observation/o3"}, srv.do(t, "admin", "GET", "Observation?_sort=_id", "").entries())
	})
}

// TestHandlerDeleteScopes: deletion needs the d of SMART App Launch v2
// scopes (user/Observation.cruds); a token with user/Observation.crus is
// refused with 403 and the resource is kept.
func TestHandlerDeleteScopes(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		srv := newServer(t, s)
		srv.tokens["nod"] = fhir.Authorization{Principal: admin, Scopes: "user/Observation.crus user/Patient.rs"}
		srv.tokens["d"] = fhir.Authorization{Principal: admin, Scopes: "user/Observation.cruds"}
		require.Equal(t, http.StatusCreated, srv.do(t, "admin", "PUT", "Patient/p1", patientJSON("p1", "Scope", "Es", "1970-01-01")).status)
		require.Equal(t, http.StatusCreated, srv.do(t, "admin", "PUT", "Observation/o1", heartRate("o1", "p1", "70", "")).status)
		assert.Equal(t, http.StatusForbidden, srv.do(t, "nod", "DELETE", "Observation/o1", "").status)
		assert.Equal(t, http.StatusForbidden, srv.do(t, "nod", "DELETE", "Observation?_id=o1", "").status)
		assert.Equal(t, http.StatusForbidden, srv.do(t, "d", "DELETE", "Patient/p1", "").status)
		assert.Equal(t, http.StatusOK, srv.do(t, "admin", "GET", "Observation/o1", "").status)
		assert.Equal(t, http.StatusNoContent, srv.do(t, "d", "DELETE", "Observation/o1", "").status)
	})
}

// TestCapabilityStatementDelete: the types that offer deletion list the
// delete interaction and conditionalDelete single, with value-quantity
// (type quantity) among Observation's parameters; the others list neither.
func TestCapabilityStatementDelete(t *testing.T) {
	srv := newServer(t, testbackends.All()[0].Open(t, ehrkit.RealClock{}))
	res := srv.do(t, "", "GET", "metadata", "")
	require.Equal(t, http.StatusOK, res.status)
	deletes := map[string]bool{}
	var quantity string
	for _, r := range res.body["rest"].([]any)[0].(map[string]any)["resource"].([]any) {
		m := r.(map[string]any)
		typ := m["type"].(string)
		var has bool
		for _, i := range m["interaction"].([]any) {
			has = has || i.(map[string]any)["code"] == "delete"
		}
		cond, _ := m["conditionalDelete"].(string)
		assert.Equal(t, has, cond == "single", typ)
		deletes[typ] = has
		for _, p := range m["searchParam"].([]any) {
			if pm := p.(map[string]any); typ == "Observation" && pm["name"] == "value-quantity" {
				quantity = pm["type"].(string)
			}
		}
	}
	for _, typ := range []string{"Patient", "Observation", "Encounter", "Condition", "AllergyIntolerance", "Procedure", "Immunization", "CarePlan", "Goal", "DocumentReference", "QuestionnaireResponse", "ImagingStudy"} {
		assert.True(t, deletes[typ], typ)
	}
	for _, typ := range []string{"MedicationRequest", "ServiceRequest", "Appointment", "Schedule", "DiagnosticReport", "Practitioner", "Organization", "Location", "PractitionerRole"} {
		assert.False(t, deletes[typ], typ)
	}
	assert.Equal(t, "quantity", quantity)
}

// TestTransactionDelete: DELETE Type/id entries of a transaction Bundle run
// through the owning services in its one storage.Update (R4 http
// §3.1.0.11.2: deletes are processed first): they answer 204 No Content
// beside the other entries; a refused deletion fails the whole transaction
// with 409 naming Bundle.entry[i], and nothing of it is kept.
func TestTransactionDelete(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		srv := newServer(t, s)
		require.Equal(t, http.StatusCreated, srv.do(t, "admin", "PUT", "Patient/p1", patientJSON("p1", "Trans", "Tee", "1970-01-01")).status)
		require.Equal(t, http.StatusCreated, srv.do(t, "admin", "PUT", "Observation/o1", heartRate("o1", "p1", "70", "")).status)
		entry := func(method, url, resource string) string {
			e := `{"request":{"method":"` + method + `","url":"` + url + `"}`
			if resource != "" {
				e += `,"resource":` + resource
			}
			return e + "}"
		}
		bundle := func(entries ...string) string {
			return `{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join(entries, ",") + `]}`
		}

		refused := srv.do(t, "admin", "POST", "", bundle(
			entry("PUT", "Observation/o2", heartRate("o2", "p1", "80", "")),
			entry("DELETE", "Patient/p1", "")))
		require.Equal(t, http.StatusConflict, refused.status, "%s", refused.raw)
		assert.Contains(t, string(refused.raw), "Bundle.entry[1]")
		assert.Equal(t, http.StatusNotFound, srv.do(t, "admin", "GET", "Observation/o2", "").status, "nothing of it is kept")

		res := srv.do(t, "admin", "POST", "", bundle(
			entry("DELETE", "Observation/o1", ""),
			entry("PUT", "Observation/o2", heartRate("o2", "p1", "80", ""))))
		require.Equal(t, http.StatusOK, res.status, "%s", res.raw)
		statuses := []string{}
		for _, e := range res.body["entry"].([]any) {
			statuses = append(statuses, e.(map[string]any)["response"].(map[string]any)["status"].(string))
		}
		assert.Equal(t, []string{"204 No Content", "201 Created"}, statuses)
		assert.Equal(t, http.StatusGone, srv.do(t, "admin", "GET", "Observation/o1", "").status)
		assert.Equal(t, http.StatusOK, srv.do(t, "admin", "GET", "Observation/o2", "").status)
	})
}

// audited counts the successful audit events of action on typ/id in the
// store under the guard.
func audited(t *testing.T, s storage.Store, action, typ, id string) int {
	t.Helper()
	n := 0
	q := storage.Query{Type: access.AuditEventType, Limit: storage.MaxLimit}
	for {
		page, err := s.Query(t.Context(), q)
		require.NoError(t, err)
		for _, r := range page.Records {
			ev, err := access.DecodeEvent(r)
			require.NoError(t, err)
			if ev.Action == action && ev.Type == typ && ev.ID == id && ev.Outcome == access.Success {
				n++
			}
		}
		if page.Next == "" {
			return n
		}
		q.Cursor = page.Next
	}
}
