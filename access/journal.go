package access

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Journal file layout. The header is the magic text, the journal's id (32
// hex digits, random, chosen when the file is created) and a newline. Each
// entry after it is one batch of events: the payload's length (4 bytes,
// little endian), its CRC-32C (4 bytes), and the payload: the entry's number
// (8 bytes), the number of events (uvarint), and each event as its length
// (uvarint) and its JSON encoding before chaining (no Seq, Prev or Hash).
const (
	journalMagic     = "ehrkit audit journal 1 "
	journalIDLen     = 32
	journalHeaderLen = int64(len(journalMagic) + journalIDLen + 1)
	frameHeaderLen   = 8
	maxFramePayload  = 64 << 20
)

// Drain tuning: a drain transaction holds at most maxDrainEvents events; the
// file is rewritten without its drained entries once it exceeds
// journalRotateSize while entries are pending (when none is, it is cut back
// to its header after every drain).
const (
	maxDrainEvents     = 2048
	journalRotateSize  = 8 << 20
	defaultDrainDelay  = 100 * time.Millisecond
	maxDrainRetryDelay = time.Second
)

// journalMarkPrefix starts the id of the AuditHeadType record that holds how
// far a journal was drained: the prefix, then the journal's id.
const journalMarkPrefix = "journal-"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrJournalLocked is returned by OpenJournal when another process, or
// another open Journal of this one, holds the journal file.
var ErrJournalLocked = errors.New("access: audit journal held by another owner")

// JournalCorruptError reports an entry of a journal that fails its length or
// CRC check and is not the file's torn tail (more entries follow it), or a
// header that is not a journal's. The journal is left as it is for
// inspection. It wraps ehrkit.ErrInvalid.
type JournalCorruptError struct {
	Path   string
	Offset int64 // byte offset of the bad entry (0 for the header)
}

// Error names the file and the offset.
func (e *JournalCorruptError) Error() string {
	return fmt.Sprintf("access: audit journal %s: corrupt entry at byte %d", e.Path, e.Offset)
}

// Unwrap returns ehrkit.ErrInvalid.
func (e *JournalCorruptError) Unwrap() error { return ehrkit.ErrInvalid }

// JournalOption configures a Journal.
type JournalOption func(*Journal)

// JournalSync makes every write of the journal wait for fsync before the
// reads it audits return, so that acknowledged reads' events survive a power
// loss or kernel crash too, at the cost of one device flush per batch.
// Without it an event is durable once its write(2) returned: safe against
// the process being killed (the kernel keeps the page cache), not against the
// machine losing power.
func JournalSync() JournalOption { return func(j *Journal) { j.sync = true } }

// WithJournalLogger sets the logger that reports drains that failed (they
// are retried).
func WithJournalLogger(l *slog.Logger) JournalOption { return func(j *Journal) { j.log = l } }

// WithDrainDelay sets how long the drain waits after an entry was written
// before it copies the pending entries into the chain, so that one drain
// transaction takes many batches (default 100ms; Flush does not wait for
// it). A longer delay makes fewer, larger drain transactions: each commit,
// each rewrite of the chain's head and each page of the patient index a
// transaction touches is shared by more events.
func WithDrainDelay(d time.Duration) JournalOption {
	return func(j *Journal) { j.delay = max(d, 0) }
}

// Journal is a local append-only file that makes audit events durable
// without a transaction of the store: a guard given one (WithJournal) writes
// the events of reads, searches, feed reads, operation checks and denials to
// it, one write(2) per group-committed batch, and releases the reads once
// that write returned. A drain goroutine copies the entries into the store's
// hash chain in large transactions, in blocks of events (one record holds
// up to 64), recording in each how far the journal was drained, and cuts
// the drained entries from the file. Events of writes
// stay in the caller's transaction, atomic with the act. Safe for concurrent
// use.
type Journal struct {
	store storage.Store
	path  string
	sync  bool
	delay time.Duration
	log   *slog.Logger
	chain *chain // shared with the guards using the journal
	// rotateAt is the size past which the file is rewritten without its
	// drained entries while some are pending.
	rotateAt int64
	lock     *os.File

	mu      sync.Mutex
	f       *os.File
	id      string
	size    int64
	next    int64   // number of the next entry
	pending []entry // written, not drained yet, oldest first
	drained int64   // number of the last entry drained
	err     error   // failure of the last drain attempt, nil after a success
	tick    chan struct{}
	broken  error // a failed write that could not be cut from the file
	closed  bool
	scratch []byte // encoding buffer, used under mu

	wake  chan struct{} // one token: an entry was written
	hurry chan struct{} // one token: Flush waits
	quit  chan struct{}
	done  chan struct{}
	once  sync.Once
	cerr  error
}

