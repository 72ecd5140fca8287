-- Errors quote what the caller sent, so they can see what was wrong, but never more
-- than a short prefix of it: a megabyte slug is not echoed back whole (nor written
-- whole to the server log). Every RPC that quotes its input goes through this.

create or replace function private.preview(value text, max_chars integer default 64)
returns text
language sql
immutable
set search_path = ''
as $$
  select case
    when value is null then 'null'
    when pg_catalog.char_length(value) <= max_chars then value
    else pg_catalog.left(value, max_chars) || pg_catalog.format('... (%s characters)', pg_catalog.char_length(value))
  end
$$;

revoke execute on function private.preview(text, integer) from public, anon;
