"""Symmetry-aware features at run time: the plane-group network and its extractor.

Modules, each with one job: ``groups`` (ITA operations), ``model`` (the network and its
input policy), ``weights`` (split safetensors), ``lattice`` (a scan's lattice and the
views drawn at the trained cell size), ``motif`` (small cells averaged into one),
``drift`` (scan lines' drift undone before averaging), ``extract`` (the API:
``SymmetryExtractor``). Training, its generators and ablations live in the repository's
top-level ``training/`` folder, which is not installed. Nothing is imported here, so
``import symcat.embed.symmetry`` stays free of torch.
"""
