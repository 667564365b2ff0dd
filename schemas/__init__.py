"""The metadata standard's JSON Schemas, as package data (see README.md)."""
