/* trail 1.2 -> 1.3 */
\echo Use "ALTER EXTENSION trail UPDATE TO '1.3'" to load this file. \quit

-- trail.read() in FROM is a CustomScan that can be parallel: the leader
-- puts the files it found in shared memory and every process of a Gather
-- reads the next one.  Called otherwise (in a SELECT list) it is safe in a
-- worker too: it reads files with the session's user and settings, writes
-- nothing and keeps no state between calls.
ALTER FUNCTION @extschema@.read(text, boolean, text) PARALLEL SAFE;
