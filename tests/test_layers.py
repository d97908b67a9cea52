"""The layers hold: cogs reach storage only through the service; the core never imports
Discord (DESIGN.md: cogs -> bot, never back)."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.config import PROJECT_ROOT

STORAGE = {"bot.db", "bot.guild_store", "bot.guild_settings", "bot.updates", "bot.polls",
           "bot.subscriptions", "bot.national_polls", "bot.postcodes", "bot.seatdata",
           "bot.forecast_store", "bot.data", "bot.importers", "sqlite3", "sqlite_utils"}


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_no_cog_imports_a_storage_module():
    for path in sorted((PROJECT_ROOT / "cogs").rglob("*.py")):
        found = {n for n in imports(path) for s in STORAGE if n == s or n.startswith(s + ".")}
        assert not found, f"{path.relative_to(PROJECT_ROOT)} imports {sorted(found)}"


def test_the_core_never_imports_discord():
    for path in sorted((PROJECT_ROOT / "bot").rglob("*.py")):
        found = {n for n in imports(path) if n == "discord" or n.startswith("discord.")}
        assert not found, f"{path.relative_to(PROJECT_ROOT)} imports {sorted(found)}"
