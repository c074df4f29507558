"""Loading PyTorch weights: ``from_state_dict(layer, module.state_dict())``.

Each layer names, in ``STATE_KEYS``, which of its attributes holds each entry of
PyTorch's ``state_dict`` (``"out_proj.weight"`` → ``out_proj_weight``). Values may be
torch tensors or anything NumPy reads; torch itself is never imported here. Buffers a
layer does not model (BatchNorm1d's running statistics) are listed in ``IGNORED_KEYS``
and skipped; any other missing or unexpected key, or a wrong shape, is refused.
"""

from __future__ import annotations

from typing import Any, Mapping, TypeVar

import numpy as np

from symdl.errors import SymdlError

Layer = TypeVar("Layer")


def _as_array(value: Any) -> np.ndarray:
    """A torch tensor (on any device, with or without grad) or an array-like, as float64."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=float)


def from_state_dict(layer: Layer, state_dict: Mapping[str, Any]) -> Layer:
    """Copy a PyTorch ``state_dict`` into ``layer`` (in place) and return the layer.

    A value is reshaped to the layer's own shape when only the layout differs (a (4H,)
    bias into a ``layout="columns"`` cell's (4H, 1)); a layer built without a bias must
    get none, and one with a bias must get it.
    """
    kind = type(layer).__name__
    keys: Mapping[str, str] = getattr(layer, "STATE_KEYS", None) or {}
    if not keys:
        raise SymdlError(f"{kind} cannot load a state_dict")
    wanted = {key for key, attribute in keys.items() if getattr(layer, attribute) is not None}
    given = set(state_dict) - set(getattr(layer, "IGNORED_KEYS", ()))
    if given != wanted:
        missing, unexpected = sorted(wanted - given), sorted(given - wanted)
        raise SymdlError(f"{kind} state_dict: missing keys {missing}, unexpected keys {unexpected}")
    loaded = {}
    for key in sorted(wanted):
        current, value = getattr(layer, keys[key]), _as_array(state_dict[key])
        if value.size != current.size:
            raise SymdlError(f"{kind} state_dict: {key!r} has shape {value.shape}, the layer's is {current.shape}")
        loaded[keys[key]] = value.reshape(current.shape)
    for attribute, value in loaded.items():  # only once every entry has been checked
        setattr(layer, attribute, value)
    return layer


class LoadsStateDict:
    """Gives a layer PyTorch's ``load_state_dict`` method."""

    STATE_KEYS: Mapping[str, str] = {}
    IGNORED_KEYS: tuple[str, ...] = ()

    def load_state_dict(self, state_dict: Mapping[str, Any]):
        """As :func:`from_state_dict`; returns the layer."""
        return from_state_dict(self, state_dict)
