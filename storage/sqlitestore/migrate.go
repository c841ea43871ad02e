package sqlitestore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// migrations holds the schema steps, named NNNN_description.sql and applied
// in order. A step is never edited once released; changes come as new steps.
//
//go:embed migrations/*.sql
var migrations embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded steps in version order.
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	out := make([]migration, 0, len(names))
	for i, name := range names { // fs.Glob returns names sorted
		num, _, _ := strings.Cut(path.Base(name), "_")
		v, err := strconv.Atoi(num)
		if err != nil || v != i+1 {
			return nil, fmt.Errorf("migration %s: want number %04d", name, i+1)
		}
		b, err := migrations.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: path.Base(name), sql: string(b)})
	}
	return out, nil
}

// migrate brings the schema to the latest version in one write transaction,
// recording the version reached in schema_version. A database written by a
// newer release (a version this one does not know) is refused.
func (s *Store) migrate(ctx context.Context) error {
	steps, err := loadMigrations()
	if err != nil {
		return err
	}
	// A store at the current version needs no write. Reading the version
	// outside a transaction takes no write lock, so a process opens the store
	// while another one is writing to it.
	if current, ok, err := s.schemaVersion(ctx); err == nil && ok && current == len(steps) {
		return nil
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return err
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return err
	}
	if current > len(steps) {
		return storage.Errorf("open", "", "", ehrkit.ErrUnsupported, "schema version %d is newer than %d", current, len(steps))
	}
	for _, m := range steps[current:] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, m.version); err != nil {
			return err
		}
		s.log.InfoContext(ctx, "sqlitestore: schema migrated", "version", m.version, "step", m.name)
	}
	return tx.Commit()
}

// checkSchema, for a read-only store, checks that the file holds an ehrkit
// store at the schema version of this release, without changing it.
func (s *Store) checkSchema(ctx context.Context) error {
	steps, err := loadMigrations()
	if err != nil {
		return err
	}
	current, ok, err := s.schemaVersion(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return storage.Errorf("open", "", "", ehrkit.ErrFailedPrecondition, "not an ehrkit store: no schema_version table")
	}
	switch {
	case current > len(steps):
		return storage.Errorf("open", "", "", ehrkit.ErrUnsupported, "schema version %d is newer than %d", current, len(steps))
	case current < len(steps):
		return storage.Errorf("open", "", "", ehrkit.ErrFailedPrecondition, "schema version %d is older than %d; open the store read-write once to migrate it", current, len(steps))
	}
	return nil
}

// schemaVersion reads the schema version recorded in the file, outside any
// transaction; ok is false when the file has no schema_version table.
func (s *Store) schemaVersion(ctx context.Context) (version int, ok bool, err error) {
	var tables int
	if err := s.writer.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'`).Scan(&tables); err != nil {
		return 0, false, err
	}
	if tables == 0 {
		return 0, false, nil
	}
	if err := s.writer.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&version); err != nil {
		return 0, false, err
	}
	return version, true, nil
}
