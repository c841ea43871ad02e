package ehrkit_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ehrkit/ehrkit"
)

func TestRetry(t *testing.T) {
	conflict := fmt.Errorf("put Patient/p1: %w", ehrkit.ErrConflict)
	refusal := fmt.Errorf("slot taken: %w", ehrkit.ErrFailedPrecondition)
	cases := []struct {
		name     string
		errs     []error // fn's results in order; the last repeats
		attempts int
		calls    int
		want     error
	}{
		{"success at once", []error{nil}, 5, 1, nil},
		{"conflict then success", []error{conflict, conflict, nil}, 5, 3, nil},
		{"conflicts exhaust the attempts", []error{conflict}, 4, 4, ehrkit.ErrConflict},
		{"a business refusal is not retried", []error{refusal}, 5, 1, ehrkit.ErrFailedPrecondition},
		{"zero attempts still runs once", []error{conflict}, 0, 1, ehrkit.ErrConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := ehrkit.Retry(context.Background(), tc.attempts, func() error {
				calls++
				return tc.errs[min(calls, len(tc.errs))-1]
			})
			assert.Equal(t, tc.calls, calls)
			if tc.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tc.want)
			}
		})
	}
	t.Run("a cancelled context stops the waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		calls := 0
		err := ehrkit.Retry(ctx, 1000, func() error {
			calls++
			cancel()
			return conflict
		})
		assert.Equal(t, 1, calls)
		assert.True(t, errors.Is(err, context.Canceled) && errors.Is(err, ehrkit.ErrConflict))
	})
}

func TestRetryIf(t *testing.T) {
	raced := fmt.Errorf("audit head: %w", ehrkit.ErrConflict)
	stale := fmt.Errorf("stale version: %w", ehrkit.ErrConflict)
	onlyRaces := func(err error) bool { return errors.Is(err, raced) }
	results := []error{raced, raced, stale, nil}
	calls := 0
	err := ehrkit.RetryIf(context.Background(), 10, onlyRaces, func() error {
		calls++
		return results[calls-1]
	})
	assert.Equal(t, 3, calls, "a conflict the predicate refuses ends the loop")
	assert.ErrorIs(t, err, stale)

	calls = 0
	err = ehrkit.RetryIf(context.Background(), 2, onlyRaces, func() error {
		calls++
		return raced
	})
	assert.Equal(t, 2, calls)
	assert.ErrorIs(t, err, raced)
}
