"""Labels on scans, their propagation over the kNN graph, and evaluation of embeddings.

`store` writes and reads human labels, `csv_import` reads a labels file, `propagate`
extends labels to the unlabelled scans (graphlearning), `evaluate` scores embedding
models on labelled images. See docs/labels.md.
"""
