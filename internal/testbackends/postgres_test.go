package testbackends_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/internal/testbackends"
)

// childEnv marks the test binary run by TestPostgresUnsetSaysSoOnce.
const childEnv = "TESTBACKENDS_UNSET_CHILD"

// TestPostgresUnsetSaysSoOnce runs this test binary again without
// EHRKIT_POSTGRES_DSN: three skipped PostgreSQL tests write one line on
// standard error between them.
func TestPostgresUnsetSaysSoOnce(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		for range 3 {
			t.Run("postgres", func(t *testing.T) { testbackends.PostgresDSN(t) })
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPostgresUnsetSaysSoOnce$")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, testbackends.PostgresEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, childEnv+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), stdout.String())
	assert.Equal(t, 1, strings.Count(stderr.String(), testbackends.PostgresEnv+" is unset: the PostgreSQL backend was not tested"), stderr.String())
}
