-- Undo 0017_generated_functions. The migrator's teardown dropped the generated
-- functions and emptied private.generated_objects before this runs.
set local lock_timeout = '5s';
delete from private.generated_objects where kind = 'function';
alter table private.generated_objects drop constraint generated_objects_kind;
alter table private.generated_objects
  add constraint generated_objects_kind_check check (kind in ('trigger', 'view')) not valid;
