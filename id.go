package ehrkit

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

// crockford is Crockford's base-32 alphabet: sortable, no I, L, O, U.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// IDGenerator makes unique identifiers.
type IDGenerator interface {
	NewID() string
}

// IDs makes 26-character identifiers that sort by creation time (48-bit
// millisecond timestamp then 80 bits of randomness, in Crockford base 32, the
// ULID layout). Within one millisecond the random part is incremented so that
// identifiers from one generator are strictly increasing. Safe for concurrent use.
type IDs struct {
	clock Clock
	mu    sync.Mutex
	last  uint64
	hi    uint16
	lo    uint64
}

// NewIDs returns a generator reading time from clock (nil means the real clock).
func NewIDs(clock Clock) *IDs {
	return &IDs{clock: OrRealClock(clock)}
}

var defaultIDs = NewIDs(nil)

// NewID returns a new identifier from the default generator.
func NewID() string { return defaultIDs.NewID() }

// NewID returns a new identifier.
func (g *IDs) NewID() string {
	ms := uint64(g.clock.Now().UnixMilli())
	g.mu.Lock()
	if ms <= g.last {
		ms = g.last
		g.lo++
		if g.lo == 0 {
			g.hi++
		}
	} else {
		var b [10]byte
		_, _ = rand.Read(b[:])
		g.hi = binary.BigEndian.Uint16(b[:2]) & 0x7fff // leave room to increment
		g.lo = binary.BigEndian.Uint64(b[2:])
		g.last = ms
	}
	hi, lo := g.hi, g.lo
	g.mu.Unlock()

	var raw [16]byte
	raw[0], raw[1], raw[2] = byte(ms>>40), byte(ms>>32), byte(ms>>24)
	raw[3], raw[4], raw[5] = byte(ms>>16), byte(ms>>8), byte(ms)
	binary.BigEndian.PutUint16(raw[6:8], hi)
	binary.BigEndian.PutUint64(raw[8:], lo)
	return encode32(raw)
}

// SeqIDs makes deterministic identifiers for tests: prefix followed by a
// zero-padded counter ("p-000001"). Safe for concurrent use.
type SeqIDs struct {
	Prefix string
	mu     sync.Mutex
	n      int
}

// NewID returns the next identifier.
func (s *SeqIDs) NewID() string {
	s.mu.Lock()
	s.n++
	n := s.n
	s.mu.Unlock()
	return s.Prefix + padInt(n, 6)
}

func padInt(n, width int) string {
	b := []byte{}
	for n > 0 || len(b) == 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	for len(b) < width {
		b = append([]byte{'0'}, b...)
	}
	return string(b)
}

func encode32(raw [16]byte) string {
	// 128 bits -> 26 characters of 5 bits (the first carries 3 bits).
	out := make([]byte, 26)
	var acc uint64
	bits := 0
	j := 25
	for i := 15; i >= 0; i-- {
		acc |= uint64(raw[i]) << bits
		bits += 8
		for bits >= 5 && j >= 0 {
			out[j] = crockford[acc&31]
			acc >>= 5
			bits -= 5
			j--
		}
	}
	if j >= 0 {
		out[j] = crockford[acc&31]
	}
	return string(out)
}

// Clock tells the time. Services take a Clock so tests control time.
type Clock interface {
	Now() time.Time
}

// RealClock is the system clock, in UTC.
type RealClock struct{}

// Now returns the current time in UTC.
func (RealClock) Now() time.Time { return time.Now().UTC() }

// OrRealClock returns c, or the system clock when c is nil: what every
// WithClock option of ehrkit's services and stores keeps, so that a nil
// clock never reaches a call of Now.
func OrRealClock(c Clock) Clock {
	if c == nil {
		return RealClock{}
	}
	return c
}

// FakeClock is a controllable clock for tests. Safe for concurrent use.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a clock stopped at t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{now: t} }

// Now returns the clock's current time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *FakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}
