package x12

import (
	"errors"
	"io"
)

// setReader assembles values of type T from the transaction sets of one
// type in a stream, one value in memory at a time: cur is the value being
// read and flush hands it on.
type setReader[T any] struct {
	rd    *Reader
	cur   *T
	yield func(T, error) bool
}

// flush yields the value being read, if any; false means stop.
func (p *setReader[T]) flush() bool {
	if p.cur == nil {
		return true
	}
	v := *p.cur
	p.cur = nil
	return p.yield(v, nil)
}

// fail yields an error; it returns false, to stop.
func (p *setReader[T]) fail(err error) bool {
	var zero T
	p.yield(zero, err)
	return false
}

// run calls seg with each segment of the sets of setType until seg returns
// false or the input ends; a read error is yielded.
func (p *setReader[T]) run(setType string, seg func(s Segment, env Envelope) bool) {
	for {
		s, err := p.rd.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			p.fail(err)
			return
		}
		if env := p.rd.Envelope(); env.SetType == setType && !seg(s, env) {
			return
		}
	}
}
