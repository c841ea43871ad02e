package fhir_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/directory"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/schedule"
	"github.com/ehrkit/ehrkit/storage"
)

// admin is the principal of the "admin" test token.
var admin = access.Principal{Kind: access.User, ID: "admin-1", Roles: []string{access.RoleAdministrator}}

// server serves the FHIR handler over a guarded store under /fhir, with test
// tokens: "admin" (every scope), and those added to tokens.
type server struct {
	*httptest.Server
	store  *access.Store
	tokens map[string]fhir.Authorization
}

func newServer(t testing.TB, s storage.Store) *server {
	t.Helper()
	policy, err := access.DefaultPolicy(patient.Groups(), directory.Groups(), clinical.Groups(), schedule.Groups(), rx.Groups(), lab.Groups(), fhir.Groups())
	require.NoError(t, err)
	g := access.Guard(s, policy)
	services, err := fhir.NewServices(g)
	require.NoError(t, err)
	srv := &server{store: g, tokens: map[string]fhir.Authorization{
		"admin": {Principal: admin, Scopes: "user/*.cruds"},
	}}
	var mu sync.Mutex
	verify := fhir.TokenVerifierFunc(func(_ context.Context, token string) (fhir.Authorization, error) {
		mu.Lock()
		defer mu.Unlock()
		a, ok := srv.tokens[token]
		if !ok {
			return fhir.Authorization{}, errors.New("unknown token")
		}
		return a, nil
	})
	h, err := fhir.NewHandler(g, services, fhir.WithTokenVerifier(verify))
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/fhir/", http.StripPrefix("/fhir", h))
	srv.Server = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// response is a decoded response.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (s *server) do(t testing.TB, token, method, path string, body string, headers ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+"/fhir/"+strings.TrimPrefix(path, "/"), rd)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", fhir.ContentType)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	out := response{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &out.body), "%s", raw)
	}
	return out
}

// issues returns the (code, expression) pairs of an OperationOutcome.
func (r response) issues() [][2]string {
	var out [][2]string
	list, _ := r.body["issue"].([]any)
	for _, i := range list {
		m := i.(map[string]any)
		code, _ := m["code"].(string)
		exprs, _ := m["expression"].([]any)
		if len(exprs) == 0 {
			out = append(out, [2]string{code, ""})
		}
		for _, e := range exprs {
			out = append(out, [2]string{code, e.(string)})
		}
	}
	return out
}

// entries returns "Type/id" of the entries of a Bundle, with their search
// mode when they have one ("Type/id include").
func (r response) entries() []string {
	var out []string
	list, _ := r.body["entry"].([]any)
	for _, e := range list {
		m := e.(map[string]any)
		res, _ := m["resource"].(map[string]any)
		s := res["resourceType"].(string) + "/" + res["id"].(string)
		if sm, ok := m["search"].(map[string]any); ok && sm["mode"] != "match" {
			s += " " + sm["mode"].(string)
		}
		out = append(out, s)
	}
	return out
}

func (r response) link(rel string) string {
	list, _ := r.body["link"].([]any)
	for _, l := range list {
		m := l.(map[string]any)
		if m["relation"] == rel {
			return m["url"].(string)
		}
	}
	return ""
}

func patientJSON(id, family, given, birth string, extra ...string) string {
	s := `{"resourceType":"Patient"`
	if id != "" {
		s += `,"id":"` + id + `"`
	}
	s += `,"name":[{"family":"` + family + `","given":["` + given + `"]}],"gender":"female","birthDate":"` + birth + `"`
	for _, e := range extra {
		s += "," + e
	}
	return s + "}"
}

