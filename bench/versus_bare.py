"""End to end against a bare discord.py bot on the same harness: the ratio of the rates
at which each answers `!howtovote Batley` from hundreds of different voters at once.

The bare bot is the least a bot can do: one command that replies with one fixed embed,
the very embed ours sends for Batley (so moving an answer-sized embed through discord.py
costs both the same). Ours resolves the query, advises, renders, adds its buttons and
checks its cooldowns.
Both run on dpytest's stand-in Discord in this process, one after the other, five times
(the median rate of each is compared), so the machine's speed cancels out of the ratio;
the garbage collector waits outside the timed rounds, as timeit has it, so that a pause
falls on neither.
"""

from __future__ import annotations

import gc
import statistics
import time

import discord
import discord.ext.test as dpytest
from discord.ext import commands
from discord.ext.test import backend

from bench.discord_harness import configure, start, stop
from bot.config import Settings
from bot.service import HowToVote
from cogs.utils.client import intents
from cogs.utils.embeds import to_embed

VOTERS = 300
ROUNDS = 3  # each voter asks this many times (the cooldown allows five in 30 s)
QUERY = "!howtovote Batley"


def bare_bot(embed: discord.Embed) -> commands.Bot:
    bot = commands.Bot(command_prefix="!", intents=intents(), help_command=None,
                       allowed_mentions=discord.AllowedMentions.none())

    @bot.command(name="howtovote")
    async def howtovote(ctx: commands.Context, *, query: str) -> None:
        await ctx.send(embed=embed)

    return bot


async def _rate(voters: int) -> float:
    """Every voter's message dispatched at once (as the gateway would), then every reply
    awaited, ROUNDS times: answers (replies with an embed) per second."""
    cfg = dpytest.get_config()
    channel = cfg.guilds[0].text_channels[0]
    seconds = 0.0
    answers = 0
    for _ in range(ROUNDS):
        gc.collect()  # as timeit does: a collection's pause falls on whichever bot is running
        gc.disable()
        try:
            started = time.perf_counter()
            for member in cfg.members[:voters]:
                backend.make_message(QUERY, member, channel)
            await dpytest.run_all_events()
            seconds += time.perf_counter() - started
        finally:
            gc.enable()
        others = []
        while not dpytest.sent_queue.empty():
            message = dpytest.sent_queue.get_nowait()
            if message.embeds:
                answers += 1
            else:
                others.append(message.content)
    assert answers == voters * ROUNDS, (f"{answers} answers to {voters * ROUNDS} questions; "
                                        f"other replies: {others[:3]}")
    return answers / seconds


async def bare_rate(embed: discord.Embed, voters: int) -> float:
    bot = bare_bot(embed)
    await bot._async_setup_hook()
    configure(bot, guilds=("Campaign HQ",), members=[f"voter{i}" for i in range(voters)])
    try:
        return await _rate(voters)
    finally:
        await dpytest.empty_queue()


async def our_rate(settings: Settings, voters: int) -> float:
    harness = await start(settings, guilds=("Campaign HQ",),
                          members=[f"voter{i}" for i in range(voters)], record=False)
    try:
        return await _rate(voters)
    finally:
        await stop(harness)


async def ratio(settings: Settings, voters: int = VOTERS, runs: int = 5
                ) -> tuple[float, float, float]:
    """(our rate, the bare bot's rate, ours / bare), medians of `runs` alternating runs."""
    service = await HowToVote(settings).start(offline=True)
    embed = to_embed((await service.answer(QUERY.split(" ", 1)[1])).embed)
    await service.close()
    ours, bare = [], []
    for _ in range(runs):
        bare.append(await bare_rate(embed, voters))
        ours.append(await our_rate(settings, voters))
    o, b = statistics.median(ours), statistics.median(bare)
    return o, b, o / b
