package ehrkit_test

import (
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/stretchr/testify/assert"
)

// TestInUseError: the refusal of a deletion is a business refusal
// (ErrFailedPrecondition, not a retryable ErrConflict) naming opaque ids.
func TestInUseError(t *testing.T) {
	err := error(&ehrkit.InUseError{Type: "Encounter", ID: "e1", By: "Observation/o1"})
	assert.ErrorIs(t, err, ehrkit.ErrFailedPrecondition)
	assert.NotErrorIs(t, err, ehrkit.ErrConflict)
	assert.Equal(t, "ehrkit: Encounter/e1 is still referenced by Observation/o1", err.Error())
}
