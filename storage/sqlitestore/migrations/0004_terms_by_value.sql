-- Index terms in one B-tree instead of two. terms was keyed (tn, id, value)
-- for the accesses by record (sort keys, filters checked per candidate,
-- dropping a replaced version's terms) with terms_value on (tn, value, id)
-- for filters: every term was inserted twice, the second time at a random
-- position. Keyed (tn, value, id), the table is its own filter index; the
-- accesses by record read the record's version instead, whose terms column
-- holds the same terms (see query.go and tx.dropReplaced).
CREATE TABLE terms_by_value (
	tn    INTEGER NOT NULL,
	value TEXT    NOT NULL,
	id    TEXT    NOT NULL,
	PRIMARY KEY (tn, value, id)
) WITHOUT ROWID;
INSERT INTO terms_by_value (tn, value, id) SELECT tn, value, id FROM terms;
DROP TABLE terms;
ALTER TABLE terms_by_value RENAME TO terms;
