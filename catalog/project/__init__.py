"""symcat.project: filtered, recursive UMAP projections of stored vectors (the `project` extra).

Importing this package imports no umap, numba or matplotlib; they load on first use.
"""
