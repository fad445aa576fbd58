"""The README's configuration table says what the code does: every key, and its default."""

from __future__ import annotations

from pathlib import Path

from binsight.config import settings_table

README = Path(__file__).resolve().parents[1] / "README.md"


def _shown(value: object) -> str | None:
    """How the table writes a literal default (None: the default is computed, prose explains)."""
    if value is None or isinstance(value, Path):
        return None
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple):
        return "`" + ", ".join(str(v) for v in value) + "`"
    return f"`{value}`"


def _table() -> dict[str, str]:
    text = README.read_text()
    section = text[text.index("## Configuration"):]
    section = section[: section.index("\n## ", 4)]
    rows = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            key_cell, default_cell = (cell.strip() for cell in line.strip("|").split("|")[:2])
            rows[key_cell.split("`")[1]] = default_cell
    return rows


def test_the_configuration_table_matches_the_code() -> None:
    table = _table()
    code = dict(settings_table())
    assert sorted(table) == sorted(code), "keys differ between README and code"
    for key, value in code.items():
        literal = _shown(value)
        if literal is not None:
            assert table[key].startswith(literal), (key, table[key], literal)
