"""Services in one process share what they read from elections.db, and nothing else."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from bot.config import Settings
from bot.service import HowToVote

SEAT = "E14001196"  # Dewsbury and Batley
POLLS = {"a": 'Lab=45 Con=18 LD=10 RUK=15 Green=7 date=2026-11-20 source="Poll A"',
         "b": 'Con=40 Lab=15 LD=20 RUK=15 Green=5 date=2026-11-20 source="Poll B"'}


async def _service(db_dir: Path, elections: Path) -> HowToVote:
    db_dir.mkdir()
    (db_dir / "elections.db").symlink_to(elections)
    return await HowToVote(Settings(db_dir=db_dir, owner_ids=frozenset({1}))).start(
        offline=True)


async def test_two_services_share_the_file_but_not_their_owners_polls(built_db_dir, tmp_path):
    a = await _service(tmp_path / "a", built_db_dir / "elections.db")
    b = await _service(tmp_path / "b", built_db_dir / "elections.db")
    try:
        assert a.data is b.data and a.resolver.exact is b.resolver.exact
        assert a.resolver.postcodes is not b.resolver.postcodes  # each its own guilds.db cache
        for name, service in (("a", a), ("b", b)):
            assert (await service.set_national_poll(POLLS[name], by=1)).id == 1  # same id
        record = a.data.current[SEAT]
        seen_by_a, seen_by_b = (s.model_view(record, None, None) for s in (a, b))
        assert seen_by_a.forecast.probabilities != seen_by_b.forecast.probabilities
    finally:
        await a.close()
        await b.close()


async def test_a_replaced_file_is_read_afresh_and_the_old_one_keeps_answering(
        built_db_dir, tmp_path):
    elections = tmp_path / "elections.db"
    shutil.copy(built_db_dir / "elections.db", elections)
    old = await _service(tmp_path / "old", elections)
    swapped = tmp_path / "swap.db"
    shutil.copy(built_db_dir / "elections.db", swapped)
    os.replace(swapped, elections)  # what `data import` does
    new = await _service(tmp_path / "new", elections)
    try:
        assert new.data is not old.data
        for service in (old, new):
            assert (await service.answer("Batley")).resolution.seat.code == SEAT
    finally:
        await old.close()
        await new.close()
