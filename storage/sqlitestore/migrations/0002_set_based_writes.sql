-- Version rows are written in multi-row INSERTs; the writer then moves the
-- records' pointers, drops the index terms of previous versions and logs the
-- writes to the feed with one statement each for the whole batch (see
-- tx.flush) instead of this trigger's three statements per row.
DROP TRIGGER versions_written;
