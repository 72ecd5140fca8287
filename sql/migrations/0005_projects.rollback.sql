-- Undo 0005_projects.
-- Views over projects (active rows, trash) are repeatable objects in
-- sql/functions that no migration owns: cascade removes them with the table.
drop table if exists public.projects cascade;