// TestHandlerCRUD: create assigns an id and answers 201 with Location and
// ETag W/"1"; read answers the resource with its meta, 304 for the version
// the client holds; update with the current If-Match makes version 2, with
// a stale one 412; vread reads either version.
func TestHandlerCRUD(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		srv := newServer(t, s)
		res := srv.do(t, "admin", "POST", "Patient", patientJSON("", "Okafor", "Ada", "1980-02-03"))
		require.Equal(t, http.StatusCreated, res.status, "%s", res.raw)
		assert.Equal(t, `W/"1"`, res.header.Get("ETag"))
		id := res.body["id"].(string)
		assert.Equal(t, srv.URL+"/fhir/Patient/"+id+"/_history/1", res.header.Get("Location"))
		assert.Equal(t, "1", res.body["meta"].(map[string]any)["versionId"])

		got := srv.do(t, "admin", "GET", "Patient/"+id, "")
		require.Equal(t, http.StatusOK, got.status)
		assert.Equal(t, "Okafor", got.body["name"].([]any)[0].(map[string]any)["family"])
		assert.NotEmpty(t, got.header.Get("Last-Modified"))
		assert.Equal(t, http.StatusNotModified, srv.do(t, "admin", "GET", "Patient/"+id, "", "If-None-Match", `W/"1"`).status)

		upd := srv.do(t, "admin", "PUT", "Patient/"+id, patientJSON(id, "Okafor-Eze", "Ada", "1980-02-03"), "If-Match", `W/"1"`)
		require.Equal(t, http.StatusOK, upd.status, "%s", upd.raw)
		assert.Equal(t, `W/"2"`, upd.header.Get("ETag"))
		stale := srv.do(t, "admin", "PUT", "Patient/"+id, patientJSON(id, "Stale", "Ada", "1980-02-03"), "If-Match", `W/"1"`)
		assert.Equal(t, http.StatusPreconditionFailed, stale.status)
		assert.Equal(t, "OperationOutcome", stale.body["resourceType"])

		v1 := srv.do(t, "admin", "GET", "Patient/"+id+"/_history/1", "")
		require.Equal(t, http.StatusOK, v1.status)
		assert.Equal(t, "Okafor", v1.body["name"].([]any)[0].(map[string]any)["family"])
		assert.Equal(t, http.StatusNotFound, srv.do(t, "admin", "GET", "Patient/nobody", "").status)
		assert.Equal(t, http.StatusUnauthorized, srv.do(t, "", "GET", "Patient/"+id, "").status)
		assert.Equal(t, http.StatusUnauthorized, srv.do(t, "forged", "GET", "Patient/"+id, "").status)

		hist := srv.do(t, "admin", "GET", "Patient/"+id+"/_history", "")
		require.Equal(t, http.StatusOK, hist.status)
		assert.Equal(t, []string{"Patient/" + id, "Patient/" + id}, hist.entries())
		assert.EqualValues(t, 2, hist.body["total"])
	})
}

// TestHandlerValidationOutcome: a resource the domain refuses answers 422
// with one issue per problem, each with the FHIRPath expression of the
// element (an Observation's patient is its subject); a body that is not R4
// answers 400.
func TestHandlerValidationOutcome(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		srv := newServer(t, s)
		res := srv.do(t, "admin", "POST", "Observation", heartRate("x", "nobody", "70", ""))
		require.Equal(t, http.StatusUnprocessableEntity, res.status, "%s", res.raw)
		assert.Contains(t, res.issues(), [2]string{"value", "Observation.subject"}, "%s", res.raw)

		bad := srv.do(t, "admin", "POST", "Patient", `{"resourceType":"Patient","gender":"sometimes"}`)
		assert.Equal(t, http.StatusBadRequest, bad.status, "%s", bad.raw)
		assert.Equal(t, http.StatusBadRequest, srv.do(t, "admin", "GET", "Patient?nonsense=1", "").status)
	})
}

// TestConditionalCreateConcurrent: twenty clients creating the same patient
// with one If-None-Exist at once leave exactly one patient; one is told 201,
// the others 200 with that patient.
func TestConditionalCreateConcurrent(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		srv := newServer(t, s)
		body := patientJSON("", "Concurrent", "Cy", "1990-01-01", `"identifier":[{"system":"urn:test:mrn","value":"C-1"}]`)
		var wg sync.WaitGroup
		statuses := make([]int, 20)
		ids := make([]string, 20)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := srv.do(t, "admin", "POST", "Patient", body, "If-None-Exist", "identifier=urn:test:mrn|C-1")
				statuses[i] = res.status
				if id, ok := res.body["id"].(string); ok {
					ids[i] = id
				}
			}()
		}
		wg.Wait()
		created := 0
		for i, st := range statuses {
			require.Contains(t, []int{http.StatusCreated, http.StatusOK}, st)
			if st == http.StatusCreated {
				created++
			}
			assert.Equal(t, ids[0], ids[i])
		}
		assert.Equal(t, 1, created)
		found := srv.do(t, "admin", "GET", "Patient?family=concurrent", "")
		assert.Equal(t, []string{"Patient/" + ids[0]}, found.entries())
	})
}

// TestIfMatchRace: twenty clients updating version 1 at once: exactly one
// succeeds, the others are told 412.
func TestIfMatchRace(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		srv := newServer(t, s)
		res := srv.do(t, "admin", "POST", "Patient", patientJSON("", "Race", "Rae", "1970-01-01"))
		require.Equal(t, http.StatusCreated, res.status)
		id := res.body["id"].(string)
		var wg sync.WaitGroup
		statuses := make([]int, 20)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				given := string(rune('A' + i))
				statuses[i] = srv.do(t, "admin", "PUT", "Patient/"+id, patientJSON(id, "Race", given, "1970-01-01"), "If-Match", `W/"1"`).status
			}()
		}
		wg.Wait()
		ok, failed := 0, 0
		for _, st := range statuses {
			switch st {
			case http.StatusOK:
				ok++
			case http.StatusPreconditionFailed:
				failed++
			}
		}
		assert.Equal(t, 1, ok)
		assert.Equal(t, 19, failed)
		assert.Equal(t, `W/"2"`, srv.do(t, "admin", "GET", "Patient/"+id, "").header.Get("ETag"))
	})
}

