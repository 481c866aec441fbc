"""Builds the simulator library into the package: ``pip install ./python`` from the repository runs
``swift build -c release --product MTFSimC`` (or takes ``MTFSIM_LIBRARY``, an already built library) and ships
``libMTFSimC.so`` inside ``mtfsim/lib``. The metadata is in pyproject.toml."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

LIBRARY = "libMTFSimC.dylib" if sys.platform == "darwin" else "libMTFSimC.so"
REPOSITORY = Path(__file__).resolve().parent.parent


def built_library() -> Path:
    """The library to ship: MTFSIM_LIBRARY, or a release build of the repository this package sits in."""
    given = os.environ.get("MTFSIM_LIBRARY")
    if given:
        path = Path(given)
        if not path.is_file():
            raise SystemExit(f"MTFSIM_LIBRARY={given}: no such file")
        return path
    if not (REPOSITORY / "Package.swift").is_file():
        raise SystemExit(
            "mtfsim: building the simulator library needs the MTFSim repository around python/ (Package.swift not "
            f"found in {REPOSITORY}); install with `pip install ./python` from a checkout, or set MTFSIM_LIBRARY"
        )
    swift = shutil.which("swift")
    if swift is None:
        raise SystemExit("mtfsim: `swift` is not on PATH; install Swift 6 (swift.org) or set MTFSIM_LIBRARY")
    print("mtfsim: swift build -c release --product MTFSimC", flush=True)
    subprocess.run([swift, "build", "-c", "release", "--product", "MTFSimC"], cwd=REPOSITORY, check=True)
    path = REPOSITORY / ".build" / "release" / LIBRARY
    if not path.is_file():
        raise SystemExit(f"mtfsim: swift build finished but {path} is missing")
    return path


class BuildWithLibrary(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "mtfsim" / "lib"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built_library(), target / LIBRARY)


class BinaryDistribution(Distribution):
    """A platform wheel: the package carries a native library."""

    def has_ext_modules(self) -> bool:
        return True


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=BinaryDistribution)
