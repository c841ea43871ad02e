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
	"os"
	"path/filepath"
)

func main() {
	corpus := flag.String("corpus", cmp.Or(os.Getenv("EHRKIT_CORPUS"), filepath.Join("..", "..", "shared", "corpus")), "corpus root (holds drugs/)")
	out := flag.String("out", "kb", "directory to write the knowledge-base files to")
	flag.Parse()
	if err := run(*corpus, *out); err != nil {
		fmt.Fprintln(os.Stderr, "kbgen:", err)
		os.Exit(1)
	}
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
