"""Database plumbing shared by every store: engines, column types, tables, migrations."""
