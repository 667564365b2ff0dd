"""All tables; importing this registers them on `symcat.store.base.metadata`."""

from symcat.store.models.embedding import Embedding, EmbeddingModel
from symcat.store.models.projection import Projection, ProjectionPoint
from symcat.store.models.scan import Channel, OriginalFile, Refusal, Scan
from symcat.store.models.symmetry import SymmetryPrediction

__all__ = [
    "Channel", "Embedding", "EmbeddingModel", "OriginalFile", "Projection", "ProjectionPoint",
    "Refusal", "Scan", "SymmetryPrediction",
]
