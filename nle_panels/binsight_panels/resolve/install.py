"""Install the Binsight menu script into Resolve, and check an editor's set-up.

    python -m binsight_panels.resolve.install install [--scope user|system]
    python -m binsight_panels.resolve.install doctor  [--scope user|system] [--address HOST:PORT]

Run it with the Python of the Binsight environment: ``install`` records that environment in the
script it writes (``Fusion/Scripts/Utility/Binsight.py``), ``doctor`` checks that the script is
there, that the environment is whole, that the Python Resolve will load matches it, and that a
server answers, and says how to fix what is wrong.

Script folders per the scripting README, with one correction: the README's Windows per-user path
``%APPDATA%\\Roaming\\...`` doubles ``Roaming`` (``%APPDATA%`` already ends in it) and Resolve never
reads it; the real one is ``%APPDATA%\\Blackmagic Design\\DaVinci Resolve\\Support\\Fusion\\Scripts``
(samuelgursky/davinci-resolve-mcp#106). ``--platform``, ``--home`` and ``--root`` (a prefix for
the all-users folders) describe another machine's layout, for tests and packaging.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import os
import pprint
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

from .environment import PROBE, EnvRecord, Interpreter, compatible, mismatch_message, too_old

SCRIPT_NAME = "Binsight.py"
CATEGORY = "Utility"
PLACEHOLDER = "BINSIGHT_ENV = {}  # written by the installer"
TEMPLATE = Path(__file__).with_name("menu_script.py")
BMD = ("Blackmagic Design", "DaVinci Resolve")
LITE_CONTAINER = "com.blackmagic-design.DaVinciResolveLite"


def host_platform() -> str:
    if sys.platform == "darwin":
        return "macos"
    return "windows" if sys.platform.startswith("win") else "linux"


@dataclass(frozen=True)
class Layout:
    """One machine as the installer sees it."""

    platform: str
    home: Path
    environ: Mapping[str, str] = field(default_factory=dict)
    root: Path = Path("/")

    @classmethod
    def here(cls) -> "Layout":
        return cls(host_platform(), Path.home(), dict(os.environ), Path(os.path.abspath(os.sep)))

    def env(self, name: str, default: str = "") -> str:
        """Environment lookup, case-insensitive on Windows (``FUSION_Python3_Home`` is seen)."""
        if self.platform == "windows":
            lowered = {k.lower(): v for k, v in self.environ.items()}
            return lowered.get(name.lower(), default)
        return self.environ.get(name, default)

    def under_root(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    def scripts_dir(self, scope: str) -> Path:
        """``Fusion/Scripts/Utility`` for all users or this user on this platform."""
        if self.platform == "macos":
            base = (self.under_root("Library", "Application Support", *BMD) if scope == "system"
                    else self.home / "Library" / "Application Support" / BMD[0] / BMD[1])
            return base / "Fusion" / "Scripts" / CATEGORY
        if self.platform == "windows":
            if scope == "system":
                return Path(self.env("PROGRAMDATA", r"C:\ProgramData")).joinpath(*BMD, "Fusion", "Scripts", CATEGORY)
            return self.appdata().joinpath(*BMD, "Support", "Fusion", "Scripts", CATEGORY)
        if scope == "system":
            opt = self.under_root("opt", "resolve")
            iso = self.under_root("home", "resolve")
            base = iso if iso.is_dir() and not opt.is_dir() else opt
            return base / "Fusion" / "Scripts" / CATEGORY
        return self.home / ".local" / "share" / "DaVinciResolve" / "Fusion" / "Scripts" / CATEGORY

    def appdata(self) -> Path:
        return Path(self.env("APPDATA") or str(self.home / "AppData" / "Roaming"))

    def readme_windows_user_dir(self) -> Path:
        """The per-user folder as the README spells it, which Resolve never reads."""
        return self.appdata().joinpath("Roaming", *BMD, "Support", "Fusion", "Scripts", CATEGORY)


def current_record() -> EnvRecord:
    """This interpreter's environment, as the menu script will need it."""
    roots: List[str] = []
    for package in ("binsight_panels", "binsight_client", "binsight_api"):
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError(f"{package} is not installed in {sys.prefix}; install Binsight first")
        root = str(Path(list(spec.submodule_search_locations)[0]).resolve().parent)
        if root not in roots:
            roots.append(root)
    paths = sysconfig.get_paths()
    site_dirs = list(dict.fromkeys([paths["purelib"], paths["platlib"]]))
    binsight = [sys.executable, "-m", "binsight.cli"] if importlib.util.find_spec("binsight") else []
    return EnvRecord(sys.executable, Interpreter.running(), tuple(roots), tuple(site_dirs), tuple(binsight))


