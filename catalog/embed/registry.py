"""Extractor registry: stable names, a configuration per name, one factory.

A registry name (``effnet_lite0_4tap.in1k``) says which architecture and which weights;
the stored id adds the weights' sha256 and the preprocessing version
(``effnet_lite0_4tap.in1k@57934424e0c4-pp1``), so a vector always says exactly what made
it and a change of weights or recipe can never mix with older vectors. This module
imports no torch: names can be listed and checked on machines without the `embed` extra.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from symcat.embed import native, packed
from symcat.embed.preprocess import PREPROCESS_VERSION

BUILTIN_MODULES = (
    "symcat.embed.extractors.efficientnet",
    "symcat.embed.extractors.vgg",
    "symcat.embed.extractors.combined",
    "symcat.embed.extractors.symmetry_v2",
    "symcat.embed.extractors.symmetry_v3",
    "symcat.embed.extractors.symmetry_v4",
    "symcat.embed.extractors.symmetry_v5",
    "symcat.embed.extractors.symmetry_v8",
    "symcat.embed.extractors.symmetry_v9",
    "symcat.embed.extractors.symmetry_v10",
    "symcat.embed.extractors.symmetry_v11",
    "symcat.embed.extractors.symmetry_v12",
    "symcat.embed.extractors.symmetry_v13",
    "symcat.embed.extractors.symmetry_v14",
    "symcat.embed.extractors.symmetry_v16",
    "symcat.embed.extractors.symmetry_v18",
    "symcat.embed.extractors.symmetry_v19",
    "symcat.embed.extractors.symmetry_v20",
    "symcat.embed.extractors.symmetry_v21",
    "symcat.embed.extractors.symmetry_v22",
    "symcat.embed.extractors.symmetry_v23",
    "symcat.embed.extractors.symmetry_v24",
    "symcat.embed.extractors.symmetry_v25",
    "symcat.embed.extractors.symmetry_v26",
    "symcat.embed.extractors.symmetry_v27",
    "symcat.embed.extractors.symmetry_v28",
    "symcat.embed.extractors.symmetry_v29",
    "symcat.embed.extractors.symmetry_v30",
    "symcat.embed.extractors.symmetry_v31",
    "symcat.embed.extractors.symmetry_v32",
    "symcat.embed.extractors.symmetry_v33",
    "symcat.embed.extractors.symmetry_v34",
    "symcat.embed.extractors.symmetry_v35",
    "symcat.embed.extractors.symmetry_v36",
    "symcat.embed.extractors.symmetry_v37",
    "symcat.embed.extractors.symmetry_v38",
    "symcat.embed.extractors.symmetry_v39",
    "symcat.embed.extractors.symmetry_v40",
    "symcat.embed.extractors.symmetry_v41",
    "symcat.embed.extractors.symmetry_v42",
    "symcat.embed.extractors.symmetry_v43",
)
INSTALL_HINT = "pip install 'symcat[embed]'"


class UnknownExtractor(LookupError):
    """No extractor is registered under this name."""

    def __str__(self) -> str:  # LookupError would quote the message
        return str(self.args[0])


class ExtractorUnavailable(RuntimeError):
    """The extractor exists but cannot run here (weights or an optional package missing)."""


@dataclass(frozen=True)
class ExtractorCfg:
    """What an extractor is: everything that decides the vectors it produces."""

    name: str
    dim: int
    input_size: int
    weights: Callable[[], tuple[Path, ...]] = field(repr=False)
    licence: str
    description: str
    details: dict[str, Any] = field(default_factory=dict)
    # None: the fixed recipe (pp1, `input_size` square); a policy: native resolution (pp1n).
    size_policy: native.SizePolicy | None = None

    @property
    def sizing(self) -> native.Sizing:
        """What the preprocessing needs: the square size, or the native policy."""
        return self.size_policy or self.input_size

    @property
    def preprocess_version(self) -> str:
        return native.PREPROCESS_VERSION if self.size_policy else PREPROCESS_VERSION

    def weight_files(self) -> tuple[Path, ...]:
        """The files whose bytes are the weights; raises `ExtractorUnavailable` if absent."""
        files = self.weights()
        missing = [str(p) for p in files if not Path(p).is_file()]
        if missing:
            raise ExtractorUnavailable(f"{self.name}: weight files not found: {missing}")
        return files

    def weights_sha256(self) -> str:
        return _sha256_of(tuple(str(p) for p in self.weight_files()))

    @property
    def model_id(self) -> str:
        """The stable id stored with every vector: name, weights hash, preprocessing."""
        return f"{self.name}@{self.weights_sha256()[:12]}-{self.preprocess_version}"

    def describe(self) -> dict[str, Any]:
        """JSON-able record of the configuration, stored beside the model's vectors."""
        return {
            "name": self.name,
            "dim": self.dim,
            "input_size": self.input_size,
            "weights_sha256": self.weights_sha256(),
            "preprocess_version": self.preprocess_version,
            **({"size_policy": self.size_policy.describe()} if self.size_policy else {}),
            "licence": self.licence,
            "description": self.description,
            **self.details,
        }


