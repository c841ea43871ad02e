// Command hl7 reads HL7 v2 messages.
//
//	hl7 parse [-json] FILE...
//
// parses every message in the files (batches and files of several messages
// included; segments may end in "\r", "\n" or "\r\n"). Without -json it
// prints one line per message; with -json one JSON object per message:
// source, index, type, version, control_id, segments, roundtrip (the
// encoded message parses strictly to the same bytes) and error (null, or its
// segment, repetition, field, component and message, never message content).
// The exit status is 0 when every message parsed, 1 when some failed, 2 on
// bad usage.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ehrkit/ehrkit/interop/hl7v2"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

const usage = "usage: hl7 parse [-json] FILE..."

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

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "parse" {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	fs := flag.NewFlagSet("parse", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "one JSON object per message")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() == 0 {
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
