package sqlitestore

import (
	"context"
	"database/sql"
	"log/slog"
	"sync/atomic"

	"modernc.org/sqlite"
)

// checkpointPages is the size of the write-ahead log, in pages, past which
// it is copied back into the database file: 8 192 pages (32 MiB). A write
// dirties index pages at random positions (compartments, term values), and
// each commit writes them to the log again; checkpointing every 8 192 pages
// instead of SQLite's 1 000 copies such a page back to the database once per
// checkpoint rather than once per commit: a quarter fewer bytes written per
// batch of 1 000 records.
const checkpointPages = 8192

// checkpointCap is how many times checkpointPages the log may reach before
// the writer, no longer waiting for the background checkpointer, checkpoints
// the log itself after its commit.
const checkpointCap = 4

// checkpointer copies the write-ahead log into the database file on a
// connection of its own, in a goroutine, so that the writer does not wait
// for the copy on its commit path.
//
// The writer counts the pages its commits append to the log and wakes the
// checkpointer when they pass the threshold. The checkpointer's PASSIVE
// checkpoint copies the log as it was when it started, while the writer goes
// on committing; the log only restarts from its beginning once all of it was
// copied while no write transaction was in progress, which the background
// cannot see. So the checkpointer copies in passes, each catching up with
// the commits made during the one before, and then the writer checkpoints
// itself once after its next commit, copying only what was committed since
// the last pass, and the log restarts with its next transaction.
type checkpointer struct {
	db     *sql.DB // one connection, used by run only
	log    *slog.Logger
	pages  int64 // the threshold, in pages
	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}

	copied atomic.Bool // a background checkpoint ran since the writer's last checkpoint

	// Only committed uses these, holding the writer's only connection.
	logPages int64 // pages appended to the log since the writer's last complete checkpoint
	woken    bool  // the checkpointer was woken since the writer's last checkpoint
}

// startCheckpointer starts a checkpointer of the log of the database that db
// opens, waking at pages pages.
func startCheckpointer(db *sql.DB, log *slog.Logger, pages int64) *checkpointer {
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{db: db, log: log, pages: pages, wake: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	go c.run(ctx)
	return c
}

// run checkpoints the log each time the writer wakes it, until ctx ends.
func (c *checkpointer) run(ctx context.Context) {
	defer close(c.done)
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.wake:
		}
		if err := c.copy(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("sqlitestore: background checkpoint failed", "err", err)
		}
		c.copied.Store(true)
	}
}

// checkpointPasses is the most checkpoints copy runs in a row.
const checkpointPasses = 4

// copy checkpoints the log in passes, each copying what the writer committed
// during the one before, until a pass finds less than a sixteenth of the
// threshold added since the previous one (or after checkpointPasses), so
// that little is left for the writer to copy.
func (c *checkpointer) copy(ctx context.Context) error {
	var last int64
	for range checkpointPasses {
		frames, _, err := checkpoint(ctx, c.db)
		if err != nil || frames-last < c.pages/16 {
			return err
		}
		last = frames
	}
	return nil
}

// stop ends the goroutine, interrupting a checkpoint in progress, and waits
// for it. The database is not closed.
func (c *checkpointer) stop() {
	c.cancel()
	<-c.done
}

// committed runs on the writer's connection conn after each of its commits.
// It adds the pages the commit wrote to the count; it checkpoints the log
// through conn after a background checkpoint or when the count passed the
// cap, and otherwise wakes the checkpointer once when it passed the
// threshold (a second background checkpoint would only make the writer's
// own one find the log busy).
// A failure is logged: the commit stands.
func (c *checkpointer) committed(ctx context.Context, conn *sql.Conn) {
	var pages int
	err := conn.Raw(func(dc any) error {
		var err error
		pages, _, err = dc.(sqlite.DBStatus).Status(sqlite.DBStatusCacheWrite, true)
		return err
	})
	if err != nil {
		c.log.Warn("sqlitestore: reading the log size failed", "err", err)
		return
	}
	c.logPages += int64(pages)
	switch {
	case c.copied.Swap(false) || c.logPages >= checkpointCap*c.pages:
		_, full, err := checkpoint(ctx, conn)
		if err != nil && ctx.Err() == nil {
			c.log.Warn("sqlitestore: checkpoint failed", "err", err)
		}
		if full {
			c.logPages = 0
		}
		c.woken = false
	case c.logPages >= c.pages && !c.woken:
		c.woken = true
		select {
		case c.wake <- struct{}{}:
		default: // already awake or about to be
		}
	}
}

// checkpoint runs a PASSIVE checkpoint through q, which copies as much of
// the log as no reader still needs and never waits for a lock. It returns
// the size of the log in pages and whether all of it was copied.
func checkpoint(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (frames int64, full bool, err error) {
	var busy, copied int64
	err = q.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
	return frames, err == nil && busy == 0 && copied == frames, err
}
