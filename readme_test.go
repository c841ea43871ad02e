package ehrkit_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReadmeExample keeps the README's cross-service program identical to
// Example_acrossServices, the code go test runs and checks.
func TestReadmeExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	src, err := os.ReadFile("example_test.go")
	require.NoError(t, err)

	_, section, ok := strings.Cut(string(readme), "## One visit across the services\n")
	require.True(t, ok, "README.md has no section \"One visit across the services\"")
	_, block, ok := strings.Cut(section, "```go\n")
	require.True(t, ok, "the section has no Go code block")
	block, _, ok = strings.Cut(block, "```\n")
	require.True(t, ok, "the Go code block is not closed")

	_, body, ok := strings.Cut(string(src), "func Example_acrossServices() {\n")
	require.True(t, ok, "example_test.go has no Example_acrossServices")
	body, _, ok = strings.Cut(body, "\n}\n")
	require.True(t, ok, "Example_acrossServices has no end")
	var want strings.Builder
	for line := range strings.SplitSeq(body, "\n") {
		want.WriteString(strings.TrimPrefix(line, "\t") + "\n")
	}
	require.Equal(t, want.String(), block, "README.md's program differs from Example_acrossServices")
}
