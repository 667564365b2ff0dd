"""Synthetic Asylum DART-PFM .ibw files with known domain patterns, for tests, demo and benchmarks.

``ibw_writer`` writes the Igor format, ``dart`` the instrument note, ``domains`` the images,
``dataset`` a labelled folder tree; ``python -m symcat.ingest.synth OUT --n N`` runs it.
"""
