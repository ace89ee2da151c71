"""Persistence: tables, engine and sessions, migrations, and SQL aggregate queries."""