@cache
def _sha256_of(paths: tuple[str, ...]) -> str:
    """sha256 over the weight files in order (one file: that file's own sha256); a packed
    file counts as the plain bytes it holds, so packing changes no model id."""
    digests = [packed.sha256(path) for path in paths]
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256("".join(digests).encode()).hexdigest()


Builder = Callable[[ExtractorCfg], Any]
_REGISTRY: dict[str, tuple[ExtractorCfg, Builder]] = {}


def register_extractor(cfg: ExtractorCfg) -> Callable[[Builder], Builder]:
    """Decorator for a builder `cfg -> torch module`; a name can be registered once."""

    def decorate(builder: Builder) -> Builder:
        if cfg.name in _REGISTRY:
            raise ValueError(f"an extractor named {cfg.name!r} is already registered")
        _REGISTRY[cfg.name] = (cfg, builder)
        return builder

    return decorate


def _load_builtins() -> None:
    for module in BUILTIN_MODULES:
        importlib.import_module(module)


def list_extractors() -> list[str]:
    """Every registered name, sorted."""
    _load_builtins()
    return sorted(_REGISTRY)


def get_cfg(name: str) -> ExtractorCfg:
    """The configuration of `name`; an unknown name fails with the valid ones listed."""
    _load_builtins()
    entry = _REGISTRY.get(name.split("@", 1)[0])
    if entry is None:
        valid = ", ".join(sorted(_REGISTRY))
        raise UnknownExtractor(f"unknown extractor {name!r}; valid extractors: {valid}")
    return entry[0]


def create_extractor(name: str, *, device: str | None = None, fold: bool = True) -> Any:
    """Build `name` with its weights (offline), in eval mode, on `device` (default CPU).

    `fold`: BatchNorm layers folded into their convolutions (`symcat.embed.folding`: the
    same vectors up to rounding, fewer passes over memory); False keeps the network as
    published (the benchmarks' and checks' reference).
    """
    cfg = get_cfg(name)
    cfg.weight_files()
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        raise ExtractorUnavailable(f"{name} needs torch: {INSTALL_HINT}") from exc
    module = _REGISTRY[cfg.name][1](cfg)
    module.eval()
    if fold:
        from symcat.embed.folding import fold_for_inference

        fold_for_inference(module)
    return module.to(device or "cpu")


def available(name: str) -> bool:
    """True when `name` is registered and its weights are present here."""
    try:
        get_cfg(name).weight_files()
    except (UnknownExtractor, ExtractorUnavailable):
        return False
    return True


NATURAL_DEFAULT = "effnet_lite0_4tap_native.in1k"
COMBINED_DEFAULT = "symcat_combined.v2"


def default_extractor() -> str:
    """The newest combined model when its weights ship, else the natural-image one.

    `symcat embed`, kNN, projections and the dashboard use it unless told otherwise; a
    catalog embedded with an older default keeps its vectors (ids never change meaning)
    and is brought up to date by `symcat embed` (resumable).
    """
    return COMBINED_DEFAULT if available(COMBINED_DEFAULT) else NATURAL_DEFAULT
