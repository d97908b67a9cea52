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
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import discord
from discord.ext import commands

import cogs
from bot import __version__
from bot.config import Settings
from bot.service import HowToVote
from cogs.utils.context import Context
from cogs.utils.helptext import HowToVoteHelp
from cogs.utils.views import DYNAMIC_ITEMS

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
    # set by the Voters cog: answers a DM that is not a command; True when it did
    direct_messages: Callable[[discord.Message], Awaitable[bool]] | None = None

    def _init_howtovote(self, settings: Settings, service: HowToVote) -> None:
        self.settings = settings
        self.service = service
        self.started_at = time.monotonic()
        if log.isEnabledFor(logging.DEBUG):  # a line per command: only when asked for
            # hooks, not on_command events: an event costs a task per command
            self.before_invoke(_mark_start)
            self.after_invoke(_log_success)

    @property
    def uptime(self) -> float:
        return time.monotonic() - self.started_at

    async def setup_hook(self) -> None:
        # a clean shutdown on SIGTERM too (discord.py handles SIGINT itself)
        with contextlib.suppress(NotImplementedError, RuntimeError):
            asyncio.get_running_loop().add_signal_handler(
                signal.SIGTERM, lambda: asyncio.ensure_future(self.close()))
        if not hasattr(self.service, "data"):
            await self.service.start()
        await self._read_owners()
        for name in extensions():
            await self.load_extension(name)
        self.add_dynamic_items(*DYNAMIC_ITEMS)  # answers' buttons, from any message, ever
        self._heartbeat = asyncio.create_task(self._beat())
        if self.settings.discord_token:  # a real login: sync only what changed
            await self.sync_if_changed()

    async def _read_owners(self) -> None:
        """The bot's owners, read once: HOWTOVOTE_OWNER_IDS, else (on a real login) the
        application's owner or team from Discord. The bot's checks and the core's share
        one set, so the core knows every owner before anyone asks."""
        owners = self.service.owner_ids
        if not owners and self.settings.discord_token:
            try:
                app = await self.application_info()
            except discord.HTTPException as exc:
                log.warning("could not read the application's owners: %s", exc)
            else:
                team = app.team.members if app.team else [app.owner]
                owners.update(member.id for member in team)
        self.owner_ids = owners

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
        if not force and await self.service.stored_value(SYNC_HASH_KEY) == digest:
            return None
        synced = await self.tree.sync()
        await self.service.store_value(SYNC_HASH_KEY, digest)
        log.info("synced %d slash commands", len(synced))
        return len(synced)

    async def on_message(self, message: discord.Message) -> None:
        """Commands, and in a DM a bare question too: one handler rather than a listener
        per cog, since a listener costs a task for every message in every channel."""
        if message.guild is None and self.direct_messages is not None \
                and await self.direct_messages(message):
            return
        await self.process_commands(message)

    async def get_context(self, origin, /, *, cls=Context):
        return await super().get_context(origin, cls=cls)

    async def on_command_error(self, ctx: commands.Context, error: Exception) -> None:
        log_command(ctx, type(getattr(error, "original", error)).__name__)

    async def on_ready(self) -> None:
        data = self.service.data
        log.info("howtovote %s ready as %s: %d seats loaded, data to %s, %d servers",
                 __version__, self.user, self.service.seat_count, data.data_date,
                 len(self.guilds))

    async def _beat(self) -> None:
        """Leave a heartbeat file while connected to the gateway, for `howtovote health`
        (the container's HEALTHCHECK): stale or missing means down."""
        path = heartbeat_path(self.settings)
        while not self.is_closed():
            if self.is_ready() and self.latency == self.latency:  # NaN until connected
                with contextlib.suppress(OSError):
                    path.write_text(f"{time.time():.0f}\n")
            await asyncio.sleep(HEARTBEAT_SECONDS)

    async def stop_heartbeat(self) -> None:
        task = getattr(self, "_heartbeat", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def close(self) -> None:
        await self.stop_heartbeat()
        with contextlib.suppress(OSError):
            heartbeat_path(self.settings).unlink(missing_ok=True)
        await super().close()
        await self.service.close()


class HowToVoteBot(HowToVoteMixin, commands.AutoShardedBot):
    """The bot as deployed: shards from the settings."""


class SingleShardBot(HowToVoteMixin, commands.Bot):
    """One connection: for tests and the benchmark (dpytest drives a plain Bot)."""


Bot = HowToVoteBot | SingleShardBot  # what every cog is given


class Prefixes:
    """`commands.when_mentioned_or(prefix)`, worked out once the bot knows who it is rather
    than for every message."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._all: list[str] = []

    def __call__(self, bot: commands.Bot, _message: discord.Message) -> list[str]:
        if not self._all and bot.user is not None:
            self._all = [f"<@{bot.user.id}> ", f"<@!{bot.user.id}> ", self.prefix]
        return self._all or [self.prefix]


def make_bot(settings: Settings, service: HowToVote, *, sharded: bool = True
             ) -> HowToVoteBot | SingleShardBot:
    cls = HowToVoteBot if sharded else SingleShardBot
    kwargs: dict = {}
    if sharded and settings.shard_count:
        kwargs["shard_count"] = settings.shard_count
        if settings.shard_ids:
            kwargs["shard_ids"] = list(settings.shard_ids)
    bot = cls(
        command_prefix=Prefixes(settings.prefix),
        intents=intents(),
        allowed_mentions=discord.AllowedMentions.none(),
        help_command=HowToVoteHelp(),
        case_insensitive=True,  # `!HOWTOVOTE Batley` from a phone's caps lock
        owner_ids=set(settings.owner_ids) or None,
        **kwargs,
    )
    bot._init_howtovote(settings, service)
    return bot


HEARTBEAT_SECONDS = 30


def heartbeat_path(settings: Settings) -> Path:
    return settings.db_dir / ".heartbeat"


async def _mark_start(ctx: commands.Context) -> None:
    ctx.started_at = time.perf_counter()  # type: ignore[attr-defined]


async def _log_success(ctx: commands.Context) -> None:
    if not ctx.command_failed:
        log_command(ctx, "ok")


def log_command(ctx: commands.Context, outcome: str) -> None:
    """One DEBUG line per command: which, where, how long, how it ended. Never the user's
    text or id (a postcode beside a user id is exactly what we must not keep)."""
    if not log.isEnabledFor(logging.DEBUG):
        return
    started = getattr(ctx, "started_at", None)
    ms = (time.perf_counter() - started) * 1000 if started else 0.0
    name = ctx.command.qualified_name if ctx.command else "?"
    log.debug("command %s %s in %.1f ms", name, outcome, ms,
              extra={"fields": {"command": name, "outcome": outcome, "ms": round(ms, 1),
                                "slash": ctx.interaction is not None,
                                "dm": ctx.guild is None}})


def run_bot(settings: Settings, service: HowToVote) -> int:
    """Run until SIGINT/SIGTERM (discord.py's runner closes the bot, and so the service);
    an exit code and a clear line for the mistakes people make setting a bot up."""
    bot = make_bot(settings, service)
    try:
        bot.run(settings.discord_token, log_handler=None)
    except discord.LoginFailure:
        print("howtovote: Discord refused the token. Check DISCORD_TOKEN (reset it in the "
              "developer portal if it leaked).", file=sys.stderr)
        return 3
    except discord.PrivilegedIntentsRequired:
        print("howtovote: turn on the Message Content intent for the bot in the developer "
              "portal (Bot -> Privileged Gateway Intents).", file=sys.stderr)
        return 3
    except (aiohttp.ClientError, OSError) as exc:
        print(f"howtovote: cannot reach Discord ({type(exc).__name__}: {exc}). Check this "
              "machine's network and try again.", file=sys.stderr)
        return 5
    return 0
