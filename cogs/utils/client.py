"""The Discord client: one class per process, holding the core service.

Production runs a `commands.AutoShardedBot`; the tests use the same behaviour on a plain
`commands.Bot` (dpytest cannot drive a sharded client), hence the mixin.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import pkgutil
import signal
import time

import discord
from discord.ext import commands

import cogs
from bot import __version__
from bot.config import Settings
from bot.service import HowToVote

log = logging.getLogger("howtovote")
SYNC_HASH_KEY = "command_tree_hash"


def intents() -> discord.Intents:
    """Only what the bot uses: servers, their messages and DMs, and message content for
    `!` commands."""
    it = discord.Intents.none()
    it.guilds = True
    it.guild_messages = True
    it.dm_messages = True
    it.message_content = True
    it.guild_polls = True
    return it


def extensions() -> list[str]:
    """Every module in cogs/ is an extension, except helper packages such as cogs.utils."""
    return [f"cogs.{m.name}" for m in pkgutil.iter_modules(cogs.__path__)
            if not m.ispkg and not m.name.startswith("_")]


class HowToVoteMixin:
    """What every howtovote client does, sharded or not."""

    service: HowToVote
    settings: Settings

    def _init_howtovote(self, settings: Settings, service: HowToVote) -> None:
        self.settings = settings
        self.service = service
        self.started_at = time.monotonic()

    async def setup_hook(self) -> None:
        # a clean shutdown on SIGTERM too (discord.py handles SIGINT itself)
        with contextlib.suppress(NotImplementedError, RuntimeError):
            asyncio.get_running_loop().add_signal_handler(
                signal.SIGTERM, lambda: asyncio.ensure_future(self.close()))
        if not hasattr(self.service, "data"):
            await self.service.start()
        for name in extensions():
            await self.load_extension(name)
        if self.settings.discord_token:  # a real login: sync only what changed
            await self.sync_if_changed()

    def tree_hash(self) -> str:
        payload = [c.to_dict(self.tree) for c in self.tree.get_commands()]
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    async def sync_if_changed(self, force: bool = False) -> int | None:
        """Sync slash commands only when their definition changed (syncing is rate-limited).
        With HOWTOVOTE_DEV_GUILD set, sync to that server at once instead."""
        guild = discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
            return len(await self.tree.sync(guild=guild))
        digest = self.tree_hash()
        if not force and self.service.stored_value(SYNC_HASH_KEY) == digest:
            return None
        synced = await self.tree.sync()
        await self.service.store_value(SYNC_HASH_KEY, digest)
        log.info("synced %d slash commands", len(synced))
        return len(synced)

    async def on_ready(self) -> None:
        data = self.service.data
        log.info("howtovote %s ready as %s: %d seats loaded, data to %s, %d servers",
                 __version__, self.user, self.service.seat_count, data.data_date,
                 len(self.guilds))

    async def close(self) -> None:
        await super().close()
        await self.service.close()


def make_bot(settings: Settings, service: HowToVote, *, sharded: bool = True
             ) -> commands.Bot:
    base = commands.AutoShardedBot if sharded else commands.Bot
    cls = type("HowToVoteBot", (HowToVoteMixin, base), {})
    kwargs: dict = {}
    if sharded and settings.shard_count:
        kwargs["shard_count"] = settings.shard_count
        if settings.shard_ids:
            kwargs["shard_ids"] = list(settings.shard_ids)
    bot = cls(
        command_prefix=commands.when_mentioned_or(settings.prefix),
        intents=intents(),
        allowed_mentions=discord.AllowedMentions.none(),
        help_command=None,
        owner_ids=set(settings.owner_ids) or None,
        **kwargs,
    )
    bot._init_howtovote(settings, service)
    return bot
