"""Save and load state dicts as safetensors split into parts under a size cap.

The device tool brings back files of at most 16 MB, and repositories dislike big
blobs, so every stored tensor set is cut into ``name.partNN.safetensors`` files. The
shipped ones are stored packed (``symcat.embed.packed``); they read as the plain files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import torch
from safetensors.torch import load, save_file

from symcat.embed import packed

MAX_PART_BYTES = 15 * 1024 * 1024


def save_split(state: dict[str, torch.Tensor], folder: Path | str, name: str,
               dtype: torch.dtype | None = None, max_bytes: int = MAX_PART_BYTES) -> list[Path]:
    """Write ``state`` as parts; floating tensors are cast to ``dtype`` when given."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    packed.remove(folder, f"{name}.part*.safetensors")
    parts: list[dict[str, torch.Tensor]] = [{}]
    size = 0
    for key, t in state.items():
        t = t.detach().cpu()
        if dtype is not None and t.is_floating_point():
            t = t.to(dtype)
        t = t.contiguous()
        nbytes = t.numel() * t.element_size()
        if nbytes > max_bytes:
            raise ValueError(f"tensor {key} has {nbytes} bytes, more than max_bytes={max_bytes}")
        if size + nbytes > max_bytes and parts[-1]:
            parts.append({})
            size = 0
        parts[-1][key] = t
        size += nbytes
    paths = []
    for i, part in enumerate(parts):
        path = folder / f"{name}.part{i:02d}.safetensors"
        save_file(part, str(path))
        paths.append(path)
    return paths


def load_split(folder: Path | str, name: str,
               sha256s: Mapping[str, str] | None = None) -> dict[str, torch.Tensor]:
    """Read all parts of ``name`` (plain or packed) back into one state dict (on the CPU);
    with ``sha256s`` (plain file name -> digest, as a config.json lists them), every part
    must be listed and match, or ValueError names the file."""
    paths = packed.find(folder, f"{name}.part*.safetensors")
    if not paths:
        raise FileNotFoundError(f"no {name}.part*.safetensors files in {folder}")
    if sha256s is not None:
        missing = sorted(set(sha256s) - {packed.plain_name(p) for p in paths})
        if missing:
            raise FileNotFoundError(f"weights files {', '.join(missing)} named in "
                                    f"config.json are not in {folder}")
    state: dict[str, torch.Tensor] = {}
    for path in paths:
        data = packed.read_bytes(path)
        if sha256s is not None:
            plain = packed.plain_name(path)
            if hashlib.sha256(data).hexdigest() != sha256s.get(plain):
                raise ValueError(f"weights file {plain} does not match its sha256 in "
                                 "config.json")
        state.update(load(data))
    return state


def sha256(path: Path | str) -> str:
    """The sha256 of a weights file as the plain file holds it (packed or not)."""
    return packed.sha256(path)


def overlay(base: dict[str, torch.Tensor], delta: dict[str, torch.Tensor]
            ) -> dict[str, torch.Tensor]:
    """``base`` with the tensors of ``delta`` in place of its own (a fine-tuned version
    ships only what it changed over an older version's files; symcat_symmetry.v5)."""
    out = dict(base)
    for key, t in delta.items():
        if key not in base:
            raise ValueError(f"delta tensor {key} is not in the base weights")
        if tuple(t.shape) != tuple(base[key].shape):
            raise ValueError(f"delta tensor {key} has shape {tuple(t.shape)}, the base "
                             f"{tuple(base[key].shape)}")
        out[key] = t
    return out
