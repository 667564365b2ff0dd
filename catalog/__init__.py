"""symcat: a catalog of scanning-probe microscopy images."""
__version__ = "0.1.0"
