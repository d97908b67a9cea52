"""One bot process of a fleet, on the stand-in Discord, its guild data in the PostgreSQL
the other processes share. The fleet tests start several at once.

    python -m bench.fleet write DB_DIR DATABASE_URL TAG NOTES GO_FILE

is a moderator posting notes and reverting each one. It says "ready" once its bot is
up, starts writing when GO_FILE exists (so that every process of the fleet writes at
once), and then prints one JSON line: every write's text with what the bot replied to
it, sorted into done (the reply gave the update's number, with the advice it changed or
without it), refused ("nothing was saved"), unsure ("may have been saved") and other
(anything else: a failure of the test).

    python -m bench.fleet keep DB_DIR DATABASE_URL GO_FILE [stuck]

answers voters and turns the poll loop (`keep` below).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

import discord
from discord.ext.test import factories

from bench.discord_harness import Harness, start, stop
from bot.config import Settings, settings_from

SEAT = "Hartlepool"  # voters' questions
# each process's notes go on a seat of its own (the seat's answer reads all its updates,
# and one seat with the whole fleet's thousands is not what a server sees); the fleet's
# withdrawals, and the members following them, are on one seat they share
NOTE_SEATS = ("Bath", "Cambridge", "Chelmsford", "Chippenham", "Clacton", "Hendon",
              "Huddersfield", "Bassetlaw")
SHARED_SEAT = "Wimbledon"
POSTED = re.compile(r"(?:Update|Done: update) \\?#(\d+) (?:on|is saved)")  # "\#": escaped


def sort_reply(text: str) -> str:
    if POSTED.match(text):
        return "done"
    if "nothing was saved" in text and "try again in a moment" in text:
        return "refused"
    if "may have been saved" in text:
        return "unsure"
    if text.startswith("Not done: "):
        return "declined"  # a rule refused it (a party that has already withdrawn, say)
    return "other"


def same_ids_in_every_process() -> None:
    """dpytest numbers its fake servers, channels and members from the clock; counted
    instead, every process of the fleet sees one server with the same members, as the
    shards of one bot see the one Discord."""
    factories.make_id = itertools.count(10**18).__next__


def posted_polls(harness: Harness) -> list[str]:
    """The titles of poll results sent since the last call (dpytest drops an embed sent
    with a file, so they are read from what the harness recorded)."""
    titles = [embed["title"] for payload in harness.payloads
              for embed in payload.get("embeds") or []
              if embed.get("title", "").startswith("Poll #")]
    harness.payloads.clear()
    return titles


async def drive(settings: Settings, tag: str, notes: int, go: Path) -> dict:
    same_ids_in_every_process()
    harness = await start(settings)
    harness.lift_cooldowns()
    await harness.grant_manage_server()
    service, guild = harness.bot.service, harness.channel().guild
    seat = NOTE_SEATS[int(re.sub(r"\D", "", tag) or 0) % len(NOTE_SEATS)]
    if tag == "p0":  # two members follow the shared seat (the same two in every process)
        for member in (1, 2):
            await harness.send(f"!subscribe {SHARED_SEAT}", member=member)
        harness.replies()
    shared = await service.one_seat(SHARED_SEAT)
    named = (await service.answer_seat(shared.code, guild.id)).advice.recommended_party
    outcome: dict[str, list] = {"done": [], "refused": [], "unsure": [], "declined": [],
                                "other": [], "dms": [], "polls": []}
    user_send = discord.User.send

    async def dm(user: discord.User, *args, **kwargs):  # who was told, by id
        outcome["dms"].append(user.id)
        return await user_send(user, *args, **kwargs)
    discord.User.send = dm

    async def write(command: str, label: str) -> tuple[str, int | None]:
        await harness.send(command)
        replies = harness.replies()
        texts = [m.content for m in replies if not isinstance(m.channel, discord.DMChannel)]
        kind = sort_reply(texts[0]) if len(texts) == 1 else "other"
        outcome[kind].append([label, texts[:2]])
        return kind, int(POSTED.match(texts[0])[1]) if kind == "done" else None

    async def post_and_revert(command: str, label: str) -> None:
        _kind, update_id = await write(command, label)
        # a refused revert is asked again, as a moderator would: the update must not stand
        while update_id is not None and (await write(f"!revert {update_id}",
                                                     f"revert {update_id}"))[0] == "refused":
            await asyncio.sleep(0.05)

    print("ready", guild.id, harness.channel().id, flush=True)
    while not go.exists():
        await asyncio.sleep(0.01)
    began = time.perf_counter()
    # every process at once withdraws the party the advice names, and reverts that: the
    # advice flips back and forth, and each follower hears of it once, whichever
    # processes made the changes (one DM per seat per follower per five minutes)
    await post_and_revert(f"!withdraw {SHARED_SEAT} {named}", "withdraw")
    for i in range(notes):
        await post_and_revert(f"!note {seat} {tag}-{i}", f"{tag}-{i}")
        if i % 20 == 0:  # a turn of the poll loop (every 20 s when deployed)
            harness.payloads.clear()
            await harness.bot.get_cog("Polls").close_due()
            harness.replies()  # the results it posted, read from the record instead
            outcome["polls"] += posted_polls(harness)
    outcome["seconds"] = time.perf_counter() - began
    await stop(harness)
    return outcome


async def keep(settings: Settings, go: Path, stuck: bool) -> None:
    """`python -m bench.fleet keep DB_DIR DATABASE_URL GO_FILE [stuck]`: the poll loop's
    turns, once GO_FILE exists, between voters' questions; says "ready <channel id>",
    then "posted <title>" for each poll's results it posts. `stuck`: this process's
    Discord never answers when asked for a channel, so the process is caught between
    closing a poll and posting its results (and is killed there by the test)."""
    harness = await start(settings)  # records what is sent: dpytest drops a file's embed
    harness.lift_cooldowns()
    if stuck:
        async def never(*_args, **_kwargs) -> None:
            await asyncio.sleep(3600)
        harness.bot.fetch_channel = never
    loop_turn = harness.bot.get_cog("Polls").close_due
    print("ready", harness.channel().id, flush=True)
    while True:
        await harness.send(f"!howtovote {SEAT}")  # traffic
        if go.exists():
            await loop_turn()  # one turn of the loop, which runs every 20 s when deployed
        harness.replies()
        for title in posted_polls(harness):
            print("posted", title, flush=True)
        await asyncio.sleep(0.1)


def main() -> None:
    mode, db_dir, url, *rest = sys.argv[1:]
    # the environment's settings (HOWTOVOTE_POLL_LEASE_SECONDS, say) on this folder and url
    settings = replace(settings_from(os.environ), db_dir=Path(db_dir), database_url=url)
    if mode == "write":
        tag, notes, go = rest
        print(json.dumps(asyncio.run(drive(settings, tag, int(notes), Path(go)))))
    else:
        asyncio.run(keep(settings, Path(rest[0]), rest[1:] == ["stuck"]))


if __name__ == "__main__":
    main()
