package ehrkit

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// Retry runs fn until it returns something other than a retryable conflict
// (an error wrapping ErrConflict), at most attempts times (at least once),
// and returns fn's last error. Between attempts it waits a random backoff
// that grows with the attempt (20 µs doubling, capped at 10 ms); if ctx ends
// while waiting it returns ctx's error joined with fn's last one. fn must be
// safe to run again: a store transaction is.
//
// ErrConflict means a version race only, so a retry loop needs no
// exceptions: business refusals (an identifier in use, a slot taken, a
// certain duplicate) wrap ErrFailedPrecondition and end the loop at once.
func Retry(ctx context.Context, attempts int, fn func() error) error {
	return RetryIf(ctx, attempts, func(err error) bool { return errors.Is(err, ErrConflict) }, fn)
}

// RetryIf is Retry for a caller that retries only some conflicts: fn runs
// again while retryable reports true for its error (never for nil).
func RetryIf(ctx context.Context, attempts int, retryable func(error) bool, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !retryable(err) || attempt >= attempts {
			return err
		}
		if ctx.Err() != nil { // a select on a done context and a fired timer picks either
			return errors.Join(ctx.Err(), err)
		}
		limit := min(time.Duration(1<<min(attempt, 10))*20*time.Microsecond, 10*time.Millisecond)
		t := time.NewTimer(rand.N(limit) + time.Microsecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(ctx.Err(), err)
		case <-t.C:
		}
	}
}
