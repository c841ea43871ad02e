package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/rx"
)

// Exit statuses.
const (
	exitOK    = 0
	exitUsage = 2
	exitError = 1
)

// run is the program without its process: arguments, input and outputs are
// passed in, the exit status is returned.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rxcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kbDir := fs.String("kb", "", "directory of extra knowledge-base files (ehrkit format) merged with the shipped base")
	suppress := fs.String("suppress", "", "comma-separated rule, class or dose-limit IDs to turn off")
	pretty := fs.Bool("pretty", false, "indent the JSON output")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "rxcheck: unexpected argument %q (the input is read from standard input)\n", fs.Arg(0))
		return exitUsage
	}
	kb, err := knowledgeBase(*kbDir, *suppress)
	if err != nil {
		fmt.Fprintf(stderr, "rxcheck: %v\n", err)
		return exitError
	}
	in, err := decode(stdin)
	if err != nil {
		fmt.Fprintf(stderr, "rxcheck: %v\n", err)
		return exitUsage
	}
	if in.On.IsZero() {
		in.On = ehrkit.DateOf(ehrkit.RealClock{}.Now())
	}
	res := rx.Check(kb, in)
	enc := json.NewEncoder(stdout)
	if *pretty {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(res); err != nil {
		fmt.Fprintf(stderr, "rxcheck: write output: %v\n", err)
		return exitError
	}
	return exitOK
}

func knowledgeBase(dir, suppress string) (rx.KnowledgeBase, error) {
	parts := []rx.KnowledgeBase{rx.Shipped()}
	if dir != "" {
		extra, err := rx.LoadBase(os.DirFS(dir))
		if err != nil {
			return nil, fmt.Errorf("knowledge base %s: %w", dir, err)
		}
		parts = append([]rx.KnowledgeBase{extra}, parts...)
	}
	var ids []string
	for _, id := range strings.Split(suppress, ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	if len(parts) == 1 && len(ids) == 0 {
		return parts[0], nil
	}
	return rx.Merge(parts, ids...), nil
}

// decode reads exactly one JSON document and checks its shape. Errors name
// the JSON path of the offending value.
// maxInput bounds the document read: 8 MiB, some 50 000 orders. Larger
// input is refused before it is decoded, so memory stays bounded.
const maxInput = 8 << 20

func decode(r io.Reader) (rx.Input, error) {
	var in rx.Input
	var raw json.RawMessage
	data, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	switch {
	case err != nil:
		return in, fmt.Errorf("read input: %w", err)
	case len(data) > maxInput:
		return in, fmt.Errorf("input too large: more than %d bytes", maxInput)
	}
	if !utf8.Valid(data) {
		// JSON is UTF-8 (RFC 8259 §8.1); decoding would rewrite the bytes.
		n := 0
		for n < len(data) {
			r, size := utf8.DecodeRune(data[n:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			n += size
		}
		return in, fmt.Errorf("malformed input: not UTF-8 at byte %d", n)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		var syntax *json.SyntaxError
		switch {
		case errors.Is(err, io.EOF):
			return in, errors.New("empty input: expected one JSON document on standard input")
		case errors.Is(err, io.ErrUnexpectedEOF):
			return in, errors.New("malformed input: the JSON document ends early")
		case errors.As(err, &syntax):
			return in, fmt.Errorf("malformed input: not JSON at byte %d: %w", syntax.Offset, err)
		}
		return in, fmt.Errorf("malformed input: %w", err)
	}
	if dec.More() {
		return in, errors.New("malformed input: more than one JSON document")
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		if located := locate(raw, reflect.TypeFor[rx.Input]()); located != nil {
			err = located
		}
		return in, fmt.Errorf("malformed input: %w", err)
	}
	if err := in.Validate(); err != nil {
		return in, fmt.Errorf("invalid input: %w", err)
	}
	return in, nil
}
