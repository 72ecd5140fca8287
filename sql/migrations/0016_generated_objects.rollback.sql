-- Undo 0016_generated_objects. The generated objects themselves are the
-- repeatables': the migrator's teardown dropped them before this runs.
set local lock_timeout = '5s';
drop table if exists private.generated_objects;
