"""The layers hold: the core's packages import only downwards, cogs reach storage only
through the service, and the core never imports Discord (DESIGN.md: cogs -> bot, never
back)."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.config import PROJECT_ROOT

# Lowest first (bot/__init__.py): a module may import the shared modules at the top of
# `bot` and the packages before its own, never one after it.
PACKAGES = ("store", "places", "forecast", "elections", "advice", "community", "evaluation")
TOP = {"service", "services", "cli", "election_parts"}  # above every package
STORAGE = {"bot.db", "bot.store", "bot.community.store", "bot.community.settings",
           "bot.community.updates", "bot.community.polls", "bot.community.subscriptions",
           "bot.community.sites", "bot.community.projections",
           "bot.forecast.national_polls", "bot.forecast.store", "bot.places.postcodes",
           "bot.elections", "sqlite3", "sqlite_utils"}


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def rank(module: str) -> int | None:
    """0 for a shared module, 1.. for the packages in order, past them for the top; None
    for `bot` itself or a name that is not a module of ours."""
    parts = module.split(".")
    if parts[0] != "bot" or len(parts) < 2:
        return None
    if parts[1] in PACKAGES:
        return PACKAGES.index(parts[1]) + 1
    if parts[1] in TOP:
        return len(PACKAGES) + 1
    if (PROJECT_ROOT / "bot" / f"{parts[1]}.py").is_file():
        return 0
    return None  # a name imported from `bot` (`from bot import __version__`)


def module_of(path: Path) -> str:
    return ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)


def test_every_core_module_has_a_layer():
    for path in sorted((PROJECT_ROOT / "bot").rglob("*.py")):
        name = module_of(path)
        if path.name != "__init__.py" or name.count(".") > 1:
            assert rank(name) is not None, f"{name} is in no layer: add it to a package"


def test_the_core_imports_only_downwards():
    for path in sorted((PROJECT_ROOT / "bot").rglob("*.py")):
        own = rank(module_of(path))
        if own is None:
            continue
        upward = {n for n in imports(path) if (r := rank(n)) is not None and r > own}
        assert not upward, f"{module_of(path)} imports {sorted(upward)}, a layer above it"
        if own == 0:  # the shared modules import only each other
            packages = {n for n in imports(path) if rank(n) not in (None, 0)}
            assert not packages, f"{module_of(path)} imports {sorted(packages)}"


def test_the_layer_check_sees_an_upward_import():
    assert rank("bot.advice.rules") > rank("bot.forecast.model") > rank("bot.textnorm")
    assert rank("bot.community.settings") > rank("bot.advice.rules")
    assert rank("bot.service") > rank("bot.evaluation.backtest")


def test_tests_mirror_the_packages():
    missing = [p for p in PACKAGES if not (PROJECT_ROOT / "tests" / p / "__init__.py").is_file()]
    assert not missing, f"tests/ has no folder for {missing}"


def test_no_cog_imports_a_storage_module():
    for path in sorted((PROJECT_ROOT / "cogs").rglob("*.py")):
        found = {n for n in imports(path) for s in STORAGE if n == s or n.startswith(s + ".")}
        assert not found, f"{path.relative_to(PROJECT_ROOT)} imports {sorted(found)}"


def test_the_core_never_imports_discord():
    for path in sorted((PROJECT_ROOT / "bot").rglob("*.py")):
        found = {n for n in imports(path) if n == "discord" or n.startswith("discord.")}
        assert not found, f"{path.relative_to(PROJECT_ROOT)} imports {sorted(found)}"


# the reference data (elections.db, the offline postcode table) is SQLite by design; the
# guild store is reached only through its adapters
REFERENCE_DATA = ("bot.db", "bot.elections.", "bot.places.postcodes", "bot.forecast.store")


def test_only_the_store_adapters_import_a_database_driver():
    for path in sorted((PROJECT_ROOT / "bot").rglob("*.py")):
        name = module_of(path)
        if name.startswith("bot.store."):
            continue
        drivers = {n.split(".")[0] for n in imports(path)} & {"sqlite3", "psycopg",
                                                              "psycopg_pool"}
        if name.startswith(REFERENCE_DATA):
            drivers -= {"sqlite3"}
        assert not drivers, f"{name} imports {sorted(drivers)}: go through bot.store"
