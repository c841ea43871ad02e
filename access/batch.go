package access

import (
	"context"
	"sync"
)

// batcher group-commits audit events written outside a caller's transaction
// (reads, searches, denials, Require): events queued while one batch is being
// written go together into the next, so concurrent readers share one
// transaction. A caller that waits writes the batches itself while no one
// else does; a caller that does not wait leaves them to a goroutine.
type batcher struct {
	g       *Store
	mu      sync.Mutex
	idle    chan struct{} // closed when running turns false
	queue   []queued
	running bool
	err     error // first failure of a background batch since the last flush
}

type queued struct {
	ev   Event
	done chan error // nil for a background event
}

func newBatcher(g *Store) *batcher {
	return &batcher{g: g}
}

// add queues evs. With wait, it returns once they are stored (or failed);
// without, it returns at once.
func (b *batcher) add(evs []Event, wait bool) error {
	if len(evs) == 0 {
		return nil
	}
	var done chan error
	if wait {
		done = make(chan error, len(evs))
	}
	b.mu.Lock()
	for _, ev := range evs {
		b.queue = append(b.queue, queued{ev: ev, done: done})
	}
	lead := !b.running
	if lead {
		b.running, b.idle = true, make(chan struct{})
	}
	b.mu.Unlock()
	switch {
	case lead && wait:
		b.drain(done)
	case lead:
		go b.drain(nil)
	}
	if !wait {
		return nil
	}
	var first error
	for range evs {
		if err := <-done; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// drain writes batches until the queue is empty or, when mine is set, until
// the events of that caller were written; then it hands the rest on to a
// goroutine.
func (b *batcher) drain(mine chan error) {
	for {
		b.mu.Lock()
		batch := b.queue
		b.queue = nil
		if len(batch) == 0 {
			b.stop()
			return
		}
		b.mu.Unlock()
		evs := make([]Event, len(batch))
		for i, q := range batch {
			evs[i] = q.ev
		}
		err := b.g.appendWith(context.Background(), nil, evs...)
		served := false
		for _, q := range batch {
			if q.done != nil {
				q.done <- err
				served = served || q.done == mine
			} else if err != nil {
				b.background(err)
			}
		}
		if mine != nil && served {
			b.mu.Lock()
			if len(b.queue) == 0 {
				b.stop()
				return
			}
			b.mu.Unlock()
			go b.drain(nil)
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

// stop marks the batcher idle; b.mu is held and released.
func (b *batcher) stop() {
	b.running = false
	close(b.idle)
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
