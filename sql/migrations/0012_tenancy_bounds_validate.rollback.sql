-- Undo 0012_tenancy_bounds_validate: nothing to undo. A validated constraint stays
-- validated; 0010's rollback drops the constraints themselves.
select 1;
