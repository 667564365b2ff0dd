"""Fixtures of this folder live in federation_harness.py (helpers are imported from there by name:
every test folder has its own conftest, so `from conftest import ...` would be ambiguous)."""

from federation_harness import federation, federation_root, hub_with_labs, template  # noqa: F401
