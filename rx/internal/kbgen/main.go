// Command kbgen writes rx's shipped knowledge base (rx/kb/*.json, ehrkit's own
// format) from the public drug facts of the project corpus and the curated
// tables in this directory. Run it from the rx directory with go generate; the
// files it writes are committed.
//
//	go run ./internal/kbgen -out kb
//
// The corpus is the -corpus flag, else $EHRKIT_CORPUS, else ../../shared/corpus
// (the project's layout, relative to rx).
package main

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ehrkit/ehrkit/rx"
)

func main() {
	corpus := flag.String("corpus", cmp.Or(os.Getenv("EHRKIT_CORPUS"), filepath.Join("..", "..", "shared", "corpus")), "corpus root (holds drugs/)")
	out := flag.String("out", "kb", "directory to write the knowledge-base files to")
	verbose := flag.Bool("v", false, "print what the VA import did and the size of the base")
	flag.Parse()
	if err := run(*corpus, *out); err != nil {
		fmt.Fprintln(os.Stderr, "kbgen:", err)
		os.Exit(1)
	}
	if *verbose {
		if err := summary(*corpus, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "kbgen:", err)
			os.Exit(1)
		}
	}
}

// summary prints the VA import counts and the size of the generated base.
func summary(corpus string, w io.Writer) error {
	b, docs, err := generate(filepath.Join(corpus, "drugs"))
	if err != nil {
		return err
	}
	all := make([]rx.Document, 0, len(docs))
	for _, d := range docs {
		all = append(all, d)
	}
	base, err := rx.NewBase(all...)
	if err != nil {
		return err
	}
	st := b.vaStats
	fmt.Fprintf(w, "VA NDF-RT: %d rows, %d rules, %d rows merged into a rule of the same pair, %d rows skipped (participant without a code or a known name), %d new ingredients, %d salt codes folded\n",
		st.Rows, st.Rules, st.Merged, st.Skipped, st.NewIngredients, st.Folded)
	fmt.Fprintf(w, "base: %+v\n", base.Stats())
	return nil
}

func run(corpus, out string) error {
	if corpus == "" {
		return fmt.Errorf("no corpus: pass -corpus or set EHRKIT_CORPUS")
	}
	docs, err := build(filepath.Join(corpus, "drugs"))
	if err != nil {
		return err
	}
	for name, d := range docs {
		b, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, name), append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}
