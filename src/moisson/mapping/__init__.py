"""Pure functions from wire formats to drafts: no I/O, no database, no settings."""
