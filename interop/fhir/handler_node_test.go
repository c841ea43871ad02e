package fhir_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
)

// nodeClient returns the folder of the node FHIR client
// (testdata/node/client.mjs, fhir-kit-client from the npm registry),
// installing its packages from the lockfile when they are missing; the test
// is skipped, saying so, where node or npm is not installed.
func nodeClient(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: the node FHIR client test needs it", tool)
		}
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "node"))
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "fhir-kit-client")); err != nil {
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "npm ci: %s", out)
	}
	return dir
}

// TestNodeClient: a FHIR client from the npm registry (fhir-kit-client)
// reads the CapabilityStatement, creates, reads, updates with If-Match
// (and is told 412 for a stale one), pages a search with _include by its
// next links, and posts a transaction with urn:uuid references.
func TestNodeClient(t *testing.T) {
	dir := nodeClient(t)
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		srv := newServer(t, s)
		cmd := exec.Command("node", filepath.Join(dir, "client.mjs"), srv.URL+"/fhir", "admin")
		cmd.Dir = dir
		var stderr []byte
		out, err := cmd.Output()
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		require.NoError(t, err, "%s", stderr)
		var got struct {
			FHIRVersion         string   `json:"fhirVersion"`
			CreatedVersion      string   `json:"createdVersion"`
			ReadFamily          string   `json:"readFamily"`
			UpdatedVersion      string   `json:"updatedVersion"`
			StaleStatus         int      `json:"staleStatus"`
			Pages               int      `json:"pages"`
			Matches             int      `json:"matches"`
			Included            int      `json:"included"`
			TransactionStatuses []string `json:"transactionStatuses"`
		}
		require.NoError(t, json.Unmarshal(out, &got), "%s", out)
		assert.Equal(t, "4.0.1", got.FHIRVersion)
		assert.Equal(t, "1", got.CreatedVersion)
		assert.Equal(t, "Nodeclient", got.ReadFamily)
		assert.Equal(t, "2", got.UpdatedVersion)
		assert.Equal(t, 412, got.StaleStatus)
		assert.Equal(t, 5, got.Matches)
		assert.Equal(t, 3, got.Pages)
		assert.GreaterOrEqual(t, got.Included, 1, "the patient is included")
		assert.Equal(t, []string{"201 Created", "201 Created"}, got.TransactionStatuses)
	})
}
