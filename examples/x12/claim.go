package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/examples/internal/storeflag"
	"github.com/ehrkit/ehrkit/interop/x12"
)

// runClaim writes the 837P of one stored claim, its names resolved from
// the store (x12.Resolve837P).
func runClaim(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("claim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stores := storeflag.Register(fs)
	id := fs.String("claim", "", "the claim `ID`")
	if err := fs.Parse(args); err != nil || *id == "" || fs.NArg() > 0 || stores.Check() != nil {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	ctx := context.Background()
	store, err := stores.OpenReadOnly(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "x12: %v\n", err)
		return 1
	}
	defer store.Close()
	rec, err := store.Get(ctx, billing.ClaimType, *id)
	if errors.Is(err, ehrkit.ErrNotFound) {
		fmt.Fprintf(stderr, "x12: no claim %s\n", *id)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "x12: %v\n", err)
		return 1
	}
	c, err := billing.ClaimRecords.Decode(rec)
	if err != nil {
		fmt.Fprintf(stderr, "x12: %v\n", err)
		return 1
	}
	sub := x12.Submission{Interchange: x12.Interchange{SenderQualifier: "ZZ", Sender: c.BillingNPI, ReceiverQualifier: "ZZ",
		Receiver: c.Payer, AppSender: c.BillingNPI, AppReceiver: c.Payer, Control: 1, Time: time.Now()}}
	if sub, err = x12.Resolve837P(ctx, store, sub, c); err != nil {
		fmt.Fprintf(stderr, "x12: %v\n", err)
		return 1
	}
	var out bytes.Buffer
	if err := x12.Write837(&out, sub, c); err != nil {
		var ve *ehrkit.ValidationError
		if errors.As(err, &ve) {
			for _, is := range ve.Issues {
				fmt.Fprintf(stderr, "x12: claim %s: %s: %s (%s)\n", c.ID, is.Path, is.Message, is.Code)
			}
			return 1
		}
		fmt.Fprintf(stderr, "x12: %v\n", err)
		return 1
	}
	if _, err := stdout.Write(out.Bytes()); err != nil {
		return 1
	}
	return 0
}
