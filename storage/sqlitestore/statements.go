package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
)

// termSizes is the number of prepared term INSERTs: the i-th inserts 1<<i
// rows. A flush uses the largest as often as it fits, then one statement per
// set bit of the remainder.
const termSizes = 8

// SQL of the prepared statements.
const (
	sqlGet = `SELECT ` + recordColumns + ` FROM records r JOIN versions v ON v.rid = r.rid
		WHERE r.type = ? AND r.id = ? AND r.deleted = 0`
	sqlGetVersion = `SELECT ` + recordColumns + ` FROM versions v WHERE v.type = ? AND v.id = ? AND v.version = ?`
	sqlHistory    = `SELECT ` + recordColumns + ` FROM versions v WHERE v.type = ? AND v.id = ? ORDER BY v.version`
	sqlChanges    = `SELECT c.seq, c.time, v.type, v.id, v.version, v.deleted, v.compartment, v.labels,
		c.topic, c.key, c.compartment, c.payload
		FROM changes c LEFT JOIN versions v ON v.rid = c.rid WHERE c.seq > ? ORDER BY c.seq LIMIT ?`
	sqlCurrent = `SELECT version FROM records WHERE type = ? AND id = ?`
	// sqlPut writes the next version of (type, id) if the current version is
	// the expected one (or the expectation is storage.Any) and returns its
	// number; no row means a stale expectation. Parameters: updated,
	// compartment, labels, terms, deleted, value, type, id, expect, expect.
	sqlPut = `INSERT INTO versions (type, id, version, updated, compartment, labels, terms, deleted, value)
		SELECT k.type, k.id, coalesce(r.version, 0) + 1, ?, ?, ?, ?, ?, ?
		FROM (SELECT ? AS type, ? AS id) k LEFT JOIN records r ON r.type = k.type AND r.id = k.id
		WHERE ? = -1 OR coalesce(r.version, 0) = ?
		RETURNING version`
	sqlEmit = `INSERT INTO changes (time, topic, key, compartment, payload) VALUES (?, ?, ?, ?, ?)`
)

// statements are prepared once per store. Reader statements run on the read
// pool, writer statements are bound to each transaction with Tx.StmtContext,
// which reuses the preparation on the single writer connection.
type statements struct {
	get, getVersion, history, changes *sql.Stmt // reader
	getTx, current, put, emit         *sql.Stmt // writer

	terms [termSizes]*sql.Stmt // writer: terms[i] inserts 1<<i term rows
}

func (st *statements) prepare(ctx context.Context, writer, reader *sql.DB) error {
	type prep struct {
		db   *sql.DB
		dst  **sql.Stmt
		text string
	}
	preps := []prep{
		{reader, &st.get, sqlGet},
		{reader, &st.getVersion, sqlGetVersion},
		{reader, &st.history, sqlHistory},
		{reader, &st.changes, sqlChanges},
		{writer, &st.getTx, sqlGet},
		{writer, &st.current, sqlCurrent},
		{writer, &st.put, sqlPut},
		{writer, &st.emit, sqlEmit},
	}
	for i := range st.terms {
		preps = append(preps, prep{writer, &st.terms[i], insertTermsSQL(1 << i)})
	}
	for _, p := range preps {
		stmt, err := p.db.PrepareContext(ctx, p.text)
		if err != nil {
			return err
		}
		*p.dst = stmt
	}
	return nil
}

// insertTermsSQL is an INSERT of n term rows. Duplicate terms of one record
// are ignored.
func insertTermsSQL(n int) string {
	return "INSERT OR IGNORE INTO terms (type, id, name, value) VALUES " +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", n), ", ")
}

func (st *statements) close() error {
	var errs []error
	all := append([]*sql.Stmt{st.get, st.getVersion, st.history, st.changes, st.getTx, st.current, st.put, st.emit}, st.terms[:]...)
	for _, stmt := range all {
		if stmt != nil {
			errs = append(errs, stmt.Close())
		}
	}
	return errors.Join(errs...)
}
