package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/shopspring/decimal"

	"github.com/ehrkit/ehrkit/interop/x12"
)

const usage = "usage: x12 parse [-json] FILE...\n       x12 claim [-db FILE | -postgres DSN] -claim ID"

// problem is the JSON form of an *x12.Error.
type problem struct {
	Segment  string `json:"segment"`
	Position int    `json:"position"`
	Element  int    `json:"element"`
	Message  string `json:"message"`
}

// report describes one transaction set (or, when the input fails before any
// set, the file).
type report struct {
	Source      string    `json:"source"`
	Interchange string    `json:"interchange"`
	Group       string    `json:"group"`
	Set         string    `json:"set"`
	Type        string    `json:"type"`
	Version     string    `json:"version"`
	Segments    int       `json:"segments"`
	Claims      *int      `json:"claims,omitempty"`
	TotalCharge *string   `json:"total_charge,omitempty"`
	Payments    *int      `json:"payments,omitempty"`
	TotalPaid   *string   `json:"total_paid,omitempty"`
	Benefits    *int      `json:"benefits,omitempty"`
	Warnings    []problem `json:"warnings,omitempty"`
	Error       *problem  `json:"error"`
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "claim" {
		return runClaim(args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "parse" {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	fs := flag.NewFlagSet("parse", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "one JSON object per transaction set")
	if err := fs.Parse(args[1:]); err != nil {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	status := 0
	emit := func(r report) {
		if r.Error != nil {
			status = 1
		}
		if *asJSON {
			b, _ := json.Marshal(r)
			fmt.Fprintf(stdout, "%s\n", b)
			return
		}
		fmt.Fprintln(stdout, r.text())
	}
	for _, name := range fs.Args() {
		if err := parseFile(name, emit); err != nil {
			fmt.Fprintf(stderr, "x12: %v\n", err)
			status = 1
		}
	}
	return status
}

// parseFile reports every transaction set of one file; it returns an error
// only when the file cannot be read at all.
func parseFile(name string, emit func(report)) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	r := x12.NewReader(f, x12.WithLeniency(x12.LenientSetControlNumber))
	var cur *set
	warned := 0
	for {
		s, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var xe *x12.Error
			if !errors.As(err, &xe) {
				return err
			}
			rep := report{Source: name}
			if cur != nil {
				rep = cur.report(name)
			} else {
				env := r.Envelope()
				rep.Interchange, rep.Group = env.Interchange, env.Group
			}
			rep.Error = toProblem(xe)
			emit(rep)
			return nil
		}
		switch s.ID() {
		case "ST":
			env := r.Envelope()
			cur = &set{env: env, version: s.Element(3)}
			if cur.version == "" {
				cur.version = env.Version
			}
		case "SE":
			cur.segments++
			rep := cur.report(name)
			for _, w := range r.Warnings()[warned:] {
				rep.Warnings = append(rep.Warnings, *toProblem(w))
			}
			warned = len(r.Warnings())
			emit(rep)
			cur = nil
			continue
		}
		if cur != nil {
			if xe := cur.add(s, r.Position()); xe != nil {
				rep := cur.report(name)
				rep.Error = toProblem(xe)
				emit(rep)
				return nil
			}
		}
	}
}

func toProblem(e *x12.Error) *problem {
	return &problem{Segment: e.Segment, Position: e.Position, Element: e.Element, Message: e.Message}
}

// set accumulates one transaction set's summary.
type set struct {
	env      x12.Envelope
	version  string
	segments int
	count    int
	total    decimal.Decimal
}

// amountElement is, per transaction type, the segment counted and the
// element summed: CLM02 (total claim charge) for 837, CLP04 (claim payment)
// for 835, EB for 271 (counted only).
var amountElement = map[string]struct {
	seg  string
	elem int
}{"837": {"CLM", 2}, "835": {"CLP", 4}, "271": {"EB", 0}}

func (c *set) add(s x12.Segment, pos int) *x12.Error {
	c.segments++
	a, ok := amountElement[c.env.SetType]
	if !ok || s.ID() != a.seg {
		return nil
	}
	c.count++
	if a.elem == 0 {
		return nil
	}
	d, err := decimal.NewFromString(s.Element(a.elem))
	if err != nil {
		return &x12.Error{Segment: s.ID(), Position: pos, Element: a.elem, Message: "not a decimal amount"}
	}
	c.total = c.total.Add(d)
	return nil
}

func (c *set) report(source string) report {
	r := report{Source: source, Interchange: c.env.Interchange, Group: c.env.Group, Set: c.env.Set,
		Type: c.env.SetType, Version: c.version, Segments: c.segments}
	n, total := c.count, c.total.StringFixed(2)
	switch c.env.SetType {
	case "837":
		r.Claims, r.TotalCharge = &n, &total
	case "835":
		r.Payments, r.TotalPaid = &n, &total
	case "271":
		r.Benefits = &n
	}
	return r
}

func (r report) text() string {
	head := fmt.Sprintf("%s: interchange %s group %s set %s %s %s", r.Source, r.Interchange, r.Group, r.Set, r.Type, r.Version)
	if r.Error != nil {
		return fmt.Sprintf("%s: error at %s position %d element %d: %s", head, r.Error.Segment, r.Error.Position, r.Error.Element, r.Error.Message)
	}
	out := fmt.Sprintf("%s: %d segments", head, r.Segments)
	switch {
	case r.Claims != nil:
		out += fmt.Sprintf(", %d claims, total charge %s", *r.Claims, *r.TotalCharge)
	case r.Payments != nil:
		out += fmt.Sprintf(", %d payments, total paid %s", *r.Payments, *r.TotalPaid)
	case r.Benefits != nil:
		out += fmt.Sprintf(", %d benefits", *r.Benefits)
	}
	for _, w := range r.Warnings {
		out += fmt.Sprintf("; warning at %s position %d element %d: %s", w.Segment, w.Position, w.Element, w.Message)
	}
	return out
}
