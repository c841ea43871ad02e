-- ehrkit pgstore schema, version 1.
--
-- Every table carries the patient compartment as a column ('' for records
-- outside any compartment) so that the schema can be distributed by
-- compartment; see the package documentation. Text columns use the "C"
-- collation: ids, types and names compare byte-wise, as the storage contract
-- requires, whatever the database's default collation is. Term values and
-- record values are bytea: the contract treats them as byte strings.

-- One row per version of every record, tombstones included: the history.
CREATE TABLE record_versions (
    compartment text COLLATE "C" NOT NULL,
    type        text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    version     bigint NOT NULL,
    updated     timestamptz NOT NULL,
    deleted     boolean NOT NULL,
    labels      text[] COLLATE "C",
    term_names  text[] COLLATE "C",
    term_values bytea[],
    value       bytea,
    PRIMARY KEY (type, id, version)
);

-- One row per record: which version is current. Narrow, so that optimistic
-- concurrency (UPDATE ... WHERE version = expected) and queries touch little.
CREATE TABLE records (
    compartment text COLLATE "C" NOT NULL,
    type        text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    version     bigint NOT NULL,
    deleted     boolean NOT NULL,
    updated     timestamptz NOT NULL,
    PRIMARY KEY (type, id)
);
CREATE INDEX records_compartment ON records (compartment, type, id) WHERE NOT deleted;
CREATE INDEX records_updated ON records (type, updated, id) WHERE NOT deleted;

-- The index terms of current, non-deleted records.
CREATE TABLE record_terms (
    compartment text COLLATE "C" NOT NULL,
    type        text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    name        text COLLATE "C" NOT NULL,
    value       bytea NOT NULL
);
-- Equality, prefix (a range on bytes) and range filters of one type.
CREATE INDEX record_terms_lookup ON record_terms (type, name, value, id);
-- Terms of one record: replacing them on update, filters correlated with a
-- record, and sorting by a term.
CREATE INDEX record_terms_record ON record_terms (type, id, name, value);

-- The change feed and transactional outbox. seq is assigned under a
-- transaction-level advisory lock held until commit, so it follows commit
-- order (see the package documentation).
CREATE TABLE changes (
    seq         bigserial PRIMARY KEY,
    kind        text NOT NULL,
    time        timestamptz NOT NULL,
    compartment text COLLATE "C" NOT NULL,
    type        text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    version     bigint NOT NULL,
    labels      text[] COLLATE "C",
    topic       text NOT NULL,
    key         text NOT NULL,
    payload     bytea
);
