"""Storage: the PostgreSQL schema, connections, migrations and the one write path."""