// labObservation is a laboratory Observation (LOINC 2345-7 glucose) of
// patient pid at the given time.
func labObservation(pid, at string) string {
	return `{"resourceType":"Observation","status":"final",
	 "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],
	 "code":{"coding":[{"system":"http://loinc.org","code":"2345-7","display":"Glucose"}]},
	 "subject":{"reference":"Patient/` + pid + `"},"effectiveDateTime":"` + at + `",
	 "valueQuantity":{"value":95,"unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"}}`
}

// TestHandlerSearch: search by name, token, date prefixes, modifiers and
// the patient compartment; paging with _count follows next links through
// every result once; _include brings the patient; _revinclude brings the
// observations; _summary=count counts.
func TestHandlerSearch(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		srv := newServer(t, s)
		for _, p := range []string{
			patientJSON("p1", "Müller", "Ana", "1970-05-01", `"identifier":[{"system":"urn:mrn","value":"M1"}]`),
			patientJSON("p2", "Miller", "Bo", "1985-07-09"),
		} {
			require.Equal(t, http.StatusCreated, srv.do(t, "admin", "PUT", "Patient/"+strings.Split(strings.Split(p, `"id":"`)[1], `"`)[0], p).status)
		}
		for i, at := range []string{"2026-01-05T08:00:00Z", "2026-02-05T08:00:00Z", "2026-03-05T08:00:00Z", "2026-04-05T08:00:00Z", "2026-05-05T08:00:00Z"} {
			pid := "p1"
			if i == 4 {
				pid = "p2"
			}
			require.Equal(t, http.StatusCreated, srv.do(t, "admin", "POST", "Observation", labObservation(pid, at)).status)
		}
		ids := func(path string) []string { return srv.do(t, "admin", "GET", path, "").entries() }
		assert.Equal(t, []string{"Patient/p1"}, ids("Patient?name=mull"), "a name prefix, diacritics folded")
		assert.Equal(t, []string{"Patient/p1"}, ids("Patient?family:exact=muller"))
		assert.Equal(t, []string{"Patient/p2"}, ids("Patient?name:contains=ill"))
		assert.Equal(t, []string{"Patient/p1"}, ids("Patient?identifier=urn:mrn|M1"))
		assert.Equal(t, []string{"Patient/p1"}, ids("Patient?identifier=M1"))
		assert.Equal(t, []string{"Patient/p2"}, ids("Patient?identifier:missing=true"))
		assert.Equal(t, []string{"Patient/p2"}, ids("Patient?birthdate=gt1980"))
		assert.Equal(t, []string{"Patient/p1"}, ids("Patient?birthdate=1970-05"))
		assert.Equal(t, []string{"Patient/p2"}, ids("Patient?birthdate=ne1970-05-01"))
		assert.Len(t, ids("Observation?patient=p1&date=ge2026-02-05&date=lt2026-04"), 2)
		assert.Len(t, ids("Observation?subject=Patient/p1&date=sa2026-02-05"), 2)
		assert.Len(t, ids("Patient/p1/Observation?code=http://loinc.org|2345-7"), 4)
		assert.Empty(t, ids("Patient/p1/Observation?code:not=2345-7"))
		assert.Len(t, ids("Observation?category=laboratory,vital-signs"), 5)

		// paging: two at a time through all four of p1's, newest first
		var seen []string
		next := "Observation?patient=p1&_count=2&_sort=-date"
		pages := 0
		for next != "" {
			res := srv.do(t, "admin", "GET", strings.TrimPrefix(next, srv.URL+"/fhir/"), "")
			require.Equal(t, http.StatusOK, res.status, "%s", res.raw)
			seen = append(seen, res.entries()...)
			next = res.link("next")
			pages++
		}
		assert.Len(t, seen, 4)
		assert.GreaterOrEqual(t, pages, 2)
		var dates []string
		page := srv.do(t, "admin", "GET", "Observation?patient=p1&_sort=-date", "")
		for _, e := range page.body["entry"].([]any) {
			dates = append(dates, e.(map[string]any)["resource"].(map[string]any)["effectiveDateTime"].(string))
		}
		assert.IsDecreasing(t, dates)

		inc := srv.do(t, "admin", "GET", "Observation?patient=p2&_include=Observation:patient", "")
		assert.Contains(t, inc.entries(), "Patient/p2 include")
		assert.Len(t, inc.entries(), 2)
		rev := srv.do(t, "admin", "GET", "Patient?_id=p2&_revinclude=Observation:patient", "")
		assert.Len(t, rev.entries(), 2)
		cnt := srv.do(t, "admin", "GET", "Observation?patient=p1&_summary=count", "")
		assert.EqualValues(t, 4, cnt.body["total"])
		assert.Empty(t, cnt.entries())
		tot := srv.do(t, "admin", "GET", "Observation?_count=1&_total=accurate", "")
		assert.EqualValues(t, 5, tot.body["total"])
		post := srv.do(t, "admin", "POST", "Observation/_search", "patient=p2", "Content-Type", "application/x-www-form-urlencoded")
		assert.Len(t, post.entries(), 1, "%s", post.raw)
	})
}
