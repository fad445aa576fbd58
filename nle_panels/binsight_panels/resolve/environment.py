"""The Binsight environment the menu script borrows, and whether Resolve's Python can use it.

Resolve runs menu scripts with a Python 3 it finds on the machine (python.org's on macOS unless
``PYTHON3HOME`` says otherwise; ``FUSION_PYTHON3_HOME`` or the registry on Windows), not the
interpreter of Binsight's virtual environment. The panel imports that environment's packages,
and ``grpcio`` is compiled for one minor version and one architecture, so both must match. The
installer records the environment here; the menu script checks it before importing gRPC, and
``doctor`` checks it on the editor's machine.
"""

from __future__ import annotations

import json
import platform
import struct
import sys
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Tuple

PROBE = ("import json, platform, struct, sys; print(json.dumps({'version': list(sys.version_info[:3]), "
         "'implementation': sys.implementation.name, 'machine': platform.machine(), "
         "'bits': struct.calcsize('P') * 8, 'executable': sys.executable, 'prefix': sys.base_prefix}))")
"""Run with ``python -c`` to learn an interpreter's facts (doctor does this to Resolve's Python)."""

MIN_ENV_PYTHON = (3, 10)
"""The oldest Python the Binsight environment installs into (``requires-python`` in
pyproject.toml). Resolve must load the environment's own minor version, so this is also the
oldest Python Resolve may load for the panels."""

_MACHINES = {"amd64": "x86_64", "x64": "x86_64", "x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


def normalize_machine(machine: str) -> str:
    """One name per architecture: Windows says AMD64 and ARM64, Linux x86_64 and aarch64."""
    return _MACHINES.get(machine.lower(), machine.lower())


@dataclass(frozen=True)
class Interpreter:
    version: Tuple[int, int, int]
    implementation: str
    machine: str
    bits: int
    executable: str = ""
    prefix: str = ""

    @classmethod
    def running(cls) -> "Interpreter":
        return cls(tuple(sys.version_info[:3]), sys.implementation.name, normalize_machine(platform.machine()),  # type: ignore[arg-type]
                   struct.calcsize("P") * 8, sys.executable, sys.base_prefix)

    @classmethod
    def from_probe(cls, output: str) -> "Interpreter":
        data = json.loads(output)
        return cls(tuple(int(v) for v in data["version"][:3]), str(data["implementation"]),  # type: ignore[arg-type]
                   normalize_machine(str(data["machine"])), int(data["bits"]), str(data.get("executable", "")),
                   str(data.get("prefix", "")))

    @property
    def label(self) -> str:
        return (f"{self.implementation} {'.'.join(str(v) for v in self.version)} "
                f"({self.machine}, {self.bits}-bit)")


@dataclass(frozen=True)
class EnvRecord:
    """What the installer writes into the menu script."""

    python: str                      # the environment's interpreter
    interpreter: Interpreter
    package_roots: Tuple[str, ...]   # folders holding binsight_panels, binsight_client, binsight_api
    site_dirs: Tuple[str, ...]       # the environment's site-packages (grpcio, protobuf)
    binsight: Tuple[str, ...]        # command line that runs `binsight` (to start a local server)

    def to_dict(self) -> Dict[str, Any]:
        i = self.interpreter
        return {"python": self.python, "version": list(i.version), "implementation": i.implementation,
                "machine": i.machine, "bits": i.bits, "prefix": i.prefix,
                "package_roots": list(self.package_roots), "site_dirs": list(self.site_dirs),
                "binsight": list(self.binsight)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "EnvRecord":
        interpreter = Interpreter(tuple(int(v) for v in data["version"][:3]), str(data["implementation"]),  # type: ignore[arg-type]
                                  normalize_machine(str(data["machine"])), int(data["bits"]),
                                  str(data["python"]), str(data.get("prefix", "")))
        return cls(str(data["python"]), interpreter, tuple(data["package_roots"]), tuple(data["site_dirs"]),
                   tuple(data["binsight"]))


def compatible(env: Interpreter, other: Interpreter) -> bool:
    """Same implementation, minor version, architecture and pointer size: what a compiled
    extension module needs."""
    return (env.implementation == other.implementation and env.version[:2] == other.version[:2]
            and env.machine == other.machine and env.bits == other.bits)


def too_old(interpreter: Interpreter) -> str:
    """"3.10" when ``interpreter`` is older than the minimum, else ""."""
    return ".".join(map(str, MIN_ENV_PYTHON)) if tuple(interpreter.version[:2]) < MIN_ENV_PYTHON else ""


def mismatch_message(env: EnvRecord, resolve_python: Interpreter, platform_name: str = sys.platform) -> str:
    """Why the panel cannot load its environment in this interpreter, and the fixes."""
    want = env.interpreter
    minor = f"{want.version[0]}.{want.version[1]}"
    fixes = []
    if platform_name == "darwin":
        fixes.append(f"point Resolve at the environment's Python: launchctl setenv PYTHON3HOME "
                     f"{want.prefix or '<prefix of Python ' + minor + '>'} (its bin/ needs an unversioned python3)")
    elif platform_name.startswith("win"):
        fixes.append(f"point Resolve at the environment's Python: setx FUSION_PYTHON3_HOME "
                     f"\"{want.prefix or '<folder of Python ' + minor + '>'}\"")
    fixes.append(f"rebuild the Binsight environment with Resolve's Python "
                 f"({resolve_python.executable or 'python3'} -m venv <env>, pip install binsight into it) "
                 f"and run `binsight resolve install` from it")
    lines = [f"Binsight: Resolve runs scripts with {resolve_python.label}, but the Binsight environment "
             f"({env.python}) is {want.label}. Its compiled gRPC only loads in a matching Python"
             + (f", and Binsight needs Python {too_old(resolve_python)} or later." if too_old(resolve_python) else "."),
             "Fix it " + ("one of these ways" if len(fixes) > 1 else "this way") + ", then restart Resolve:"]
    lines += [f"  - {fix}" for fix in fixes]
    lines.append("`binsight resolve doctor` checks the whole set-up.")
    return "\n".join(lines)


def check(env: Optional[EnvRecord], running: Optional[Interpreter] = None) -> Optional[str]:
    """None when this interpreter can use the environment, else the message to show."""
    if env is None:
        return None  # run from the environment itself (a development checkout)
    running = running or Interpreter.running()
    return None if compatible(env.interpreter, running) else mismatch_message(env, running)


def add_site_dirs(env: EnvRecord) -> None:
    """Put the environment's site-packages on ``sys.path`` with their ``.pth`` files (editable
    installs live there), after the version check: a ``.pth`` may run code."""
    import site
    for directory in env.site_dirs:
        if directory not in sys.path:
            site.addsitedir(directory)