// entry is a written entry: its number, where it sits in the file, and its
// events, encoded as the drain chains them (their bodies point into the
// entry's payload).
type entry struct {
	n, off int64
	evs    []encodedEvent
}

// OpenJournal opens the journal at path, creating it if needed, for the
// audit chain of store (the store a guard wraps, never the guarded store
// itself). It takes an exclusive lock (a file path+".lock" beside it, held
// with flock), so one process owns the journal: another gets
// ErrJournalLocked. Entries a crash left undrained are copied into store's
// chain before it returns (entries already drained are recognised by the
// record of the journal's progress, so none is copied twice); a torn last
// entry, never acknowledged, is cut. A corrupt entry followed by others is a
// *JournalCorruptError. Close the journal (or the guard using it) to drain
// what remains and release the lock.
func OpenJournal(ctx context.Context, path string, store storage.Store, opts ...JournalOption) (*Journal, error) {
	j := &Journal{store: store, path: path, delay: defaultDrainDelay, log: slog.New(slog.DiscardHandler), chain: &chain{}, rotateAt: journalRotateSize,
		tick: make(chan struct{}), wake: make(chan struct{}, 1), hurry: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	for _, o := range opts {
		o(j)
	}
	lock, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := lockFile(lock); err != nil {
		_ = lock.Close()
		return nil, err
	}
	j.lock = lock
	if err := j.recover(ctx); err != nil {
		if j.f != nil {
			_ = j.f.Close()
		}
		_ = j.lock.Close()
		return nil, err
	}
	go j.run()
	return j, nil
}

// recover opens the file, replays what it holds into the chain and cuts it.
func (j *Journal) recover(ctx context.Context) error {
	f, err := os.OpenFile(j.path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	j.f = f
	data, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	if int64(len(data)) < journalHeaderLen {
		// New, or created by a process that died before its header was
		// written: no entry was ever acknowledged.
		return j.create()
	}
	id, ok := parseHeader(data[:journalHeaderLen])
	if !ok {
		return &JournalCorruptError{Path: j.path}
	}
	j.id = id
	entries, end, err := parseEntries(data, j.path)
	if err != nil {
		return err
	}
	if end < int64(len(data)) {
		if err := f.Truncate(end); err != nil {
			return err
		}
	}
	j.size = end
	mark, err := readMark(ctx, j.store, j.id)
	if err != nil {
		return err
	}
	j.drained, j.next = mark, mark+1
	for _, e := range entries {
		if e.n <= mark {
			continue
		}
		if e.n != j.next {
			return &JournalCorruptError{Path: j.path, Offset: e.off}
		}
		j.pending = append(j.pending, e)
		j.next++
	}
	for len(j.pending) > 0 {
		if err := j.drainOnce(ctx); err != nil {
			return err
		}
	}
	return j.compact()
}

// create writes a new header with a new id.
func (j *Journal) create() error {
	var id [journalIDLen / 2]byte
	_, _ = rand.Read(id[:])
	j.id = hex.EncodeToString(id[:])
	if err := j.f.Truncate(0); err != nil {
		return err
	}
	if _, err := j.f.Write(header(j.id)); err != nil {
		return err
	}
	j.size, j.next = journalHeaderLen, 1
	if j.sync {
		return j.syncFileAndDir(j.f)
	}
	return nil
}

func header(id string) []byte { return []byte(journalMagic + id + "\n") }

func parseHeader(b []byte) (string, bool) {
	id, ok := bytes.CutPrefix(b, []byte(journalMagic))
	if !ok || len(id) != journalIDLen+1 || id[journalIDLen] != '\n' {
		return "", false
	}
	if _, err := hex.DecodeString(string(id[:journalIDLen])); err != nil {
		return "", false
	}
	return string(id[:journalIDLen]), true
}

// parseEntries decodes the entries after the header and returns them with
// the end of the last good one. An entry that is incomplete, or fails its
// check with nothing but zero bytes after it, is the torn tail of a write
// that never returned; one that fails with data after it is corruption.
func parseEntries(data []byte, path string) ([]entry, int64, error) {
	var out []entry
	off := journalHeaderLen
	for off < int64(len(data)) {
		rest := data[off:]
		torn := func() ([]entry, int64, error) {
			if bytes.Count(rest, []byte{0}) == len(rest) || int64(len(rest)) < frameHeaderLen {
				return out, off, nil
			}
			return nil, 0, &JournalCorruptError{Path: path, Offset: off}
		}
		if len(rest) < frameHeaderLen {
			return torn()
		}
		n := int64(binary.LittleEndian.Uint32(rest))
		if n == 0 || n > maxFramePayload {
			return torn()
		}
		if frameHeaderLen+n > int64(len(rest)) {
			return out, off, nil // the write was cut short
		}
		payload := rest[frameHeaderLen : frameHeaderLen+n]
		if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(rest[4:]) {
			if bytes.Count(rest[frameHeaderLen+n:], []byte{0}) == len(rest)-int(frameHeaderLen+n) {
				return out, off, nil
			}
			return nil, 0, &JournalCorruptError{Path: path, Offset: off}
		}
		e, err := decodePayload(payload)
		if err != nil {
			return nil, 0, &JournalCorruptError{Path: path, Offset: off}
		}
		e.off = off
		out = append(out, e)
		off += frameHeaderLen + n
	}
	return out, off, nil
}

func decodePayload(p []byte) (entry, error) {
	if len(p) < 8 {
		return entry{}, io.ErrUnexpectedEOF
	}
	e := entry{n: int64(binary.LittleEndian.Uint64(p))}
	p = p[8:]
	count, k := binary.Uvarint(p)
	if k <= 0 || count > uint64(len(p)) {
		return entry{}, io.ErrUnexpectedEOF
	}
	p = p[k:]
	evs := make([]Event, count)
	for i := range evs {
		size, k := binary.Uvarint(p)
		if k <= 0 || size > uint64(len(p)-k) {
			return entry{}, io.ErrUnexpectedEOF
		}
		if err := json.Unmarshal(p[k:k+int(size)], &evs[i]); err != nil {
			return entry{}, err
		}
		p = p[k+int(size):]
	}
	if len(p) != 0 {
		return entry{}, io.ErrUnexpectedEOF
	}
	// Encoded again rather than cut out of the payload: a journal written
	// before events were normalized first holds invalid UTF-8 as escapes.
	var err error
	e.evs, err = encodeEvents(evs)
	return e, err
}

// journalMark is the value of the record of a journal's progress.
type journalMark struct {
	Journal string `json:"journal"`
	Entry   int64  `json:"entry"` // the last entry copied into the chain
}

// readMark returns the number of the last entry of journal id drained into
// the chain of r (0 for none), and the mark record's version.
func readMark(ctx context.Context, r storage.Reader, id string) (int64, error) {
	n, _, err := readMarkVersion(ctx, r, id)
	return n, err
}

func readMarkVersion(ctx context.Context, r storage.Reader, id string) (int64, int64, error) {
	rec, err := r.Get(ctx, AuditHeadType, journalMarkPrefix+id)
	if errors.Is(err, ehrkit.ErrNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	var m journalMark
	if err := json.Unmarshal(rec.Value, &m); err != nil || m.Journal != id {
		return 0, 0, storage.Errorf("decode", AuditHeadType, rec.ID, ehrkit.ErrInvalid, "not a journal mark")
	}
	return m.Entry, rec.Version, nil
}

// write appends evs to the journal as one entry, with one write(2) (and an
// fsync with JournalSync), and queues them for the drain. When it returns
// nil the events are durable.
func (j *Journal) write(evs []Event) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.closed:
		return storage.Closed("audit journal")
	case j.broken != nil:
		return j.broken
	}
	frame, encoded, err := j.encodeEntry(j.next, evs)
	if err != nil {
		return err
	}
	if _, err := j.f.Write(frame); err != nil {
		// Cut what part of the entry was written, so that the next entry
		// does not follow garbage; if that fails the file is unusable.
		if terr := j.f.Truncate(j.size); terr != nil {
			j.broken = errors.Join(err, terr)
		}
		return err
	}
	var serr error
	if j.sync {
		// The entry is in the file whatever happens now: it stays queued
		// (a replay would copy it anyway), but its reads fail.
		serr = j.f.Sync()
	}
	j.pending = append(j.pending, entry{n: j.next, off: j.size, evs: encoded})
	j.next++
	j.size += int64(len(frame))
	select {
	case j.wake <- struct{}{}:
	default:
	}
	return serr
}

// encodeEntry returns the entry numbered n holding evs (normalized first)
// and the events as the drain chains them, their bodies pointing into the
// entry. Each event is stored as the encoding of its body with seq 0 and
// prev empty: {"seq":0, the body, ,"prev":""}.
func (j *Journal) encodeEntry(n int64, evs []Event) ([]byte, []encodedEvent, error) {
	var zero [frameHeaderLen + 8]byte
	b := append(make([]byte, 0, frameHeaderLen+16+len(evs)*(encodedEventSize+16)), zero[:]...)
	binary.LittleEndian.PutUint64(b[frameHeaderLen:], uint64(n))
	b = binary.AppendUvarint(b, uint64(len(evs)))
	out := make([]encodedEvent, len(evs))
	bounds := make([][2]int, len(evs)) // of each body in b, known once b stops growing
	js := j.scratch
	for i := range evs {
		var err error
		if js, err = appendEncodedBody(append(js[:0], seqZero...), &evs[i]); err != nil {
			return nil, nil, err
		}
		js = append(js, prevEmpty...)
		b = binary.AppendUvarint(b, uint64(len(js)))
		bounds[i] = [2]int{len(b) + len(seqZero), len(b) + len(js) - len(prevEmpty)}
		b = append(b, js...)
		out[i].patient, out[i].time = evs[i].Patient, evs[i].Time
	}
	j.scratch = js
	for i, r := range bounds {
		out[i].body = b[r[0]:r[1]:r[1]]
	}
	payload := b[frameHeaderLen:]
	if len(payload) > maxFramePayload {
		return nil, nil, storage.Errorf("encode", AuditEventType, "", ehrkit.ErrInvalid, "audit batch of %d bytes", len(payload))
	}
	binary.LittleEndian.PutUint32(b, uint32(len(payload)))
	binary.LittleEndian.PutUint32(b[4:], crc32.Checksum(payload, castagnoli))
	return b, out, nil
}

// What an event's journal encoding has around its body.
const (
	seqZero   = `{"seq":0`
	prevEmpty = `,"prev":""}`
)

// run is the drain goroutine: it copies pending entries into the chain until
// the journal is closed.
func (j *Journal) run() {
	defer close(j.done)
	retry := time.Duration(0)
	for {
		hurried := false
		select {
		case <-j.wake:
		case <-j.hurry:
			hurried = true
		case <-j.quit:
			return
		}
		if d := max(retry, j.delay); d > 0 && !hurried {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-j.hurry:
			case <-j.quit:
				t.Stop()
				return
			}
			t.Stop()
		}
		retry = 0
		for j.hasPending() {
			if err := j.drainOnce(context.Background()); err != nil {
				j.log.Error("access: audit journal not drained, retrying", "err", err)
				retry = min(max(2*retry, 10*time.Millisecond), maxDrainRetryDelay)
				select {
				case j.wake <- struct{}{}:
				default:
				}
				break
			}
		}
	}
}

