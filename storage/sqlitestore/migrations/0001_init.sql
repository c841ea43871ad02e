-- versions holds every version of every record, tombstones included. It is a
-- rowid table: bodies of a kilobyte and more insert much faster than into a
-- WITHOUT ROWID table. updated is microseconds since the Unix epoch (UTC);
-- labels are space separated (labels never contain spaces); terms is the
-- record's term list in the package's binary encoding (see codec.go).
CREATE TABLE versions (
	rid         INTEGER PRIMARY KEY,
	type        TEXT    NOT NULL,
	id          TEXT    NOT NULL,
	version     INTEGER NOT NULL,
	updated     INTEGER NOT NULL,
	compartment TEXT    NOT NULL,
	labels      TEXT,
	terms       BLOB,
	deleted     INTEGER NOT NULL,
	value       BLOB
);
CREATE UNIQUE INDEX versions_key ON versions (type, id, version);

-- records points at the latest version of each record (a tombstone when it
-- was deleted) and carries what queries filter and sort on.
CREATE TABLE records (
	type        TEXT    NOT NULL,
	id          TEXT    NOT NULL,
	version     INTEGER NOT NULL,
	rid         INTEGER NOT NULL,
	deleted     INTEGER NOT NULL,
	compartment TEXT    NOT NULL,
	updated     INTEGER NOT NULL,
	PRIMARY KEY (type, id)
) WITHOUT ROWID;
CREATE INDEX records_compartment ON records (compartment, type, id) WHERE compartment <> '';

-- terms indexes the current version of each live record: the primary key
-- serves sort keys (smallest value of a term), terms_value serves filters.
CREATE TABLE terms (
	type  TEXT NOT NULL,
	id    TEXT NOT NULL,
	name  TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (type, id, name, value)
) WITHOUT ROWID;
CREATE INDEX terms_value ON terms (type, name, value);

-- changes is the change feed. Record writes point at their version (rid);
-- events carry their own columns. seq is assigned in commit order: SQLite has
-- one writer at a time.
CREATE TABLE changes (
	seq         INTEGER PRIMARY KEY,
	rid         INTEGER,
	time        INTEGER NOT NULL,
	topic       TEXT,
	key         TEXT,
	compartment TEXT,
	payload     BLOB
);

-- Writing a version moves the record's pointer, drops the index terms of the
-- previous version (a first version has none; the writer inserts the new
-- ones) and logs the write to the feed, except for change-feed checkpoints
-- (storage.CheckpointType).
CREATE TRIGGER versions_written AFTER INSERT ON versions
BEGIN
	DELETE FROM terms WHERE NEW.version > 1 AND type = NEW.type AND id = NEW.id;
	INSERT INTO records (type, id, version, rid, deleted, compartment, updated)
	VALUES (NEW.type, NEW.id, NEW.version, NEW.rid, NEW.deleted, NEW.compartment, NEW.updated)
	ON CONFLICT (type, id) DO UPDATE SET
		version = excluded.version, rid = excluded.rid, deleted = excluded.deleted,
		compartment = excluded.compartment, updated = excluded.updated;
	INSERT INTO changes (rid, time) SELECT NEW.rid, NEW.updated WHERE NEW.type <> 'FeedCheckpoint';
END;
