package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/ehrkit/ehrkit/storage"
)

// batchSizes is the number of prepared INSERTs per batched table: the i-th
// inserts 1<<i rows. A flush uses the largest as often as it fits, then one
// statement per set bit of the remainder.
const batchSizes = 8

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
	// The statements after a multi-row INSERT into versions; the parameter is
	// the largest rid before it. They move the records' pointers, read the
	// terms of the versions replaced (a first version replaces none; the
	// writer deletes their index terms and inserts the new ones) and log the
	// writes to the feed in rid order, except change-feed checkpoints
	// (storage.CheckpointType).
	sqlLastRid      = `SELECT coalesce(max(rid), 0) FROM versions`
	sqlMovePointers = `INSERT INTO records (type, id, version, rid, deleted, compartment, updated)
		SELECT type, id, version, rid, deleted, compartment, updated FROM versions WHERE rid > ? ORDER BY rid
		ON CONFLICT (type, id) DO UPDATE SET
			version = excluded.version, rid = excluded.rid, deleted = excluded.deleted,
			compartment = excluded.compartment, updated = excluded.updated`
	sqlReplacedTerms = `SELECT p.type, p.id, p.terms FROM versions v
		JOIN versions p ON p.type = v.type AND p.id = v.id AND p.version = v.version - 1
		WHERE v.rid > ? AND v.version > 1 AND p.terms IS NOT NULL`
	sqlLogWrites = `INSERT INTO changes (rid, time)
		SELECT rid, updated FROM versions WHERE rid > ? AND type <> '` + storage.CheckpointType + `' ORDER BY rid`
	sqlEmit = `INSERT INTO changes (time, topic, key, compartment, payload) VALUES (?, ?, ?, ?, ?)`
	// The integer standing for a record type and term name (see
	// migrations/0003_term_names.sql), and the statement that gives a new
	// pair its integer.
	sqlTermName    = `SELECT tn FROM term_names WHERE type = ? AND name = ?`
	sqlAddTermName = `INSERT INTO term_names (type, name) VALUES (?, ?) RETURNING tn`
)

// statements are prepared once per store. Reader statements run on the read
// pool, writer statements are bound to each transaction with Tx.StmtContext,
// which reuses the preparation on the single writer connection.
type statements struct {
	get, getVersion, history, changes *sql.Stmt // reader
	getTx, current, emit              *sql.Stmt // writer
	lastRid, movePointers, replaced   *sql.Stmt // writer
	logWrites, termName, addTermName  *sql.Stmt // writer

	versions, terms, dropTerms batch // writer
	versionsOf                 batch // writer: current versions of 1<<i records
}

// batch holds the prepared multi-row INSERTs into one table: stmts[i] inserts
// 1<<i rows of width values each.
type batch struct {
	width int
	stmts [batchSizes]*sql.Stmt
}

func (st *statements) prepare(ctx context.Context, writer, reader *sql.DB) error {
	type prep struct {
		db   *sql.DB
		dst  **sql.Stmt
		text string
	}
	preps := []prep{
		{reader, &st.get, hideArgs(sqlGet)},
		{reader, &st.getVersion, hideArgs(sqlGetVersion)},
		{reader, &st.history, hideArgs(sqlHistory)},
		{reader, &st.changes, sqlChanges},
		{writer, &st.getTx, hideArgs(sqlGet)},
		{writer, &st.current, hideArgs(sqlCurrent)},
		{writer, &st.emit, sqlEmit},
		{writer, &st.lastRid, sqlLastRid},
		{writer, &st.movePointers, sqlMovePointers},
		{writer, &st.replaced, sqlReplacedTerms},
		{writer, &st.logWrites, sqlLogWrites},
		{writer, &st.termName, sqlTermName},
		{writer, &st.addTermName, sqlAddTermName},
	}
	// Version rows carry a number the writer has checked (see tx.write).
	// Duplicate terms of one record
	// are ignored.
	st.versions.width, st.terms.width, st.dropTerms.width, st.versionsOf.width = 9, 3, 3, 2
	for i := range batchSizes {
		keys := strings.TrimSuffix(strings.Repeat("(?, ?), ", 1<<i), ", ")
		preps = append(preps, prep{writer, &st.versionsOf.stmts[i],
			"SELECT type, id, version FROM records WHERE (type, id) IN (VALUES " + keys + ")"})
		preps = append(preps,
			prep{writer, &st.versions.stmts[i], insertSQL(
				"INSERT INTO versions (type, id, version, updated, compartment, labels, terms, deleted, value)", 9, 1<<i)},
			prep{writer, &st.terms.stmts[i], insertSQL("INSERT OR IGNORE INTO terms (tn, id, value)", 3, 1<<i)},
			prep{writer, &st.dropTerms.stmts[i], "DELETE FROM terms WHERE (tn, id, value) IN (VALUES " +
				strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", 1<<i), ", ") + ")"},
		)
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

// insertSQL completes the INSERT head with a VALUES clause of n rows of
// width parameters each.
func insertSQL(head string, width, n int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	return head + " VALUES " + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

func (st *statements) close() error {
	var errs []error
	all := append([]*sql.Stmt{st.get, st.getVersion, st.history, st.changes, st.getTx, st.current, st.emit,
		st.lastRid, st.movePointers, st.replaced, st.logWrites, st.termName, st.addTermName}, st.versions.stmts[:]...)
	all = append(all, st.terms.stmts[:]...)
	all = append(all, st.dropTerms.stmts[:]...)
	all = append(all, st.versionsOf.stmts[:]...)
	for _, stmt := range all {
		if stmt != nil {
			errs = append(errs, stmt.Close())
		}
	}
	return errors.Join(errs...)
}
