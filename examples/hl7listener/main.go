// Command hl7listener is an MLLP listener: it files the HL7 v2 messages
// senders send it and answers each with its ACK.
//
//	hl7listener [-addr 127.0.0.1:2575] [-db FILE | -postgres DSN]
//
// ADT^A01, A04 and A08 register and update patients, ADT^A40 merges them;
// ORU^R01 files results to the chart and tells the ordering clinician
// (critical values urgently), or puts a report whose patient is not certain
// into the reconciliation queue; ORM^O01 and OML^O21 store laboratory
// orders; SIU^S12-S15 book, move and cancel appointments. Other messages are
// answered AR. Results are filed leniently: a local code or a non-UCUM unit
// is kept as sent and labelled. The store is the SQLite file of -db
// (default ehrkit.db) or the PostgreSQL database of -postgres. On SIGTERM or
// an interrupt it stops accepting, answers the messages it is handling,
// closes the connections and exits 0. It prints the address it listens on.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/ehrkit/ehrkit/examples/internal/hl7feed"
	"github.com/ehrkit/ehrkit/examples/internal/storeflag"
	"github.com/ehrkit/ehrkit/interop/hl7v2"
)

func main() { storeflag.Main(run) }

const usage = "usage: hl7listener [-addr 127.0.0.1:2575] [-db FILE | -postgres DSN]"

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hl7listener", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:2575", "TCP `address` to listen on")
	stores := storeflag.Register(fs)
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || stores.Check() != nil {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	store, err := stores.Open(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "hl7listener: open store:", err)
		return 1
	}
	defer store.Close()
	feed, err := hl7feed.New(store)
	if err != nil {
		fmt.Fprintln(stderr, "hl7listener:", err)
		return 1
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(stderr, "hl7listener:", err)
		return 1
	}
	fmt.Fprintf(stdout, "hl7listener: listening on %s\n", ln.Addr())
	srv := hl7v2.Server{Logger: slog.New(slog.NewTextHandler(stderr, nil))}
	if err := srv.Serve(hl7feed.Context(ctx), ln, feed.Receiver.Handle); err != nil {
		fmt.Fprintln(stderr, "hl7listener:", err)
		return 1
	}
	fmt.Fprintln(stdout, "hl7listener: stopped")
	return 0
}
