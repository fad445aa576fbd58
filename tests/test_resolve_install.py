"""The installer and doctor on temporary home folders laid out like macOS, Windows and Linux."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from binsight_panels.resolve import install as installer
from binsight_panels.resolve.install import Layout, current_record, installed_record, main

ROOT = Path(__file__).resolve().parents[1]
PANELS = ROOT / "nle_panels" / "binsight_panels"


def machine(monkeypatch, tmp_path: Path, platform: str, **env: str) -> dict:
    """A home folder (and an all-users root) for ``platform``; returns main()'s layout flags."""
    home, root = tmp_path / "home", tmp_path / "root"
    home.mkdir(exist_ok=True)
    for key in ("APPDATA", "PROGRAMDATA", "PYTHON3HOME", "FUSION_PYTHON3_HOME", "PYTHONHOME", "ProgramFiles"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return {"flags": ["--platform", platform, "--home", str(home), "--root", str(root)], "home": home, "root": root}


EXPECTED = {
    ("macos", "user"): "home/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts/Utility",
    ("macos", "system"): "root/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts/Utility",
    ("windows", "user"): "home/AppData/Roaming/Blackmagic Design/DaVinci Resolve/Support/Fusion/Scripts/Utility",
    ("windows", "system"): "ProgramData/Blackmagic Design/DaVinci Resolve/Fusion/Scripts/Utility",
    ("linux", "user"): "home/.local/share/DaVinciResolve/Fusion/Scripts/Utility",
    ("linux", "system"): "root/opt/resolve/Fusion/Scripts/Utility",
}


@pytest.mark.parametrize("platform,scope", sorted(EXPECTED))
def test_install_writes_the_script_where_resolve_reads_it(monkeypatch, tmp_path, capsys, platform, scope) -> None:
    env = {"APPDATA": str(tmp_path / "home" / "AppData" / "Roaming"),
           "PROGRAMDATA": str(tmp_path / "ProgramData")} if platform == "windows" else {}
    m = machine(monkeypatch, tmp_path, platform, **env)
    assert main(["install", "--scope", scope] + m["flags"]) == 0
    script = tmp_path / EXPECTED[(platform, scope)] / "Binsight.py"
    assert capsys.readouterr().out.startswith(f"installed {script}\n")
    assert [p.name for p in script.parent.iterdir()] == ["Binsight.py"], "one menu entry, no stray files"
    text = script.read_text()
    compile(text, str(script), "exec")
    ast.parse(text, feature_version=(3, 6))  # readable by any Python Resolve may pick
    record = installed_record(script)
    assert record["python"] == sys.executable and record["version"][:2] == list(sys.version_info[:2])
    assert str(PANELS.parent) in record["package_roots"] and record["binsight"] == [sys.executable, "-m", "binsight.cli"]
    if platform == "windows":
        assert "Roaming/Roaming" not in script.as_posix(), "the README's doubled Roaming is never used"
    assert main(["install", "--scope", scope] + m["flags"]) == 0, "installing again replaces the script"
    assert script.read_text() == text


def test_linux_iso_install_uses_home_resolve(monkeypatch, tmp_path) -> None:
    m = machine(monkeypatch, tmp_path, "linux")
    (m["root"] / "home" / "resolve").mkdir(parents=True)
    assert main(["install", "--scope", "system"] + m["flags"]) == 0
    assert (m["root"] / "home" / "resolve" / "Fusion" / "Scripts" / "Utility" / "Binsight.py").is_file()


def stand_in_python(folder: Path, name: str, version: str) -> Path:
    """An interpreter Resolve might load that this machine does not have (another minor
    version): a script answering the doctor's probe as that Python would."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\necho '{\"version\": [" + version.replace(".", ", ") + "], "
                    "\"implementation\": \"cpython\", \"machine\": \"x86_64\", \"bits\": 64, "
                    "\"executable\": \"" + str(path) + "\", \"prefix\": \"" + str(folder.parent) + "\"}'\n")
    path.chmod(0o755)
    return path


def this_python(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).symlink_to(sys.executable)
    return folder / name


def doctor(m: dict, capsys, *extra: str) -> tuple[int, str]:
    code = main(["doctor", "--address", "127.0.0.1:9"] + m["flags"] + list(extra))
    return code, capsys.readouterr().out


def test_doctor_on_a_healthy_linux_setup(monkeypatch, tmp_path, capsys) -> None:
    bin_dir = tmp_path / "bin"
    this_python(bin_dir, "python3")
    m = machine(monkeypatch, tmp_path, "linux", PATH=str(bin_dir))
    code, out = doctor(m, capsys)
    assert code == 1 and "FAIL menu script:" in out and "fix: binsight resolve install" in out
    main(["install"] + m["flags"])
    capsys.readouterr()
    code, out = doctor(m, capsys)
    lines = out.splitlines()
    assert code == 0, out
    assert lines[0].startswith("ok   menu script: ") and lines[1].startswith("ok   Binsight environment: ")
    assert lines[2].startswith(f"ok   Resolve's Python: {bin_dir / 'python3'} (python3 on PATH")
    assert "warn Resolve: not found at" in out and "warn server: nothing answers at 127.0.0.1:9" in out


def test_doctor_explains_a_python_mismatch_per_os(monkeypatch, tmp_path, capsys) -> None:
    home = tmp_path / "py39"
    stand_in_python(home / "bin", "python3", "3.9.18")
    m = machine(monkeypatch, tmp_path, "macos", PYTHON3HOME=str(home))
    main(["install"] + m["flags"])
    installed = capsys.readouterr().out
    assert "is cpython 3.9.18 (x86_64, 64-bit) (Binsight needs Python 3.10 or later); the environment is" \
        in installed, \
        "the installer names the minimum too"
    code, out = doctor(m, capsys)
    assert code == 1
    assert f"FAIL Resolve's Python: {home / 'bin' / 'python3'} (PYTHON3HOME) is cpython 3.9.18" in out
    assert "(Binsight needs Python 3.10 or later); the environment is" in out
    assert f"fix: point Resolve at the environment's Python: launchctl setenv PYTHON3HOME {sys.base_prefix}" in out

    win = tmp_path / "Python39"
    stand_in_python(win, "python.exe", "3.9.18")
    m = machine(monkeypatch, tmp_path, "windows", APPDATA=str(tmp_path / "home" / "AppData" / "Roaming"),
                FUSION_Python3_Home=str(win))
    main(["install"] + m["flags"])
    capsys.readouterr()
    code, out = doctor(m, capsys)
    assert code == 1 and f"{win / 'python.exe'} (FUSION_PYTHON3_HOME) is cpython 3.9.18" in out
    assert f"setx FUSION_PYTHON3_HOME \"{sys.base_prefix}\"" in out


def test_doctor_catches_the_silent_failures(monkeypatch, tmp_path, capsys) -> None:
    # PYTHON3HOME without an unversioned python3 (Homebrew): Resolve lists no .py scripts
    brew = tmp_path / "brew"
    (brew / "bin").mkdir(parents=True)
    m = machine(monkeypatch, tmp_path, "macos", PYTHON3HOME=str(brew))
    main(["install"] + m["flags"])
    capsys.readouterr()
    code, out = doctor(m, capsys)
    assert code == 1 and f"PYTHON3HOME is set but {brew / 'bin' / 'python3'} is missing" in out
    # the README's Windows path, and an environment the script was not written for
    appdata = tmp_path / "home" / "AppData" / "Roaming"
    m = machine(monkeypatch, tmp_path, "windows", APPDATA=str(appdata), FUSION_PYTHON3_HOME=str(tmp_path / "none"))
    wrong = appdata / "Roaming" / "Blackmagic Design" / "DaVinci Resolve" / "Support" / "Fusion" / "Scripts" / "Utility"
    wrong.mkdir(parents=True)
    (wrong / "Binsight.py").write_text("BINSIGHT_ENV = {}\n")
    right = installer.Layout("windows", m["home"], {"APPDATA": str(appdata)}).scripts_dir("user")
    right.mkdir(parents=True)
    (right / "Binsight.py").write_text("BINSIGHT_ENV = {'python': '/elsewhere/python', 'package_roots': []}\n")
    code, out = doctor(m, capsys)
    assert code == 1
    assert f"FAIL menu script: {right / 'Binsight.py'} was written for /elsewhere/python" in out
    assert f"warn README path: {wrong / 'Binsight.py'} sits in Roaming\\Roaming" in out
    assert "FAIL Resolve's Python: no Python 3 at" in out


def test_installer_runs_as_a_module(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    result = subprocess.run([sys.executable, "-m", "binsight_panels.resolve.install", "install", "--platform",
                             "linux", "--home", str(tmp_path)], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert (Path(result.stdout.split()[1])) == \
        tmp_path / ".local/share/DaVinciResolve/Fusion/Scripts/Utility/Binsight.py"


def test_layout_of_this_machine_is_consistent() -> None:
    layout = Layout.here()
    assert layout.scripts_dir("user").name == "Utility" and current_record().python == sys.executable


def test_panel_code_keeps_to_python_38_and_never_imports_the_server() -> None:
    for path in PANELS.rglob("*.py"):
        tree = ast.parse(path.read_text(), feature_version=(3, 8))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n == "binsight" or n.startswith("binsight.") for n in names), path


def test_the_menu_script_names_the_minimum_python() -> None:
    """Resolve loading a Python older than the environment accepts: the message says so."""
    import dataclasses

    from binsight_panels.resolve.environment import MIN_ENV_PYTHON, mismatch_message

    record = current_record()
    old = dataclasses.replace(record.interpreter, version=(3, 9, 18))
    text = mismatch_message(record, old, "linux")
    assert MIN_ENV_PYTHON == (3, 10)
    assert text.splitlines()[0].endswith("Its compiled gRPC only loads in a matching Python, and Binsight needs "
                                         "Python 3.10 or later.")
    newer = dataclasses.replace(record.interpreter, version=(3, 13, 0))
    assert mismatch_message(record, newer, "linux").splitlines()[0].endswith("loads in a matching Python.")