func (j *Journal) hasPending() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.pending) > 0
}

// drainOnce copies the oldest pending entries (up to maxDrainEvents events,
// at least one entry) into the chain, in blocks of maxBlockEvents, in one
// transaction that also records the journal's progress, then cuts the file.
func (j *Journal) drainOnce(ctx context.Context) error {
	j.mu.Lock()
	var batch []entry
	count := 0
	for _, e := range j.pending {
		if len(batch) > 0 && count+len(e.evs) > maxDrainEvents {
			break
		}
		batch = append(batch, e)
		count += len(e.evs)
	}
	j.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	last := batch[len(batch)-1].n
	err := appendChain(ctx, j.store, j.chain, maxBlockEvents, func(tx storage.Tx) ([]encodedEvent, error) {
		mark, version, err := readMarkVersion(ctx, tx, j.id)
		if err != nil {
			return nil, err
		}
		evs := make([]encodedEvent, 0, count)
		for _, e := range batch {
			if e.n > mark { // an entry drained already is not copied again
				evs = append(evs, e.evs...)
			}
		}
		b, _ := json.Marshal(journalMark{Journal: j.id, Entry: last})
		_, err = tx.Put(ctx, storage.Record{Type: AuditHeadType, ID: journalMarkPrefix + j.id, Value: b}, version)
		return evs, err
	})
	j.mu.Lock()
	defer j.mu.Unlock()
	j.err = err
	if err == nil {
		j.drained = last
		j.pending = j.pending[len(batch):]
		if cerr := j.compact(); cerr != nil {
			j.log.Error("access: audit journal not cut", "err", cerr)
		}
	}
	close(j.tick)
	j.tick = make(chan struct{})
	return err
}

