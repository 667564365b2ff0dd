"""Fixtures of this folder live in labels_harness.py (helpers are imported from there by name:
every test folder has its own conftest, so `from conftest import ...` would be ambiguous)."""

from labels_harness import labelled, synth_folder  # noqa: F401