def render_script(record: EnvRecord) -> str:
    text = TEMPLATE.read_text(encoding="utf-8")
    if PLACEHOLDER not in text:
        raise RuntimeError(f"{TEMPLATE} lost its BINSIGHT_ENV line")
    return text.replace(PLACEHOLDER, "BINSIGHT_ENV = " + pprint.pformat(record.to_dict(), width=100, sort_dicts=True))


def installed_record(script: Path) -> Optional[Dict[str, object]]:
    """The environment recorded in an installed script (None if it has none)."""
    tree = ast.parse(script.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "BINSIGHT_ENV" for t in node.targets):
            value = ast.literal_eval(node.value)
            return value if value else None
    return None


def install(layout: Layout, scope: str, record: EnvRecord) -> Path:
    """Write the menu script; Resolve does not create ``Fusion/Scripts`` until something is
    there, so the folders are made. Returns the script's path."""
    folder = layout.scripts_dir(scope)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / SCRIPT_NAME
        tmp = folder / (SCRIPT_NAME + ".tmp")
        tmp.write_text(render_script(record), encoding="utf-8")
        os.replace(tmp, target)
    except PermissionError:
        raise PermissionError(f"cannot write {folder}: installing for all users needs administrator rights "
                              f"(run it with sudo / an elevated prompt) or use --scope user") from None
    return target


# ------------------------------------------------------------------------------------------------
# doctor
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    warning: bool = False   # worth knowing, not an error

    def lines(self) -> List[str]:
        mark = "ok  " if self.ok else ("warn" if self.warning else "FAIL")
        out = [f"{mark} {self.name}: {self.detail}"]
        if self.fix and not self.ok:
            out += [f"     fix: {line}" for line in self.fix.splitlines()]
        return out


def resolve_pythons(layout: Layout) -> List[tuple]:
    """Interpreters Resolve may load, most likely first, with how each is found."""
    found: List[tuple] = []
    if layout.platform == "macos":
        home = layout.env("PYTHON3HOME") or _launchctl_getenv(layout, "PYTHON3HOME")
        if home:
            found.append((Path(home) / "bin" / "python3", "PYTHON3HOME"))
        found.append((layout.under_root("usr", "local", "bin", "python3"), "the python.org default"))
    elif layout.platform == "windows":
        for name in ("FUSION_PYTHON3_HOME", "PYTHONHOME"):
            if layout.env(name):
                found.append((Path(layout.env(name)) / "python.exe", name))
        found.extend((p, "the registry (PythonCore)") for p in _registry_pythons(layout))
    else:
        path = shutil.which("python3", path=layout.env("PATH") or None)
        if path:
            found.append((Path(path), "python3 on PATH (how Resolve picks Python on Linux is undocumented)"))
    return found


