package access

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Group commit defaults (see WithAuditGroupCommit).
const (
	defaultAuditWindow = 200 * time.Microsecond
	defaultAuditBatch  = 256
)

// WithAuditGroupCommit sets how audit events written outside a caller's
// transaction (reads, searches, feed reads, denials, Require) share commits.
// A batch is written as soon as no read that started is still on its way to
// the queue; while some are, it waits for them up to window, and never holds
// more than maxEvents. A single reader therefore never waits for the window,
// and concurrent readers share one commit. Defaults: 200µs and 256 events;
// a zero window writes every batch at once (events queued while one is being
// written still go together into the next).
func WithAuditGroupCommit(window time.Duration, maxEvents int) Option {
	return func(g *Store) { g.window, g.maxBatch = max(window, 0), max(maxEvents, 1) }
}

// batcher group-commits audit events written outside a caller's
// transaction. One goroutine, started when events are queued and ending when
// the queue is empty, takes the queue as a batch, chains the events after
// the head (appendWith) and writes them with the chain's head record in one
// transaction of the inner store; the callers waiting for events of the
// batch are released when that transaction has committed, or with its error.
type batcher struct {
	g        *Store
	mu       sync.Mutex
	queue    []queued
	running  bool
	idle     chan struct{} // closed when running turns false
	reading  int           // reads that started and have not queued their event yet
	arrived  chan struct{} // one token: an event was queued or a read ended
	err      error         // first failure of a background batch since the last flush
	window   time.Duration
	maxBatch int
}

type queued struct {
	ev   Event
	wait bool       // the caller waits for the event
	done chan error // the waiter, on the last event of a waiting call
}

func newBatcher(g *Store) *batcher {
	return &batcher{g: g, arrived: make(chan struct{}, 1), window: g.window, maxBatch: g.maxBatch}
}

// read is a read in progress: the batcher may wait a little for its event.
type read struct {
	b      *batcher
	queued bool
}

// start counts a read in progress until its audit or release.
func (b *batcher) start() *read {
	b.mu.Lock()
	b.reading++
	b.mu.Unlock()
	return &read{b: b}
}

// audit writes the read's events durably (see add) and ends the read.
func (r *read) audit(evs ...Event) error {
	ending := !r.queued
	r.queued = true
	return r.b.add(evs, true, ending)
}

// release ends a read that queued nothing (it failed, or its denial was
// audited through add).
func (r *read) release() {
	if r.queued {
		return
	}
	r.queued = true
	r.b.mu.Lock()
	r.b.reading--
	r.b.mu.Unlock()
	r.b.signal()
}

func (b *batcher) signal() {
	select {
	case b.arrived <- struct{}{}:
	default:
	}
}

// add queues evs. With wait, it returns once they are durable (or failed);
// without, it returns at once. ending ends a read in progress.
func (b *batcher) add(evs []Event, wait, ending bool) error {
	var done chan error
	if wait {
		done = make(chan error, 1)
	}
	b.mu.Lock()
	if ending {
		b.reading--
	}
	if len(evs) == 0 {
		b.mu.Unlock()
		b.signal()
		return nil
	}
	for i, ev := range evs {
		q := queued{ev: ev, wait: wait}
		if i == len(evs)-1 {
			q.done = done // the last event's batch holds all of them
		}
		b.queue = append(b.queue, q)
	}
	lead := false
	if !b.running {
		b.running, b.idle = true, make(chan struct{})
		// With a journal a batch costs one write(2): a waiting caller that
		// finds no batch in progress writes the first batch itself, which
		// spares a lone reader two goroutine switches.
		lead = wait && b.g.journal != nil
		if !lead {
			go b.run(false)
		}
	}
	b.mu.Unlock()
	b.signal()
	if lead {
		b.run(true)
	}
	if !wait {
		return nil
	}
	return <-done
}

// run writes batches until the queue is empty; lead writes one batch and
// leaves the rest to a goroutine of its own.
func (b *batcher) run(lead bool) {
	for wrote := false; ; wrote = true {
		b.mu.Lock()
		if wrote && lead && len(b.queue) > 0 {
			b.mu.Unlock()
			go b.run(false)
			return
		}
		b.linger()
		n := min(len(b.queue), b.maxBatch)
		if n == 0 {
			b.running = false
			close(b.idle)
			b.mu.Unlock()
			return
		}
		// The events of a waiting call stay in one batch, so that its
		// waiter learns the fate of all of them.
		for n < len(b.queue) && b.queue[n-1].wait && b.queue[n-1].done == nil {
			n++
		}
		batch := b.queue[:n:n]
		b.queue = b.queue[n:]
		b.mu.Unlock()
		evs := make([]Event, len(batch))
		for i, q := range batch {
			evs[i] = q.ev
		}
		var err error
		if j := b.g.journal; j != nil {
			err = j.write(evs)
		} else {
			err = b.g.appendWith(context.Background(), nil, evs...)
		}
		for _, q := range batch {
			if q.done != nil {
				q.done <- err
			}
		}
		if err != nil && slices.ContainsFunc(batch, func(q queued) bool { return !q.wait }) {
			b.background(err)
		}
	}
}

// linger waits, b.mu held, while reads that started are still on their way
// to the queue, up to the window and while the batch is not full.
func (b *batcher) linger() {
	if b.window <= 0 || b.reading == 0 || len(b.queue) == 0 || len(b.queue) >= b.maxBatch {
		return
	}
	timer := time.NewTimer(b.window)
	defer timer.Stop()
	for b.reading > 0 && len(b.queue) < b.maxBatch {
		b.mu.Unlock()
		select {
		case <-b.arrived:
			b.mu.Lock()
		case <-timer.C:
			b.mu.Lock()
			return
		}
	}
}

// background records the failure of an event nobody waits for.
func (b *batcher) background(err error) {
	b.g.log.Error("access: audit event not stored", "err", err)
	b.mu.Lock()
	if b.err == nil {
		b.err = err
	}
	b.mu.Unlock()
}

// flush waits until nothing is queued or being written, and returns (and
// clears) the first background failure.
func (b *batcher) flush(ctx context.Context) error {
	for {
		b.mu.Lock()
		if !b.running {
			err := b.err
			b.err = nil
			b.mu.Unlock()
			return err
		}
		idle := b.idle
		b.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
