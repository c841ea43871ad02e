package access

import "errors"

// Crash stops j as a killed process would leave it: the drain stops where it
// is, nothing more is drained or cut from the file, and the files are closed
// (which releases the lock). Close afterwards returns Crash's result.
func (j *Journal) Crash() error {
	j.once.Do(func() {
		j.mu.Lock()
		j.closed = true
		j.mu.Unlock()
		close(j.quit)
		<-j.done
		j.cerr = errors.Join(j.f.Close(), j.lock.Close())
	})
	return j.cerr
}

// JournalHeaderLen is the size of a journal file holding no entry.
const JournalHeaderLen = journalHeaderLen

// WithRotateAt sets the size past which the journal is rewritten without
// its drained entries while some are pending (8 MB otherwise).
func WithRotateAt(n int64) JournalOption { return func(j *Journal) { j.rotateAt = n } }

// DayCover is dayCover: the day-key prefixes Accounting queries for a period.
var DayCover = dayCover

// DayKey is dayKey: the day that starts storage.UpdatedKey.
var DayKey = dayKey
