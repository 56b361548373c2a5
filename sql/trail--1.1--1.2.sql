/* trail 1.1 -> 1.2 */
\echo Use "ALTER EXTENSION trail UPDATE TO '1.2'" to load this file. \quit

-- trail.sync's first step joins the files under the location with the
-- store's manifest.  trail.files() is estimated at a few rows, so when the
-- manifest's statistics are stale (taken while it was empty, as after a
-- new store's first sync, before autovacuum analyzes it again) the planner
-- chose a nested loop that reads the store's whole manifest once for each
-- file: a sync with nothing new took 52 s instead of 0.2 s over 22,504
-- files, and grows with the square of the files.  The join is over every
-- file of the location and every manifest row of the store, which a hash
-- join does in one pass whatever the estimates say.
ALTER FUNCTION @extschema@.sync_begin(regclass, text, integer, text, boolean, boolean, boolean)
    SET enable_nestloop = off;
