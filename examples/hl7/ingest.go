package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ehrkit/ehrkit/examples/internal/hl7feed"
	"github.com/ehrkit/ehrkit/examples/internal/storeflag"
	"github.com/ehrkit/ehrkit/interop/hl7v2"
)

// ingestReport is the -json output of ingest.
type ingestReport struct {
	Messages       int        `json:"messages"`
	Accepted       int        `json:"accepted"`
	Rejected       []rejected `json:"rejected"`
	Patients       int        `json:"patients"`
	Results        int        `json:"results"`
	Reconciliation int        `json:"reconciliation"`
}

type rejected struct {
	Source string `json:"source"`
	Index  int    `json:"index"`
	Ack    string `json:"ack"`
	Error  string `json:"error"`
}

func ingest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stores := storeflag.Register(fs)
	asJSON := fs.Bool("json", false, "print one JSON report instead of the ACKs")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 || stores.Check() != nil {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	store, err := stores.Open(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "hl7 ingest: open store:", err)
		return 1
	}
	defer store.Close()
	feed, err := hl7feed.New(store)
	if err != nil {
		fmt.Fprintln(stderr, "hl7 ingest:", err)
		return 1
	}
	ctx = hl7feed.Context(ctx)
	rep := ingestReport{Rejected: []rejected{}}
	answer := func(source string, index int, msg []byte) {
		ack := feed.Receiver.Handle(ctx, msg)
		rep.Messages++
		if !*asJSON {
			fmt.Fprint(stdout, strings.ReplaceAll(string(ack), "\r", "\n"))
		}
		code, text := ackSummary(ack)
		if code == string(hl7v2.AA) {
			rep.Accepted++
			return
		}
		rep.Rejected = append(rep.Rejected, rejected{Source: source, Index: index, Ack: code, Error: text})
	}
	for _, name := range fs.Args() {
		data, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(stderr, "hl7 ingest: %v\n", err)
			rep.Messages++
			rep.Rejected = append(rep.Rejected, rejected{Source: name, Ack: string(hl7v2.AR), Error: "cannot read the file"})
			continue
		}
		b, err := hl7v2.ParseBatch(data, hl7v2.AllowLineFeeds())
		if err != nil {
			answer(name, 0, canonical(data)) // the AR names the file's problem
			continue
		}
		for i, raw := range b.Raw {
			answer(name, i, canonical(raw))
		}
	}
	c, err := feed.Counts(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "hl7 ingest:", err)
		return 1
	}
	rep.Patients, rep.Results, rep.Reconciliation = c.Patients, c.Results, c.Reconciliation
	if *asJSON {
		if err := json.NewEncoder(stdout).Encode(rep); err != nil {
			return 1
		}
	}
	if len(rep.Rejected) > 0 {
		return 1
	}
	return 0
}

// canonical gives a message's segments the HL7 terminator "\r" and drops
// empty lines: files saved by editors end segments in "\n" or "\r\n".
func canonical(data []byte) []byte {
	segs := strings.FieldsFunc(strings.TrimPrefix(string(data), "\uFEFF"), func(r rune) bool { return r == '\r' || r == '\n' })
	return []byte(strings.Join(segs, "\r") + "\r")
}

// ackSummary reads MSA-1 of an ACK and its ERR segments as one text: each
// ERR's location (ERR-2) and diagnostic (ERR-8, else the ERR-3 text).
func ackSummary(ack []byte) (string, string) {
	m, err := hl7v2.Parse(ack)
	if err != nil {
		return string(hl7v2.AR), "unreadable acknowledgement"
	}
	var parts []string
	for _, e := range m.All("ERR") {
		text := e.Field(8).Text()
		if text == "" {
			text = e.Field(3).Rep(1).Component(2).Text()
		}
		if loc := e.Field(2).Raw(); strings.Trim(loc, "^") != "" {
			text = loc + " " + text
		}
		parts = append(parts, text)
	}
	return m.Get("MSA-1"), strings.Join(parts, "; ")
}
