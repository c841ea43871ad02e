package pgstore

import (
	"context"
	"embed"
	"io/fs"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// migrations are the schema changes, applied in file name order; a file's name
// without ".sql" is its version in schema_migrations. Files are never edited
// once released: a change is a new file.
//
//go:embed *.sql
var migrations embed.FS

// migrate creates the schema (if WithSchema named one) and applies the missing migrations in
// one transaction, under an advisory lock so that concurrent openers wait for
// each other instead of racing. It also derives the feed lock key from the
// schema the tables live in.
func (s *Store) migrate(ctx context.Context, schema string) error {
	const op = "migrate"
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return s.fail(ctx, op, "", "", err)
	}
	defer conn.Release()
	create := schema != ""
	if !create {
		var current *string
		if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&current); err != nil {
			return s.fail(ctx, op, "", "", err)
		}
		if current == nil {
			return storage.Errorf(op, "", "", ehrkit.ErrFailedPrecondition, "search_path names no existing schema")
		}
		schema = *current
	}
	s.feedLock = lockKey("feed", schema)

	files, err := fs.Glob(migrations, "*.sql")
	if err != nil {
		return storage.Errorf(op, "", "", ehrkit.ErrFailedPrecondition, "reading migrations: %w", err)
	}
	slices.Sort(files)
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey("migrate", schema)); err != nil {
			return err
		}
		if create {
			if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize()); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version text PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return err
		}
		applied, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, f := range files {
			version := strings.TrimSuffix(f, ".sql")
			if slices.Contains(applied, version) {
				continue
			}
			body, err := migrations.ReadFile(f)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, version); err != nil {
				return err
			}
			s.log.InfoContext(ctx, "pgstore: applied migration", "version", version)
		}
		return nil
	})
	if err != nil {
		return s.fail(ctx, op, "", "", err)
	}
	return nil
}