def _launchctl_getenv(layout: Layout, name: str) -> str:
    """GUI apps on macOS see launchctl's environment, not the shell's."""
    if layout.platform != "macos" or sys.platform != "darwin":
        return ""
    try:
        return subprocess.run(["launchctl", "getenv", name], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _registry_pythons(layout: Layout) -> List[Path]:
    if layout.platform != "windows" or not sys.platform.startswith("win"):
        return []
    import winreg  # type: ignore[import-not-found]
    out: List[Path] = []
    for hive in (winreg.HKEY_CURRENT_USER, winreg.HKEY_LOCAL_MACHINE):
        try:
            core = winreg.OpenKey(hive, r"Software\Python\PythonCore")
        except OSError:
            continue
        for i in range(winreg.QueryInfoKey(core)[0]):
            try:
                path = winreg.QueryValue(core, winreg.EnumKey(core, i) + r"\InstallPath")
            except OSError:
                continue
            out.append(Path(path) / "python.exe")
    return out


def probe(python: Path) -> Interpreter:
    result = subprocess.run([str(python), "-c", PROBE], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise OSError(result.stderr.strip() or f"exit status {result.returncode}")
    return Interpreter.from_probe(result.stdout.strip().splitlines()[-1])


def _python_check(layout: Layout, record: EnvRecord) -> Check:
    candidates = resolve_pythons(layout)
    if candidates and candidates[0][1] == "PYTHON3HOME" and not candidates[0][0].is_file():
        return Check("Resolve's Python", False, f"PYTHON3HOME is set but {candidates[0][0]} is missing: Resolve then "
                     f"silently lists no .py scripts (Homebrew's python@3.x has no unversioned python3)",
                     f"ln -s python{record.interpreter.version[0]}.{record.interpreter.version[1]} {candidates[0][0]}")
    existing = [(p, how) for p, how in candidates if p.is_file()]
    if not existing:
        fix = {"macos": f"install Python {record.interpreter.version[0]}.{record.interpreter.version[1]} from "
                        f"python.org (it creates /usr/local/bin/python3), or: launchctl setenv PYTHON3HOME "
                        f"{record.interpreter.prefix}",
               "windows": f"setx FUSION_PYTHON3_HOME \"{record.interpreter.prefix}\"",
               "linux": "install python3 for all users"}[layout.platform]
        where = ", ".join(str(p) for p, _ in candidates) or "anywhere Resolve looks"
        return Check("Resolve's Python", False, f"no Python 3 at {where}: Resolve then lists no .py scripts at all",
                     fix)
    python, how = existing[0]
    try:
        found = probe(python)
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        return Check("Resolve's Python", False, f"{python} ({how}) does not run: {exc}",
                     "repair or replace that Python")
    if compatible(record.interpreter, found):
        return Check("Resolve's Python", True, f"{python} ({how}) is {found.label}, like the environment")
    platform_name = {"macos": "darwin", "windows": "win32", "linux": "linux"}[layout.platform]
    message = mismatch_message(record, found, platform_name)
    minimum = f" (Binsight needs Python {too_old(found)} or later)" if too_old(found) else ""
    return Check("Resolve's Python", False, f"{python} ({how}) is {found.label}{minimum}; the environment is "
                 f"{record.interpreter.label}",
                 "\n".join(line.strip()[2:] for line in message.splitlines() if line.startswith("  - ")))


def doctor(layout: Layout, scope: str, record: EnvRecord, address: str) -> List[Check]:
    checks: List[Check] = []
    script = layout.scripts_dir(scope) / SCRIPT_NAME
    if not script.is_file():
        checks.append(Check("menu script", False, f"{script} is missing", "binsight resolve install"
                            + (" --scope system" if scope == "system" else "")))
    else:
        recorded = installed_record(script)
        if recorded is None or recorded.get("python") != record.python or \
                tuple(recorded.get("package_roots", ())) != record.package_roots:
            checks.append(Check("menu script", False, f"{script} was written for "
                                f"{(recorded or {}).get('python', 'no environment')}, not {record.python}",
                                "run `binsight resolve install` from the environment you use"))
        else:
            checks.append(Check("menu script", True, str(script)))
    if layout.platform == "windows":
        wrong = layout.readme_windows_user_dir() / SCRIPT_NAME
        if wrong.exists():
            checks.append(Check("README path", False, f"{wrong} sits in Roaming\\Roaming, which Resolve never reads",
                                f"delete {layout.appdata() / 'Roaming' / BMD[0]}", warning=True))
    missing = [r for r in record.package_roots if not Path(r).is_dir()]
    try:
        import google.protobuf  # noqa: F401
        import grpc  # noqa: F401
        runtime = ""
    except ImportError as exc:
        runtime = str(exc)
    if missing or runtime:
        checks.append(Check("Binsight environment", False, f"missing {', '.join(missing) or runtime}",
                            "reinstall Binsight (pip install -e .) in this environment"))
    else:
        checks.append(Check("Binsight environment", True, f"{record.python} ({record.interpreter.label})"))
    checks.append(_python_check(layout, record))
    checks.extend(_resolve_checks(layout))
    checks.append(_server_check(address))
    return checks


def _resolve_checks(layout: Layout) -> List[Check]:
    apps = {"macos": [layout.under_root("Applications", "DaVinci Resolve", "DaVinci Resolve.app"),
                      layout.under_root("Applications", "DaVinci Resolve Studio", "DaVinci Resolve Studio.app")],
            "windows": [Path(layout.env("ProgramFiles", r"C:\Program Files")).joinpath(*BMD, "Resolve.exe")],
            "linux": [layout.under_root("opt", "resolve", "bin", "resolve"),
                      layout.under_root("home", "resolve", "bin", "resolve")]}[layout.platform]
    found = [a for a in apps if a.exists()]
    checks = [Check("Resolve", bool(found), str(found[0]) if found else f"not found at {', '.join(map(str, apps))}",
                    "install DaVinci Resolve Studio (the panels need Studio)", warning=True)]
    if layout.platform == "macos" and (layout.home / "Library" / "Containers" / LITE_CONTAINER).is_dir():
        checks.append(Check("App Store Resolve", False, "the App Store build is the free edition: it cannot "
                            "run the panels (no script windows since 19.1)",
                            "use Resolve Studio, or the review page and File > Import of the exports", warning=True))
    return checks


def _server_check(address: str) -> Check:
    try:
        from binsight_client import BinsightError, Client
    except ImportError as exc:
        return Check("server", False, f"the SDK does not load: {exc}", "reinstall Binsight")
    client = Client(address)
    try:
        client.wait_ready(timeout=1.0)
        version = client.status(timeout=5).version
        return Check("server", True, f"Binsight {version} answers at {address}")
    except BinsightError:
        return Check("server", False, f"nothing answers at {address}",
                     "start it with `binsight serve` (the panel's Connect tab can too)", warning=True)
    finally:
        client.close()


# ------------------------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="binsight resolve", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("install", "copy the menu script into Resolve's Scripts folder"),
                       ("doctor", "check the set-up and say how to fix what is wrong")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--scope", choices=("user", "system"), default="user",
                         help="this user's Scripts folder (default) or all users'")
        cmd.add_argument("--platform", choices=("macos", "windows", "linux"), default=host_platform(),
                         help=argparse.SUPPRESS)
        cmd.add_argument("--home", type=Path, default=None, help=argparse.SUPPRESS)
        cmd.add_argument("--root", type=Path, default=None, help=argparse.SUPPRESS)
        if name == "doctor":
            cmd.add_argument("--address", default=os.environ.get("BINSIGHT_ADDRESS", "127.0.0.1:50051"),
                             help="the server to look for")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    here = Layout.here()
    layout = Layout(args.platform, args.home or here.home, here.environ, args.root or here.root)
    try:
        record = current_record()
    except RuntimeError as exc:
        print(f"binsight resolve: {exc}", file=sys.stderr)
        return 2
    if args.command == "install":
        try:
            path = install(layout, args.scope, record)
        except PermissionError as exc:
            print(f"binsight resolve: {exc}", file=sys.stderr)
            return 1
        print(f"installed {path}")
        check = _python_check(layout, record)
        for line in check.lines():
            print(line)
        print("Open Workspace > Scripts > Binsight in Resolve Studio (restart Resolve if it is not listed).")
        return 0
    checks = doctor(layout, args.scope, record, args.address)
    for check in checks:
        for line in check.lines():
            print(line)
    return 1 if any(not c.ok and not c.warning for c in checks) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
