"""Durable records in SQL (SQLite by default, PostgreSQL through DATABASE_URL)."""
