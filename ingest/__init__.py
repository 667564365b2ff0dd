"""Turning instrument files into catalog records; no database here."""
