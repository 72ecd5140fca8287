"""`python -m supakit` runs the CLI."""

from .cli import main

main()