// compact cuts the drained entries from the file, j.mu held (or during
// recovery): the file goes back to its header when nothing is pending, and
// is rewritten with only the pending entries once it grew past
// journalRotateSize.
func (j *Journal) compact() error {
	if len(j.pending) == 0 {
		if j.size == journalHeaderLen {
			return nil
		}
		if err := j.f.Truncate(journalHeaderLen); err != nil {
			return err
		}
		j.size = journalHeaderLen
		return nil
	}
	if j.size < j.rotateAt {
		return nil
	}
	first := j.pending[0].off
	tail := make([]byte, j.size-first)
	if _, err := j.f.ReadAt(tail, first); err != nil {
		return err
	}
	tmp := j.path + ".tmp"
	nf, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	_, err = nf.Write(append(header(j.id), tail...))
	if err == nil && j.sync {
		err = nf.Sync()
	}
	if err == nil {
		err = os.Rename(tmp, j.path)
	}
	if err == nil && j.sync {
		err = syncDir(j.path)
	}
	if err != nil {
		_ = nf.Close()
		_ = os.Remove(tmp)
		return err
	}
	_ = j.f.Close()
	j.f, j.size = nf, journalHeaderLen+int64(len(tail))
	for i := range j.pending {
		j.pending[i].off += journalHeaderLen - first
	}
	return nil
}

