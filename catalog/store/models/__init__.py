"""All tables; importing this registers them on `symcat.store.base.metadata`."""

from symcat.store.models.embedding import Embedding, EmbeddingModel
from symcat.store.models.federation import FederationLab, SharingRule
from symcat.store.models.history import PathVersion
from symcat.store.models.label import LabelSet, Prediction, PropagationRun, ScanLabel
from symcat.store.models.projection import Projection, ProjectionPoint
from symcat.store.models.scan import Channel, OriginalFile, Refusal, Scan
from symcat.store.models.search_code import SearchCode, SearchList
from symcat.store.models.selection import SavedSelection, SelectionScan
from symcat.store.models.symmetry import SymmetryPrediction

__all__ = [
    "Channel", "Embedding", "EmbeddingModel", "FederationLab", "LabelSet", "OriginalFile",
    "PathVersion", "Prediction", "Projection", "ProjectionPoint", "PropagationRun", "Refusal",
    "SavedSelection", "Scan", "ScanLabel", "SearchCode", "SearchList",
    "SelectionScan", "SharingRule",
    "SymmetryPrediction",
]
