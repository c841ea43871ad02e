package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCommittedBaseIsCurrent regenerates the knowledge base from the corpus
// and compares it with the committed files, so a change to the corpus or to
// the curated tables cannot be forgotten.
func TestCommittedBaseIsCurrent(t *testing.T) {
	corpus := os.Getenv("EHRKIT_CORPUS")
	if corpus == "" {
		corpus = filepath.Join("..", "..", "..", "..", "shared", "corpus")
	}
	if _, err := os.Stat(filepath.Join(corpus, "drugs")); err != nil {
		t.Skipf("corpus not available at %s (set EHRKIT_CORPUS)", corpus)
	}
	out := t.TempDir()
	require.NoError(t, run(corpus, out))
	written, err := filepath.Glob(filepath.Join(out, "*.json"))
	require.NoError(t, err)
	committed, err := filepath.Glob(filepath.Join("..", "..", "kb", "*.json"))
	require.NoError(t, err)
	assert.Len(t, committed, len(written))
	for _, w := range written {
		got, err := os.ReadFile(w)
		require.NoError(t, err)
		want, err := os.ReadFile(filepath.Join("..", "..", "kb", filepath.Base(w)))
		require.NoError(t, err, "%s is not committed", filepath.Base(w))
		assert.Equal(t, string(want), string(got), "%s is stale: run go generate in rx", filepath.Base(w))
	}
}

func TestRunNeedsCorpus(t *testing.T) {
	assert.Error(t, run("", t.TempDir()))
	assert.Error(t, run(t.TempDir(), t.TempDir()))
}
