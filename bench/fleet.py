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
import json
import re
import sys
import time
from pathlib import Path

from bench.discord_harness import start, stop
from bot.config import Settings

SEAT = "Hartlepool"
POSTED = re.compile(r"(?:Update|Done: update) \\?#(\d+) (?:on|is saved)")  # "\#": escaped


def sort_reply(text: str) -> str:
    if POSTED.match(text):
        return "done"
    if "nothing was saved" in text and "try again in a moment" in text:
        return "refused"
    if "may have been saved" in text:
        return "unsure"
    return "other"


async def drive(settings: Settings, tag: str, notes: int, go: Path) -> dict:
    harness = await start(settings, record=False)
    harness.lift_cooldowns()
    await harness.grant_manage_server()
    outcome: dict[str, list] = {"done": [], "refused": [], "unsure": [], "other": []}

    async def write(command: str, label: str) -> tuple[str, int | None]:
        await harness.send(command)
        texts = [m.content for m in harness.replies()]
        kind = sort_reply(texts[0]) if len(texts) == 1 else "other"
        outcome[kind].append([label, texts[:2]])
        return kind, int(POSTED.match(texts[0])[1]) if kind == "done" else None

    print("ready", flush=True)
    while not go.exists():
        await asyncio.sleep(0.01)
    began = time.perf_counter()
    for i in range(notes):
        label = f"{tag}-{i}"
        _kind, update_id = await write(f"!note {SEAT} {label}", label)
        # a refused revert is asked again, as a moderator would: the note must not stand
        while update_id is not None and (await write(f"!revert {update_id}",
                                                     f"revert {update_id}"))[0] == "refused":
            await asyncio.sleep(0.05)
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
        for payload in harness.payloads:
            for embed in payload.get("embeds") or []:
                if embed.get("title", "").startswith("Poll #"):
                    print("posted", embed["title"], flush=True)
        harness.payloads.clear()
        await asyncio.sleep(0.1)


def main() -> None:
    mode, db_dir, url, *rest = sys.argv[1:]
    settings = Settings(db_dir=Path(db_dir), database_url=url)
    if mode == "write":
        tag, notes, go = rest
        print(json.dumps(asyncio.run(drive(settings, tag, int(notes), Path(go)))))
    else:
        asyncio.run(keep(settings, Path(rest[0]), rest[1:] == ["stuck"]))


if __name__ == "__main__":
    main()
