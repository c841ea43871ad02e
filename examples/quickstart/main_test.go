package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), filepath.Join(t.TempDir(), "q.db"), &out))
	assert.Contains(t, out.String(), "refused: conflict=true")
	assert.Contains(t, out.String(), "has 2 versions")
	assert.Contains(t, out.String(), "has 2 notes:")
	assert.Contains(t, out.String(), "the change feed holds 3 entries")
}
