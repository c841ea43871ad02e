package hl7v2

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// MLLP frame bytes (HL7 v2 Minimal Lower Layer Protocol, release 2).
const (
	mllpStart = 0x0B
	mllpEnd   = 0x1C
	mllpCR    = 0x0D
)

// ErrUnframed reports a peer that sends bytes outside an MLLP frame: most
// often one that speaks plain TCP (or HTTP) instead of MLLP.
var ErrUnframed = errors.New("hl7v2: data outside an MLLP frame (the peer does not frame with 0x0B ... 0x1C 0x0D)")

// ErrFrameTooLarge reports a frame over the reader's size limit.
var ErrFrameTooLarge = errors.New("hl7v2: MLLP frame larger than the size limit")

// FrameError is an MLLP framing problem: bytes outside a frame, a frame
// over the size limit, a stream that ends or stalls inside a frame. Offset
// is the byte offset in the stream where the problem was seen. It wraps
// ErrUnframed, ErrFrameTooLarge, io.ErrUnexpectedEOF or, for a peer that
// stopped sending inside a frame, the reader's timeout, so errors.Is tells
// them apart and a framing problem is never a bare timeout. It carries no
// message bytes.
type FrameError struct {
	Offset int64
	// InFrame is true when the problem came after a frame's start block.
	InFrame bool
	Err     error
}

// Error names the problem and where it is.
func (e *FrameError) Error() string {
	where := "between frames"
	if e.InFrame {
		where = "inside a frame"
	}
	return fmt.Sprintf("hl7v2: MLLP %s at byte %d: %v", where, e.Offset, e.Err)
}

// Unwrap returns the cause.
func (e *FrameError) Unwrap() error { return e.Err }

// MLLPReader reads MLLP frames from a stream, however TCP cuts them.
type MLLPReader struct {
	r   *bufio.Reader
	max int
	off int64
}

// NewMLLPReader reads frames from r; a frame over maxSize bytes fails with
// ErrFrameTooLarge (maxSize <= 0 means DefaultMaxMessageSize).
func NewMLLPReader(r io.Reader, maxSize int) *MLLPReader {
	if maxSize <= 0 {
		maxSize = DefaultMaxMessageSize
	}
	return &MLLPReader{r: bufio.NewReader(r), max: maxSize}
}

// ReadMessage returns the next frame's content. It returns io.EOF when the
// stream ends between frames and the reader's error (a timeout) as is while
// it waits for a frame to start; every other problem is a *FrameError: bytes
// outside a frame (ErrUnframed; line breaks between frames are skipped), a
// frame over the limit (ErrFrameTooLarge), the end of the stream inside a
// frame (io.ErrUnexpectedEOF) or the reader's error inside a frame (a peer
// that never sends the end block times out as a FrameError, not a bare
// timeout).
func (r *MLLPReader) ReadMessage() ([]byte, error) {
	for {
		c, err := r.r.ReadByte()
		if err != nil {
			return nil, err
		}
		r.off++
		if c == mllpStart {
			break
		}
		if c != '\r' && c != '\n' {
			return nil, &FrameError{Offset: r.off - 1, Err: ErrUnframed}
		}
	}
	inFrame := func(err error) error {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return &FrameError{Offset: r.off, InFrame: true, Err: err}
	}
	var msg []byte
	for {
		chunk, err := r.r.ReadSlice(mllpEnd)
		r.off += int64(len(chunk))
		if len(msg)+len(chunk) > r.max+1 {
			return nil, inFrame(ErrFrameTooLarge)
		}
		msg = append(msg, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			return nil, inFrame(err)
		}
		break
	}
	c, err := r.r.ReadByte()
	if err != nil {
		return nil, inFrame(err)
	}
	r.off++
	if c != mllpCR {
		return nil, inFrame(ErrUnframed)
	}
	return msg[:len(msg)-1], nil
}

// WriteMLLP writes msg as one MLLP frame.
func WriteMLLP(w io.Writer, msg []byte) error {
	frame := make([]byte, 0, len(msg)+3)
	frame = append(frame, mllpStart)
	frame = append(frame, msg...)
	frame = append(frame, mllpEnd, mllpCR)
	_, err := w.Write(frame)
	return err
}

// Handler answers one message (the frame's bytes) with its ACK.
type Handler func(ctx context.Context, msg []byte) (ack []byte)

// Server serves MLLP connections. The zero value uses DefaultMaxMessageSize
// and a five-minute idle timeout.
type Server struct {
	// MaxMessageSize limits one frame.
	MaxMessageSize int
	// IdleTimeout closes a connection that sends nothing for this long.
	IdleTimeout time.Duration
	// WriteTimeout bounds writing one ACK.
	WriteTimeout time.Duration
	// Logger receives framing problems and write failures, with the peer's
	// address and never message bytes; nil discards them.
	Logger *slog.Logger
}

// Serve accepts connections on ln and answers each message with handler's
// ACK, in order per connection. When ctx is cancelled it stops accepting,
// lets every message being handled finish and be answered, closes the
// connections and returns nil; it returns an accept error otherwise.
func (s Server) Serve(ctx context.Context, ln net.Listener, handler Handler) error {
	idle := s.IdleTimeout
	if idle <= 0 {
		idle = 5 * time.Minute
	}
	write := s.WriteTimeout
	if write <= 0 {
		write = 30 * time.Second
	}
	var (
		mu    sync.Mutex
		conns = map[net.Conn]bool{}
		wg    sync.WaitGroup
	)
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			_ = c.SetReadDeadline(time.Now()) // wake idle readers; handlers still answer
		}
		mu.Unlock()
	})
	defer stop()
	var err error
	for {
		var c net.Conn
		c, err = ln.Accept()
		if err != nil {
			break
		}
		mu.Lock()
		conns[c] = true
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { mu.Lock(); delete(conns, c); mu.Unlock(); c.Close() }()
			r := NewMLLPReader(c, s.MaxMessageSize)
			for ctx.Err() == nil {
				_ = c.SetReadDeadline(time.Now().Add(idle))
				msg, err := r.ReadMessage()
				if err != nil {
					s.framing(c, err, write)
					return
				}
				ack := handler(ctx, msg)
				_ = c.SetWriteDeadline(time.Now().Add(write))
				if err := WriteMLLP(c, ack); err != nil {
					s.log().Warn("hl7v2: writing an ACK failed", "peer", c.RemoteAddr().String(), "err", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func (s Server) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// framing handles a read error of a connection about to be closed: a
// framing problem is logged and answered with a framed AR whose ERR says
// what was wrong, so a peer that does not frame (or frames badly) sees an
// answer instead of waiting for one until it times out.
func (s Server) framing(c net.Conn, err error, write time.Duration) {
	var fe *FrameError
	if !errors.As(err, &fe) {
		return
	}
	s.log().Warn("hl7v2: MLLP framing error; closing the connection", "peer", c.RemoteAddr().String(), "offset", fe.Offset, "err", fe.Err)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return // the peer is gone
	}
	reason := "data outside an MLLP frame (frames are 0x0B message 0x1C 0x0D)"
	switch {
	case errors.Is(err, ErrFrameTooLarge):
		reason = "MLLP frame larger than the size limit"
	case !errors.Is(err, ErrUnframed):
		reason = "MLLP frame without its end block (0x1C 0x0D) in time"
	}
	ack := Ack(NewMessage(StandardDelimiters, "", "", "", "", "", "", "ACK"), AR, "ACK", time.Now(),
		AckError{Code: CodeSegmentSequence, Text: reason})
	_ = c.SetWriteDeadline(time.Now().Add(write))
	_ = WriteMLLP(c, ack.Encode())
}
