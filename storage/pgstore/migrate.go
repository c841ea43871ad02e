package pgstore

import (
	"context"
	"embed"
	"io/fs"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

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
	if schema, err = s.schemaOf(ctx, conn, op, schema); err != nil {
		return err
	}
	files, err := migrationFiles(op)
	if err != nil {
		return err
	}
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

// schemaOf returns the schema the store's tables live in: the one WithSchema
// named, or the first existing schema of the connection's search_path. It
// also derives the feed lock key from it.
func (s *Store) schemaOf(ctx context.Context, conn *pgxpool.Conn, op, schema string) (string, error) {
	if schema == "" {
		var current *string
		if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&current); err != nil {
			return "", s.fail(ctx, op, "", "", err)
		}
		if current == nil {
			return "", storage.Errorf(op, "", "", ehrkit.ErrFailedPrecondition, "search_path names no existing schema")
		}
		schema = *current
	}
	s.feedLock = lockKey("feed", schema)
	return schema, nil
}

// migrationFiles lists the embedded migrations in the order they apply.
func migrationFiles(op string) ([]string, error) {
	files, err := fs.Glob(migrations, "*.sql")
	if err != nil {
		return nil, storage.Errorf(op, "", "", ehrkit.ErrFailedPrecondition, "reading migrations: %w", err)
	}
	slices.Sort(files)
	return files, nil
}

// verify is migrate for a read-only store: it changes nothing and fails with
// ehrkit.ErrNotFound when the schema holds no ehrkit store, and with
// ehrkit.ErrFailedPrecondition when the store lacks a migration of this
// release.
func (s *Store) verify(ctx context.Context, schema string) error {
	const op = "open"
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return s.fail(ctx, op, "", "", err)
	}
	defer conn.Release()
	if schema != "" {
		var exists bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&exists); err != nil {
			return s.fail(ctx, op, "", "", err)
		}
		if !exists {
			return storage.Errorf(op, "", "", ehrkit.ErrNotFound, "schema %q does not exist", schema)
		}
	}
	if schema, err = s.schemaOf(ctx, conn, op, schema); err != nil {
		return err
	}
	var table *string
	if err := conn.QueryRow(ctx, `SELECT to_regclass(quote_ident($1) || '.schema_migrations')::text`, schema).Scan(&table); err != nil {
		return s.fail(ctx, op, "", "", err)
	}
	if table == nil {
		return storage.Errorf(op, "", "", ehrkit.ErrNotFound, "schema %q holds no ehrkit store", schema)
	}
	rows, err := conn.Query(ctx, `SELECT version FROM `+pgx.Identifier{schema, "schema_migrations"}.Sanitize())
	if err != nil {
		return s.fail(ctx, op, "", "", err)
	}
	applied, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return s.fail(ctx, op, "", "", err)
	}
	files, err := migrationFiles(op)
	if err != nil {
		return err
	}
	for _, f := range files {
		if v := strings.TrimSuffix(f, ".sql"); !slices.Contains(applied, v) {
			return storage.Errorf(op, "", "", ehrkit.ErrFailedPrecondition,
				"the store's schema is older than this release (migration %s is missing) and a read-only store is never migrated", v)
		}
	}
	return nil
}