func (j *Journal) syncFileAndDir(f *os.File) error {
	if err := f.Sync(); err != nil {
		return err
	}
	return syncDir(j.path)
}

func syncDir(path string) error {
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer func() { _ = d.Close() }()
	return d.Sync()
}

// Flush waits until every entry written before it was called is copied into
// the chain, and returns the error of a drain that failed meanwhile.
func (j *Journal) Flush(ctx context.Context) error {
	j.mu.Lock()
	target := j.next - 1
	j.mu.Unlock()
	for {
		j.mu.Lock()
		drained, tick := j.drained, j.tick
		j.mu.Unlock()
		if drained >= target {
			return nil
		}
		select {
		case j.hurry <- struct{}{}:
		default:
		}
		select {
		case <-tick:
		case <-j.done:
			return storage.Closed("audit journal")
		case <-ctx.Done():
			return ctx.Err()
		}
		j.mu.Lock()
		err := j.err
		j.mu.Unlock()
		if err != nil {
			return err
		}
	}
}

// Close stops accepting events, drains what the journal holds and releases
// the file and its lock. Entries it could not drain stay in the file for the
// next OpenJournal. Calling Close again returns the first call's result.
func (j *Journal) Close() error {
	j.once.Do(func() {
		j.mu.Lock()
		j.closed = true
		j.mu.Unlock()
		close(j.quit)
		<-j.done
		var err error
		for j.hasPending() {
			if err = j.drainOnce(context.Background()); err != nil {
				break
			}
		}
		j.cerr = errors.Join(err, j.f.Close(), j.lock.Close()) // closing the lock file releases the lock
	})
	return j.cerr
}
