"""symcat: a catalog of scanning-probe microscopy images."""
__version__ = "0.1.0"

__all__ = ["Catalog", "__version__"]


def __getattr__(name: str) -> object:
    # Lazy, so that `import symcat.ingest` (on instrument PCs) stays light.
    if name == "Catalog":
        from symcat.client import Catalog

        return Catalog
    raise AttributeError(f"module 'symcat' has no attribute {name!r}")
