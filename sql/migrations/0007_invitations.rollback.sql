-- Undo 0007_invitations.
drop table if exists private.invitations;
