package access

import (
	"context"
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
// transaction. Queued events gather in flights: the events of one commit,
// each flight with one channel closed when it was written. One writer at a
// time takes the oldest flight, chains its events after the head
// (appendWith) and writes them with the chain's head record in one
// transaction of the inner store, or writes them to the journal; the callers
// waiting for events of the flight are released together when it has
// committed, or with its error. Without a journal the writer is a goroutine
// started when events are queued and ending when the queue is empty; with
// one, it is a waiting caller (see flight.turn), a goroutine only for a
// flight nobody waits for.
type batcher struct {
	g        *Store
	mu       sync.Mutex
	queue    []*flight // oldest first; the last one takes new events
	running  bool
	idle     chan struct{} // made by flush while running, closed when running turns false
	reading  int           // reads that started and have not queued their event yet
	arrived  chan struct{} // one token: an event was queued or a read ended
	err      error         // first failure of a background batch since the last flush
	window   time.Duration
	maxBatch int
}

// flight is the events of one commit and its outcome: err is set before
// done is closed. With a journal, the caller that wrote the flight before it
// passes the writing on to one of its waiters through turn, so that no
// goroutine is started while callers keep queueing.
type flight struct {
	evs        []Event
	background bool // some event has no waiter
	done       chan struct{}
	// turn takes one token: write the queue, starting with this flight.
	// It is made for the first waiter that does not write the flight
	// itself; nil, the flight has no such waiter.
	turn chan struct{}
	err  error
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
func (b *batcher) start() read {
	b.mu.Lock()
	b.reading++
	b.mu.Unlock()
	return read{b: b}
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
// without, it returns at once. ending ends a read in progress. The events of
// one call join one flight, so that its waiter learns the fate of all of
// them; a flight takes no more calls once it holds maxBatch events.
func (b *batcher) add(evs []Event, wait, ending bool) error {
	b.mu.Lock()
	if ending {
		b.reading--
	}
	if len(evs) == 0 {
		b.mu.Unlock()
		b.signal()
		return nil
	}
	var f *flight
	if n := len(b.queue); n > 0 && len(b.queue[n-1].evs) < b.maxBatch {
		f = b.queue[n-1]
	} else {
		f = &flight{done: make(chan struct{})}
		b.queue = append(b.queue, f)
	}
	f.evs = append(f.evs, evs...) // a copy: the caller may reuse evs
	f.background = f.background || !wait
	lead := false
	if !b.running {
		b.running = true
		// With a journal a batch costs one write(2): a waiting caller that
		// finds no batch in progress writes the first batch itself, which
		// spares a lone reader two goroutine switches.
		lead = wait && b.g.journal != nil
		if !lead {
			go b.run(false)
		}
	}
	if wait && !lead && f.turn == nil && b.g.journal != nil {
		f.turn = make(chan struct{}, 1)
	}
	turn := f.turn
	b.mu.Unlock()
	b.signal()
	if lead {
		b.run(true)
	}
	if !wait {
		return nil
	}
	select {
	case <-f.done:
	case <-turn:
		b.run(true)
		<-f.done
	}
	return f.err
}

// run writes flights until the queue is empty; lead writes one and passes
// the rest on to a waiter of the next flight, or to a goroutine of its own
// when that flight has none.
func (b *batcher) run(lead bool) {
	for wrote := false; ; wrote = true {
		b.mu.Lock()
		if wrote && lead && len(b.queue) > 0 {
			turn := b.queue[0].turn
			b.mu.Unlock()
			if turn != nil {
				turn <- struct{}{}
			} else {
				go b.run(false)
			}
			return
		}
		b.linger()
		if len(b.queue) == 0 {
			b.running = false
			if b.idle != nil {
				close(b.idle)
				b.idle = nil
			}
			b.mu.Unlock()
			return
		}
		f := b.queue[0]
		b.queue[0] = nil
		b.queue = b.queue[1:]
		b.mu.Unlock()
		var err error
		if j := b.g.journal; j != nil {
			err = j.write(f.evs)
		} else {
			err = b.g.appendWith(context.Background(), nil, f.evs...)
		}
		f.err = err
		close(f.done)
		if err != nil && f.background {
			b.background(err)
		}
	}
}

// linger waits, b.mu held, while reads that started are still on their way
// to the queue, up to the window and while the batch is not full.
func (b *batcher) linger() {
	if b.window <= 0 || b.reading == 0 || len(b.queue) != 1 || len(b.queue[0].evs) >= b.maxBatch {
		return
	}
	timer := time.NewTimer(b.window)
	defer timer.Stop()
	for b.reading > 0 && len(b.queue) == 1 && len(b.queue[0].evs) < b.maxBatch {
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
		if b.idle == nil {
			b.idle = make(chan struct{})
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
