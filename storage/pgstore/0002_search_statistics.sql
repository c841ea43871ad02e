-- ehrkit pgstore schema, version 2: statistics and settings for term searches.
--
-- A query starts from the range of the term index its equality filters
-- select and may merge several such ranges; the planner picks the order and
-- the join from how many terms share a name and value. With the default
-- statistics target the common values of a term (a name's first letters, a
-- phonetic code) fall outside the sampled most-common values and every value
-- is estimated alike, so the planner may probe from the largest range. A
-- larger target on value and most-common-value statistics over name and value
-- together give each common term its own frequency.
ALTER TABLE record_terms ALTER COLUMN value SET STATISTICS 1000;
CREATE STATISTICS IF NOT EXISTS record_terms_name_value (mcv) ON name, value FROM record_terms;

-- Term searches read a page; starting parallel workers for one costs more
-- than the page itself, and ties up cores other queries need.
ALTER TABLE record_terms SET (parallel_workers = 0);
