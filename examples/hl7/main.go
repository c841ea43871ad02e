// Command hl7 reads HL7 v2 messages.
//
//	hl7 parse [-json] FILE...
//	hl7 ingest [-db FILE | -postgres DSN] [-json] FILE...
//
// parses every message in the files (batches and files of several messages
// included; segments may end in "\r", "\n" or "\r\n"). Without -json it
// prints one line per message; with -json one JSON object per message:
// source, index, type, version, control_id, segments, roundtrip (the
// encoded message parses strictly to the same bytes) and error (null, or its
// segment, repetition, field, component and message, never message content).
// The exit status is 0 when every message parsed, 1 when some failed, 2 on
// bad usage.
//
// ingest files every message of the files into a store as hl7listener
// would (ADT into the patient registry, ORU into lab results and the
// clinician's notifications or the reconciliation queue, ORM and OML into
// laboratory orders, SIU into the schedule) and prints each message's ACK
// (ER7, one segment a line). With -json it prints one report instead:
// messages, accepted (AA), rejected (source, index, ack AE or AR, and the
// ERR locations and texts, never message content), and what the store then
// holds: current patients, results filed to a patient, open reconciliation
// entries. The store is the SQLite file of -db (default ehrkit.db) or the
// PostgreSQL database of -postgres. The exit status is 0 when every message
// was accepted, 1 when some were not, 2 on bad usage.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ehrkit/ehrkit/examples/internal/storeflag"
	"github.com/ehrkit/ehrkit/interop/hl7v2"
)

func main() { storeflag.Main(run) }

const usage = "usage: hl7 parse [-json] FILE...\n       hl7 ingest [-db FILE | -postgres DSN] [-json] FILE..."

// report is the JSON line of one message.
type report struct {
	Source    string     `json:"source"`
	Index     int        `json:"index"`
	Type      string     `json:"type"`
	Version   string     `json:"version"`
	ControlID string     `json:"control_id"`
	Segments  int        `json:"segments"`
	Roundtrip bool       `json:"roundtrip"`
	Error     *errReport `json:"error"`
}

type errReport struct {
	Segment    string `json:"segment"`
	Repetition int    `json:"repetition"`
	Field      int    `json:"field"`
	Component  int    `json:"component"`
	Message    string `json:"message"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) > 0 && args[0] == "parse":
		return parse(args[1:], stdout, stderr)
	case len(args) > 0 && args[0] == "ingest":
		return ingest(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintln(stderr, usage)
	return 2
}

func parse(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("parse", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "one JSON object per message")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	failed := false
	enc := json.NewEncoder(stdout)
	emit := func(r report) {
		if r.Error != nil {
			failed = true
		}
		if *asJSON {
			_ = enc.Encode(r)
			return
		}
		if r.Error != nil {
			fmt.Fprintf(stdout, "%s #%d: error: %s\n", r.Source, r.Index, r.Error.Message)
			return
		}
		fmt.Fprintf(stdout, "%s #%d: %s %s %s, %d segments, roundtrip %t\n", r.Source, r.Index, r.Type, r.Version, r.ControlID, r.Segments, r.Roundtrip)
	}
	for _, name := range fs.Args() {
		data, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(stderr, "hl7: %v\n", err)
			emit(report{Source: name, Error: &errReport{Message: "cannot read the file"}})
			continue
		}
		b, err := hl7v2.ParseBatch(data, hl7v2.AllowLineFeeds())
		if err != nil {
			emit(report{Source: name, Error: toReport(err)})
			continue
		}
		for i, m := range b.Messages {
			if b.Errs[i] != nil {
				emit(report{Source: name, Index: i, Error: toReport(b.Errs[i])})
				continue
			}
			out := m.Encode()
			again, err := hl7v2.Parse(out)
			emit(report{Source: name, Index: i, Type: m.Type(), Version: m.Version(), ControlID: m.ControlID(),
				Segments: len(m.Segments), Roundtrip: err == nil && bytes.Equal(again.Encode(), out)})
		}
	}
	if failed {
		return 1
	}
	return 0
}

func toReport(err error) *errReport {
	var pe *hl7v2.Error
	if errors.As(err, &pe) {
		return &errReport{Segment: pe.Segment, Repetition: pe.Repetition, Field: pe.Field, Component: pe.Component, Message: pe.Error()}
	}
	return &errReport{Message: "unreadable input"}
}
