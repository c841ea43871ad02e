package hl7v2

import (
	"bufio"
	"context"
	"errors"
	"io"
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

// MLLPReader reads MLLP frames from a stream, however TCP cuts them.
type MLLPReader struct {
	r   *bufio.Reader
	max int
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
// stream ends between frames, io.ErrUnexpectedEOF inside one, ErrUnframed
// for bytes outside a frame (line breaks between frames are skipped), and
// the reader's error (a timeout) as is.
func (r *MLLPReader) ReadMessage() ([]byte, error) {
	for {
		c, err := r.r.ReadByte()
		if err != nil {
			return nil, err
		}
		if c == mllpStart {
			break
		}
		if c != '\r' && c != '\n' {
			return nil, ErrUnframed
		}
	}
	var msg []byte
	for {
		chunk, err := r.r.ReadSlice(mllpEnd)
		if len(msg)+len(chunk) > r.max+1 {
			return nil, ErrFrameTooLarge
		}
		msg = append(msg, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, err
		}
		break
	}
	c, err := r.r.ReadByte()
	if err == io.EOF {
		return nil, io.ErrUnexpectedEOF
	}
	if err != nil {
		return nil, err
	}
	if c != mllpCR {
		return nil, ErrUnframed
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
					return
				}
				ack := handler(ctx, msg)
				_ = c.SetWriteDeadline(time.Now().Add(write))
				if WriteMLLP(c, ack) != nil {
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
