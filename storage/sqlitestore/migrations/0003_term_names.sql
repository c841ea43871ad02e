-- Index terms name their term with an integer (tn) that stands for the
-- record type and the term name, instead of repeating both strings in every
-- row of terms and of its index: entries about a third narrower, so a batch's
-- terms, inserted at scattered positions of terms_value, dirty fewer pages.
-- term_names is append-only: a tn, once given, never changes meaning.
CREATE TABLE term_names (
	tn   INTEGER PRIMARY KEY,
	type TEXT NOT NULL,
	name TEXT NOT NULL,
	UNIQUE (type, name)
);
INSERT INTO term_names (type, name) SELECT DISTINCT type, name FROM terms ORDER BY type, name;

-- The primary key serves per-record access (sort keys, filters checked per
-- candidate, dropping a replaced version's terms); terms_value, which holds
-- (tn, value, id), serves filters with the ids of one value in id order.
CREATE TABLE terms_by_name (
	tn    INTEGER NOT NULL,
	id    TEXT    NOT NULL,
	value TEXT    NOT NULL,
	PRIMARY KEY (tn, id, value)
) WITHOUT ROWID;
INSERT INTO terms_by_name (tn, id, value)
	SELECT n.tn, t.id, t.value FROM terms t JOIN term_names n ON n.type = t.type AND n.name = t.name;
DROP TABLE terms;
ALTER TABLE terms_by_name RENAME TO terms;
CREATE INDEX terms_value ON terms (tn, value);
