"""Alembic revisions for the symcat catalog (shipped as package data)."""
