package hl7v2

import (
	"strings"
)

// Batch is the content of a file or a batch: the messages in order, each
// with its own parse result, and the envelope segments (FHS, BHS, BTS, FTS)
// where they stood. A bare file of several messages has no envelope.
type Batch struct {
	// Messages are the parsed messages; a message that failed is nil and
	// its error is in Errs at the same index.
	Messages []*Message
	// Errs holds each message's parse error, nil for a message that parsed.
	Errs []error
	// Raw holds each message's bytes as they stood in the input (its line
	// endings included), for a handler that answers a message that failed.
	Raw [][]byte
	// Envelope holds the envelope segments with their place.
	Envelope []Enveloped
}

// Enveloped is one envelope segment and the index of the message it
// precedes (len(Messages) for one after the last message).
type Enveloped struct {
	Before  int
	Segment Segment
}

// envelope segment names
func isEnvelope(name string) bool {
	return name == "FHS" || name == "BHS" || name == "BTS" || name == "FTS"
}

// ParseBatch parses a file of messages: a batch with its FHS/BHS/BTS/FTS
// envelope, or bare messages one after the other. Each message is parsed on
// its own, so one bad message does not hide the others (see Batch.Errs). The
// error is for the file: over the size limit, an envelope segment that does
// not parse, content before the first message, or no message at all.
func ParseBatch(data []byte, opts ...Option) (*Batch, error) {
	o := newOptions(opts)
	if len(data) > o.maxMessage {
		return nil, &Error{Reason: "input larger than the size limit", limit: true}
	}
	segLimit := o.maxSegments
	o.maxSegments = len(data) + 1 // the segment limit applies per message below
	lines, err := splitLines(string(data), 0, &o)
	if err != nil {
		return nil, err
	}
	o.maxSegments = segLimit
	b := &Batch{}
	d := StandardDelimiters
	for i := 0; i < len(lines); {
		ln := lines[i]
		name := ln.text[:min(3, len(ln.text))]
		switch {
		case isEnvelope(name):
			if isHeader(name) {
				if d, err = readDelimiters(ln, i+1); err != nil {
					return nil, err
				}
			}
			seg, err := parseSegment(ln, i+1, d, &o)
			if err != nil {
				return nil, err
			}
			b.Envelope = append(b.Envelope, Enveloped{Before: len(b.Messages), Segment: seg})
			i++
		case name == "MSH":
			j := i + 1
			for j < len(lines) && !strings.HasPrefix(lines[j].text, "MSH") && !isEnvelope(lines[j].text[:min(3, len(lines[j].text))]) {
				j++
			}
			var m *Message
			var err error
			if j-i > o.maxSegments {
				err = &Error{Segment: "MSH", SegmentIndex: 1, Offset: ln.off, Reason: "more segments than the segment limit", limit: true}
			} else {
				m, err = parseMessage(lines[i:j], &o)
			}
			if m != nil {
				d = m.Delims
			}
			end := len(data)
			if j < len(lines) {
				end = lines[j].off
			}
			b.Messages, b.Errs, b.Raw = append(b.Messages, m), append(b.Errs, err), append(b.Raw, data[ln.off:end])
			i = j
		default:
			return nil, &Error{SegmentIndex: i + 1, Offset: ln.off, Reason: "content outside a message (a message starts with MSH)"}
		}
	}
	if len(b.Messages) == 0 {
		return nil, &Error{Reason: "no message"}
	}
	return b, nil
}

// Encode renders the batch in ER7, envelope included; a message that failed
// to parse is left out.
func (b *Batch) Encode() []byte {
	var out []byte
	env := b.Envelope
	for i := 0; i <= len(b.Messages); i++ {
		for len(env) > 0 && env[0].Before == i {
			m := Message{Delims: env[0].Segment.delims, Segments: []Segment{env[0].Segment}}
			out = m.AppendER7(out)
			env = env[1:]
		}
		if i < len(b.Messages) && b.Messages[i] != nil {
			out = b.Messages[i].AppendER7(out)
		}
	}
	return out
}
