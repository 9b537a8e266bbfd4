"""Persistence: SQLModel tables, engine and sessions, migrations, read queries.

Never imports textual or rich.
"""
