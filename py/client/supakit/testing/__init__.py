"""pytest harness: throwaway Postgres (container, local or URL), migrated once, cloned per test."""
