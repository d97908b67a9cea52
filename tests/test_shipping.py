"""Running it the way people deploy it: the health check, logging, the shipped facts."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot import logs
from bot.config import PROJECT_ROOT
from bot.facts import fact


def health(settings) -> subprocess.CompletedProcess:
    env = {"HOWTOVOTE_DB_DIR": str(settings.db_dir), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "bot.py", "health"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.slow
def test_health_needs_the_data_and_a_fresh_heartbeat(settings, tmp_path: Path):
    down = health(settings)
    assert down.returncode == 1 and "not connected to Discord" in down.stderr
    beat = settings.db_dir / ".heartbeat"
    beat.write_text(f"{time.time() - 600:.0f}\n")
    stale = health(settings)
    assert stale.returncode == 1 and "last heartbeat 60" in stale.stderr
    beat.write_text(f"{time.time():.0f}\n")
    up = health(settings)
    assert up.returncode == 0 and up.stdout.strip() == "healthy"
    (settings.db_dir / "elections.db").unlink()
    assert "no usable election data" in health(settings).stderr


def test_json_log_lines_carry_the_fields_and_no_user_text(capsys):
    logs.configure("DEBUG", "json")
    logging.getLogger("howtovote").debug("command %s %s in %.1f ms", "howtovote", "ok", 1.5,
                                         extra={"fields": {"command": "howtovote",
                                                           "outcome": "ok", "ms": 1.5}})
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["message"] == "command howtovote ok in 1.5 ms"
    assert (line["command"], line["outcome"], line["level"]) == ("howtovote", "ok", "DEBUG")
    logs.configure("WARNING", "text")


def test_the_facts_files_are_found():
    for name in ("parties.csv", "aliases.csv", "pacts.csv", "national_polls.csv"):
        assert fact(name).is_file(), name
