package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fhirGet sends a FHIR read or search with the development token (none
// when token is ""), returning the status and the decoded JSON body.
func fhirGet(t *testing.T, base, path, token string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/fhir/"+path, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "application/fhir+json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
	return res.StatusCode, body
}

// TestFHIRMounted: the clinic serves its own store as FHIR R4 under /fhir
// to the demo logins' development tokens, through the same access policy
// as its pages, and refuses a request without a token (401,
// OperationOutcome).
func TestFHIRMounted(t *testing.T) {
	base := startClinic(t)

	status, body := fhirGet(t, base, "Patient?identifier="+url.QueryEscape(systemCast+"|jose"), "demo-physician")
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, "Bundle", body["resourceType"])
	entries, _ := body["entry"].([]any)
	require.Len(t, entries, 1, "the seeded José is found by his identifier")
	id := entries[0].(map[string]any)["resource"].(map[string]any)["id"].(string)

	status, body = fhirGet(t, base, "Patient/"+id, "demo-physician")
	require.Equal(t, http.StatusOK, status, "%v", body)
	assert.Equal(t, "Patient", body["resourceType"])
	assert.Equal(t, "Müller-Lüdenscheidt", body["name"].([]any)[0].(map[string]any)["family"])

	status, body = fhirGet(t, base, "Patient/"+id, "demo-portal")
	assert.Equal(t, http.StatusOK, status, "the portal reads its own patient: %v", body)

	for _, token := range []string{"", "demo-nobody", "not-a-demo-token"} {
		status, body = fhirGet(t, base, "Patient/"+id, token)
		assert.Equal(t, http.StatusUnauthorized, status, "token %q", token)
		assert.Equal(t, "OperationOutcome", body["resourceType"], "token %q", token)
	}
}
