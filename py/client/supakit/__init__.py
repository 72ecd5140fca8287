"""supakit: a Supabase-native PostgREST companion with SQL-first migrations."""

__version__ = "0.1.0"
