"""MTFSim for Python: the RL multi-task-fusion simulator as Gymnasium environments, and its episode logs.

- ``mtfsim.Env`` / ``mtfsim.VectorEnv``: Gymnasium environments over the native simulator (needs ``gymnasium``),
  registered as ``MTFSim/ShortVideo-v0``, ``MTFSim/Tiny-v0`` and ``MTFSim/Ecommerce-v0`` when this package is
  imported (``gymnasium.make("MTFSim/ShortVideo-v0")``, ``gymnasium.make_vec(..., vectorization_mode="vector_entry_point")``).
- ``mtfsim.log``: an episode log's steps, sessions and impressions as numpy arrays (and pandas frames).
- ``mtfsim.export``: the log as a Minari dataset, a d3rlpy ``MDPDataset``, or Parquet with RLlib's columns.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

from ._native import LibraryNotFoundError, MTFSimError, ResetNeeded

if TYPE_CHECKING:
    from .env import Env
    from .vector_env import VectorEnv

__all__ = ["Env", "VectorEnv", "MTFSimError", "LibraryNotFoundError", "ResetNeeded", "PRESETS", "version"]
__version__ = "0.15.0"

#: Gymnasium ids of the embedded presets.
PRESETS = {"MTFSim/ShortVideo-v0": "short-video", "MTFSim/Tiny-v0": "tiny", "MTFSim/Ecommerce-v0": "ecommerce"}


def __getattr__(name: str) -> Any:
    if name in ("Env", "VectorEnv"):
        if importlib.util.find_spec("gymnasium") is None:
            raise ImportError(f"mtfsim.{name} needs gymnasium: pip install 'mtfsim[gymnasium]' (or pip install gymnasium)")
        if name == "Env":
            from .env import Env

            return Env
        from .vector_env import VectorEnv

        return VectorEnv
    raise AttributeError(f"module 'mtfsim' has no attribute {name!r}")


def version() -> str:
    """The MTFSim release of the loaded simulator library."""
    from ._native import version as native_version

    return native_version()


def _register() -> None:
    """Registers the presets with Gymnasium, when it is installed (idempotent)."""
    if importlib.util.find_spec("gymnasium") is None:
        return
    import gymnasium

    for env_id, preset in PRESETS.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(env_id, entry_point="mtfsim.env:Env", vector_entry_point="mtfsim.vector_env:VectorEnv",
                               kwargs={"environment": preset})


_register()
