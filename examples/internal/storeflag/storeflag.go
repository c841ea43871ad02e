// Package storeflag gives the example programs their common store flags,
// "-db FILE" (the embedded SQLite store, the default) and "-postgres DSN", and
// opens the store they name; Main runs a program with the process's arguments
// and streams.
package storeflag

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/pgstore"
	"github.com/ehrkit/ehrkit/storage/sqlitestore"
)

// DefaultDB is the SQLite file used when neither flag is given.
const DefaultDB = "ehrkit.db"

// Flags holds the store flags of one program.
type Flags struct {
	db       string
	postgres string
}

// Register adds -db and -postgres to fs.
func Register(fs *flag.FlagSet) *Flags {
	f := &Flags{}
	fs.StringVar(&f.db, "db", "", "SQLite database `file` (default "+DefaultDB+")")
	fs.StringVar(&f.postgres, "postgres", "", "PostgreSQL connection `DSN` instead of SQLite")
	return f
}

// ErrBothStores reports that -db and -postgres were both given.
var ErrBothStores = errors.New("give -db or -postgres, not both")

// Check reports a usage error in the flags.
func (f *Flags) Check() error {
	if f.db != "" && f.postgres != "" {
		return ErrBothStores
	}
	return nil
}

// Open opens the store the flags name, creating the SQLite file if it does
// not exist. Errors name the file.
func (f *Flags) Open(ctx context.Context) (storage.Store, error) {
	if f.postgres != "" {
		return pgstore.Open(ctx, f.postgres)
	}
	s, err := sqlitestore.Open(ctx, f.file())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.file(), err)
	}
	return s, nil
}

// ErrNoStore reports that the SQLite file a reading program was given does
// not exist.
var ErrNoStore = errors.New("no such database file")

// OpenReadOnly opens the store the flags name for a program that only reads
// it, read-only, so that it is never created, migrated or changed: the
// SQLite file must exist (else the error wraps ErrNoStore and names the
// file), and the PostgreSQL database must hold an ehrkit store of this
// release (else the error wraps ehrkit.ErrNotFound or
// ehrkit.ErrFailedPrecondition).
func (f *Flags) OpenReadOnly(ctx context.Context) (storage.Store, error) {
	if f.postgres != "" {
		s, err := pgstore.Open(ctx, f.postgres, pgstore.ReadOnly())
		if err != nil {
			return nil, fmt.Errorf("the PostgreSQL database: %w", err)
		}
		return s, nil
	}
	s, err := sqlitestore.Open(ctx, f.file(), sqlitestore.ReadOnly())
	switch {
	case errors.Is(err, ehrkit.ErrNotFound):
		return nil, fmt.Errorf("%s: %w", f.file(), ErrNoStore)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", f.file(), err)
	}
	return s, nil
}

// file is the SQLite file the flags name.
func (f *Flags) file() string {
	if f.db == "" {
		return DefaultDB
	}
	return f.db
}

// Main runs a program's run function with the process's arguments and
// standard streams, cancels its context on an interrupt or SIGTERM, and exits with the
// status run returns. Programs keep run testable and let main be one line.
func Main(run func(ctx context.Context, args []string, stdout, stderr io.Writer) int) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
