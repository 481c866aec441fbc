"""The simulator's C ABI (``libMTFSimC.so``, declared in ``include/mtfsim.h``) through ctypes.

:class:`NativeEnvironment` owns one environment handle and the buffers its steps write; the Gymnasium classes in
:mod:`mtfsim.env` and :mod:`mtfsim.vector_env` sit on top of it. Every failure of the library arrives as a status
code with a message and is raised here as a Python exception: the process never aborts.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
from ctypes import POINTER, c_char_p, c_double, c_float, c_int32, c_int64, c_size_t, c_uint8, c_uint64, c_void_p
from pathlib import Path
from typing import Any, Sequence

import numpy as np

ABI_VERSION = 2
LIBRARY_NAME = "libMTFSimC.dylib" if sys.platform == "darwin" else "libMTFSimC.so"

OK, INVALID_ARGUMENT, ENVIRONMENT, INVALID_ACTION, NOT_RESET, RANKER, BUFFER_TOO_SMALL, POLICY = range(8)


class MTFSimError(RuntimeError):
    """A failure reported by the simulator library."""


class LibraryNotFoundError(MTFSimError, OSError):
    """The simulator library (``libMTFSimC.so``) was not found or could not be loaded."""


class ResetNeeded(MTFSimError):
    """``step`` was called before ``reset``, or after the episode ended."""


def _candidates() -> list[Path]:
    """Where the library is looked for, in order."""
    found: list[Path] = []
    override = os.environ.get("MTFSIM_LIBRARY")
    if override:
        found.append(Path(override))
    here = Path(__file__).resolve().parent
    found.append(here / "lib" / LIBRARY_NAME)
    # A source checkout: python/mtfsim/ → the repository's build folders.
    root = here.parent.parent
    found += [root / ".build" / "release" / LIBRARY_NAME, root / ".build" / "debug" / LIBRARY_NAME]
    return found


_library: ctypes.CDLL | None = None


def library() -> ctypes.CDLL:
    """The loaded library, with its function signatures declared (loaded once)."""
    global _library
    if _library is not None:
        return _library
    tried = _candidates()
    override = os.environ.get("MTFSIM_LIBRARY")
    path = next((p for p in tried if p.is_file()), None)
    if override and not Path(override).is_file():
        raise LibraryNotFoundError(f"MTFSIM_LIBRARY={override}: no such file")
    if path is None:
        raise LibraryNotFoundError(
            "the MTFSim simulator library was not found (looked in: "
            + ", ".join(str(p) for p in tried)
            + "). Install the package with `pip install ./python` from the repository (it builds the library), "
            "build it with `swift build -c release --product MTFSimC`, or set MTFSIM_LIBRARY to its path."
        )
    try:
        lib = ctypes.CDLL(str(path))
    except OSError as error:
        raise LibraryNotFoundError(f"{path}: cannot be loaded: {error}") from error
    try:
        lib.mtfsim_abi_version.restype = c_int32
        lib.mtfsim_abi_version.argtypes = []
    except AttributeError as error:
        raise LibraryNotFoundError(f"{path}: not the MTFSim simulator library ({error})") from error
    version = lib.mtfsim_abi_version()
    if version != ABI_VERSION:
        raise LibraryNotFoundError(f"{path}: ABI version {version}, this package needs {ABI_VERSION}; rebuild one of them")
    _declare(lib)
    _library = lib
    return lib


def _declare(lib: ctypes.CDLL) -> None:
    lib.mtfsim_version.restype = c_int32
    lib.mtfsim_version.argtypes = [c_char_p, c_size_t]
    lib.mtfsim_env_create.restype = c_void_p
    lib.mtfsim_env_create.argtypes = [c_char_p, c_char_p, c_char_p, c_uint64, c_int32, c_char_p, c_int64, c_int32,
                                      c_int32, c_char_p, c_size_t]
    lib.mtfsim_env_free.restype = None
    lib.mtfsim_env_free.argtypes = [c_void_p]
    lib.mtfsim_env_last_error.restype = c_char_p
    lib.mtfsim_env_last_error.argtypes = [c_void_p]
    lib.mtfsim_env_sizes.restype = c_int32
    lib.mtfsim_env_sizes.argtypes = [c_void_p] + [POINTER(c_int32)] * 4
    lib.mtfsim_env_describe.restype = c_int32
    lib.mtfsim_env_describe.argtypes = [c_void_p, c_char_p, c_size_t, POINTER(c_size_t)]
    # Buffers are passed as raw addresses (c_void_p): no per-call conversion.
    lib.mtfsim_env_reset.restype = c_int32
    lib.mtfsim_env_reset.argtypes = [c_void_p, c_uint64, c_int32, c_void_p, c_void_p]
    lib.mtfsim_env_step.restype = c_int32
    lib.mtfsim_env_step.argtypes = [c_void_p, c_void_p, c_int64] + [c_void_p] * 7
    lib.mtfsim_env_act.restype = c_int32
    lib.mtfsim_env_act.argtypes = [c_void_p, c_char_p, c_void_p, c_int64]
    lib.mtfsim_env_positions.restype = c_int32
    lib.mtfsim_env_positions.argtypes = [c_void_p] * 5


def version() -> str:
    """The MTFSim release of the loaded library."""
    buffer = ctypes.create_string_buffer(64)
    library().mtfsim_version(buffer, len(buffer))
    return buffer.value.decode()


SCOPES = {"user": 0, "session": 1}


class NativeEnvironment:
    """One environment of ``count`` slots in the library, and the buffers its steps write (reused every step)."""

    def __init__(
        self,
        environment: str | None = "short-video",
        *,
        yaml: str | None = None,
        ranker: str | os.PathLike[str] | None = None,
        seed: int = 1,
        count: int = 1,
        users: str | tuple[int, int] = "all",
        first_episode: int = 0,
        episode_scope: str = "user",
        threads: int = 1,
    ) -> None:
        lib = library()
        if (environment is None) == (yaml is None):
            raise ValueError("give exactly one of `environment` (a preset name or file) and `yaml` (the environment's text)")
        if not isinstance(count, (int, np.integer)) or count < 1:
            raise ValueError(f"the number of users stepped together must be a positive integer, got {count!r}")
        if not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**64:
            raise ValueError(f"seed must be an integer in [0, 2**64), got {seed!r}")
        if not isinstance(threads, (int, np.integer)) or threads < 1:
            raise ValueError(f"threads must be a positive integer, got {threads!r}")
        if episode_scope not in SCOPES:
            raise ValueError(f"episode_scope must be 'user' or 'session', got {episode_scope!r}")
        if isinstance(users, tuple):
            users = f"{int(users[0])}..{int(users[1])}"
        error = ctypes.create_string_buffer(1024)
        handle = lib.mtfsim_env_create(
            None if environment is None else os.fsencode(environment),
            None if yaml is None else yaml.encode(),
            None if ranker is None else os.fsencode(ranker),
            int(seed), int(count), str(users).encode(), int(first_episode), SCOPES[episode_scope], int(threads), error,
            len(error),
        )
        if not handle:
            raise ValueError(error.value.decode(errors="replace"))
        self._lib = lib
        self._handle: int | None = handle
        sizes = [c_int32() for _ in range(4)]
        lib.mtfsim_env_sizes(handle, *[ctypes.byref(s) for s in sizes])
        self.count, self.state_dimension, self.action_dimension, self.component_count = (s.value for s in sizes)
        needed = c_size_t()
        lib.mtfsim_env_describe(handle, None, 0, ctypes.byref(needed))
        text = ctypes.create_string_buffer(needed.value)
        self._check(lib.mtfsim_env_describe(handle, text, len(text), ctypes.byref(needed)))
        self.description: dict[str, Any] = json.loads(text.value.decode())

        n = self.count
        self.observations = np.zeros((n, self.state_dimension), np.float32)
        self.rewards = np.zeros(n, np.float64)
        self.components = np.zeros((n, self.component_count), np.float32)
        self.terminated = np.zeros(n, np.uint8)
        self.truncated = np.zeros(n, np.uint8)
        self.session_end = np.zeros(n, np.uint8)
        self.elapsed_minutes = np.zeros(n, np.float64)
        self.episodes = np.zeros(n, np.int64)
        self.users = np.zeros(n, np.int64)
        self.session_indices = np.zeros(n, np.int32)
        self.request_indices = np.zeros(n, np.int32)
        self._step_buffers = [a.ctypes.data for a in (self.observations, self.rewards, self.components, self.terminated,
                                                      self.truncated, self.session_end, self.elapsed_minutes)]
        self._position_buffers = [a.ctypes.data for a in (self.episodes, self.users, self.session_indices,
                                                          self.request_indices)]
        self._actions = np.zeros((n, self.action_dimension), np.float32)
        self._actions_address = self._actions.ctypes.data
        self._action_values = n * self.action_dimension

    def _check(self, status: int) -> None:
        if status == OK:
            return
        message = self._lib.mtfsim_env_last_error(self._handle).decode(errors="replace")
        if status == NOT_RESET:
            raise ResetNeeded(message)
        if status in (INVALID_ARGUMENT, INVALID_ACTION, POLICY):
            raise ValueError(message)
        raise MTFSimError(message)

    def _live(self) -> int:
        if self._handle is None:
            raise MTFSimError("the environment is closed")
        return self._handle

    def reset(self, seed: int | None = None, episodes: Sequence[int] | None = None) -> None:
        """Starts an episode in every slot; the first observations land in ``self.observations``."""
        handle = self._live()
        numbers = None
        if episodes is not None:
            numbers = np.ascontiguousarray(episodes, dtype=np.int64)
            if numbers.shape != (self.count,):
                raise ValueError(f"episodes: expected {self.count} episode numbers, got shape {numbers.shape}")
        if seed is not None and not (isinstance(seed, (int, np.integer)) and 0 <= seed < 2**64):
            raise ValueError(f"seed must be an integer in [0, 2**64), got {seed!r}")
        self._check(self._lib.mtfsim_env_reset(handle, 0 if seed is None else int(seed), 0 if seed is None else 1,
                                               None if numbers is None else numbers.ctypes.data,
                                               self._step_buffers[0]))
        self._check(self._lib.mtfsim_env_positions(handle, *self._position_buffers))

    def step(self, actions: np.ndarray) -> None:
        """Steps every slot with its row of ``actions`` (``count × action_dimension`` raw fusion weights)."""
        handle = self._live()
        if actions.dtype == np.float32 and actions.flags.c_contiguous and actions.size == self._action_values:
            address = actions.ctypes.data
        else:
            try:
                np.copyto(self._actions, np.reshape(actions, self._actions.shape), casting="same_kind")
            except (ValueError, TypeError) as error:
                raise ValueError(
                    f"actions: expected {self.count} × {self.action_dimension} fusion weights "
                    f"({'one row per user' if self.count > 1 else 'one per task'}), got shape {np.shape(actions)}: {error}"
                ) from None
            address = self._actions_address
        self._check(self._lib.mtfsim_env_step(handle, address, self._action_values, *self._step_buffers))
        self._check(self._lib.mtfsim_env_positions(handle, *self._position_buffers))

    def act(self, policy: str | os.PathLike[str]) -> np.ndarray:
        """The raw fusion weights MTFSim policy ``policy`` chooses for every slot's current request (a new
        ``count × action_dimension`` array), drawing exploration from the same keyed streams as ``mtfsim simulate
        --policy``; call once per step."""
        handle = self._live()
        actions = np.empty((self.count, self.action_dimension), np.float32)
        self._check(self._lib.mtfsim_env_act(handle, os.fsencode(policy), actions.ctypes.data, actions.size))
        return actions

    def close(self) -> None:
        if self._handle is not None:
            self._lib.mtfsim_env_free(self._handle)
            self._handle = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
