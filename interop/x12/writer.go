package x12

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Interchange is what an ISA/GS pair needs from the caller; control numbers
// and counts are the Writer's business.
type Interchange struct {
	SenderQualifier, Sender     string // ISA05, ISA06 (e.g. "ZZ", a submitter id)
	ReceiverQualifier, Receiver string // ISA07, ISA08
	AppSender, AppReceiver      string // GS02, GS03
	Control                     int    // ISA13 and GS06 (1 ... 999999999)
	Time                        time.Time
	Production                  bool // ISA15 "P", else "T"
}

// Writer writes segments, maintaining envelope control numbers and counts.
// Segments end with the segment terminator and a newline.
type Writer struct {
	w     *bufio.Writer
	d     Delimiters
	ic    Interchange
	sets  int
	segs  int
	st02  string
	err   error
	state int
}

// NewWriter returns a Writer using the delimiters d.
func NewWriter(w io.Writer, d Delimiters) *Writer {
	return &Writer{w: bufio.NewWriter(w), d: d}
}

var errWriterState = errors.New("x12: envelope written out of order")

// Begin writes ISA and GS for one functional group of the given functional
// identifier code (GS01, "HC" for claims) and version (GS08).
func (w *Writer) Begin(ic Interchange, functional, version string) error {
	if w.state != outside {
		return errWriterState
	}
	if ic.Control < 1 || ic.Control > 999999999 {
		return fmt.Errorf("x12: control number out of range: %w", errWriterState)
	}
	w.ic, w.state, w.sets = ic, inGroup, 0
	usage := "T"
	if ic.Production {
		usage = "P"
	}
	rep := string(w.d.Repetition)
	if w.d.Repetition == 0 {
		rep = "U"
	}
	t := ic.Time.UTC()
	w.raw("ISA", "00", pad("", 10), "00", pad("", 10), pad(ic.SenderQualifier, 2), pad(ic.Sender, 15),
		pad(ic.ReceiverQualifier, 2), pad(ic.Receiver, 15), t.Format("060102"), t.Format("1504"), rep, "00501",
		fmt.Sprintf("%09d", ic.Control), "0", usage, string(w.d.Component))
	w.raw("GS", functional, ic.AppSender, ic.AppReceiver, t.Format("20060102"), t.Format("1504"),
		strconv.Itoa(ic.Control), "X", version)
	return w.err
}

// BeginSet writes ST with a set control number numbered from 0001 within the
// group.
func (w *Writer) BeginSet(setType, version string) error {
	if w.state != inGroup {
		return errWriterState
	}
	w.sets++
	w.st02 = fmt.Sprintf("%04d", w.sets)
	w.state, w.segs = inSet, 0
	return w.Write(NewSegment("ST", setType, w.st02, version))
}

// Write writes one segment of the open transaction set.
func (w *Writer) Write(s Segment) error {
	if w.state != inSet {
		return errWriterState
	}
	w.segs++
	w.raw(s.ID(), trimTrailing(s.el[1:])...)
	return w.err
}

// EndSet writes SE with the set's segment count.
func (w *Writer) EndSet() error {
	if w.state != inSet {
		return errWriterState
	}
	w.segs++
	w.raw("SE", strconv.Itoa(w.segs), w.st02)
	w.state = inGroup
	return w.err
}

// End writes GE and IEA and flushes.
func (w *Writer) End() error {
	if w.state != inGroup {
		return errWriterState
	}
	w.raw("GE", strconv.Itoa(w.sets), strconv.Itoa(w.ic.Control))
	w.raw("IEA", "1", fmt.Sprintf("%09d", w.ic.Control))
	w.state = outside
	if w.err == nil {
		w.err = w.w.Flush()
	}
	return w.err
}

func (w *Writer) raw(id string, el ...string) {
	if w.err != nil {
		return
	}
	var b strings.Builder
	b.WriteString(id)
	for _, e := range el {
		b.WriteByte(w.d.Element)
		b.WriteString(e)
	}
	b.WriteByte(w.d.Segment)
	b.WriteByte('\n')
	_, w.err = w.w.WriteString(b.String())
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s[:n]
	}
	return s + strings.Repeat(" ", n-len(s))
}

func trimTrailing(el []string) []string {
	for len(el) > 0 && el[len(el)-1] == "" {
		el = el[:len(el)-1]
	}
	return el
}
