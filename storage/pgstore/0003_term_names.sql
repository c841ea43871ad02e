-- ehrkit pgstore schema, version 3: index terms name their term by an
-- integer (tn) standing for the record type and the term name, instead of
-- repeating both strings in every row of record_terms and of its two
-- indexes: rows and index entries about a fifth narrower, so a batch of
-- writes inserts fewer bytes and compares integers where it compared
-- strings. term_names is append-only: a tn, once committed, never changes
-- meaning. On a distributed engine it is a reference table (see the package
-- documentation).
CREATE TABLE term_names (
    tn   integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type text COLLATE "C" NOT NULL,
    name text COLLATE "C" NOT NULL,
    UNIQUE (type, name)
);
INSERT INTO term_names (type, name) SELECT DISTINCT type, name FROM record_terms ORDER BY 1, 2;

CREATE TABLE record_terms_by_name (
    tn          integer NOT NULL,
    compartment text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    value       bytea NOT NULL
);
INSERT INTO record_terms_by_name (tn, compartment, id, value)
    SELECT n.tn, t.compartment, t.id, t.value FROM record_terms t JOIN term_names n ON n.type = t.type AND n.name = t.name;
DROP TABLE record_terms;
ALTER TABLE record_terms_by_name RENAME TO record_terms;
-- Equality, prefix (a range on bytes) and range filters of one type and name.
CREATE INDEX record_terms_lookup ON record_terms (tn, value, id);
-- Terms of one record: replacing them on update, filters correlated with a
-- record, and sorting by a term.
CREATE INDEX record_terms_record ON record_terms (tn, id, value);

-- The statistics and settings of version 2, on the new table.
ALTER TABLE record_terms ALTER COLUMN value SET STATISTICS 1000;
CREATE STATISTICS IF NOT EXISTS record_terms_name_value (mcv) ON tn, value FROM record_terms;
ALTER TABLE record_terms SET (parallel_workers = 0);
ANALYZE term_names;
ANALYZE record_terms;
