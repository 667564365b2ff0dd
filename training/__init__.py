"""Model training and experiments; not part of the installed `symcat` package.

Run from the repository root (``python -m training.symmetry.train ...``); tests import
the generators from here (pytest puts the repository root on ``sys.path``).
"""
