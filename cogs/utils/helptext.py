"""`!help`, `!help <command>` and `/help`, generated from the commands themselves: every
command is listed with the first line of its description, so a new one cannot be missed."""

from __future__ import annotations

from discord.ext import commands

from bot.advice.render import EmbedField, EmbedSpec, fit
from cogs.utils.embeds import to_embed

INTRO = ("Tell me your **postcode**, **seat** or **town** and I'll say who is best placed to "
         "beat the Conservatives there, with the chances and the numbers behind them. Old "
         "seat names, neighbourhoods and misspellings work too; in a DM, just send your "
         "postcode or town.")
FOOTER = ("Slash answers that carry a postcode are shown only to you; postcodes are never "
          "logged beside who asked. Contains Parliamentary information licensed under the "
          "Open Parliament Licence v3.0.")
SECTIONS = {"Voters": "Ask", "Moderation": "Moderators and server settings",
            "Polls": "Straw polls", "Meta": "About the bot"}


def summary(command: commands.Command) -> str:
    """The description's first paragraph, whole: discord.py's `short_doc` is its first
    line, which can end inside a code span (`!projections import "YouGov MRP"…)."""
    text = (command.help or command.description or "").strip()
    return " ".join(text.split("\n\n")[0].split())


def listed(bot: commands.Bot) -> list[commands.Command]:
    """Every command a user can type, sub-commands included, in a stable order."""
    return sorted((c for c in bot.walk_commands() if not c.hidden),
                  key=lambda c: c.qualified_name)


def overview(bot: commands.Bot, prefix: str) -> EmbedSpec:
    fields = []
    for cog_name, title in SECTIONS.items():
        lines = [f"`{prefix}{c.qualified_name}`: {summary(c)}" for c in listed(bot)
                 if c.cog_name == cog_name]
        if lines:
            fields.append(EmbedField(title, "\n".join(lines)))
    rest = [f"`{prefix}{c.qualified_name}`: {summary(c)}" for c in listed(bot)
            if c.cog_name not in SECTIONS]
    if rest:
        fields.append(EmbedField("Other", "\n".join(rest)))
    fields.append(EmbedField("More", f"`{prefix}help <command>` for one command in detail."))
    return fit(EmbedSpec("howtovote: tactical voting advice for UK general elections", INTRO,
                         0x5865F2, tuple(fields), FOOTER))


def detail(command: commands.Command, prefix: str) -> EmbedSpec:
    usage = f"`{prefix}{command.qualified_name} {command.signature}`".replace(" `", "`")
    fields = [EmbedField("Usage", usage)]
    if command.aliases:
        fields.append(EmbedField("Also", ", ".join(f"`{prefix}{a}`" for a in command.aliases)))
    if isinstance(command, commands.Group):
        fields.append(EmbedField("Sub-commands", "\n".join(
            f"`{prefix}{c.qualified_name}`: {summary(c)}" for c in command.commands
            if not c.hidden) or "-"))
    return fit(EmbedSpec(f"{prefix}{command.qualified_name}",
                         (command.help or summary(command) or "").strip(), 0x5865F2,
                         tuple(fields)))


def find(bot: commands.Bot, name: str) -> commands.Command | None:
    command = bot.get_command(name.strip().lstrip("!/").strip())
    return None if command is None or command.hidden else command


class HowToVoteHelp(commands.HelpCommand):
    def __init__(self) -> None:
        super().__init__(command_attrs={"help": "How to use howtovote, or one command in "
                                                "detail: help <command>."})

    async def send_bot_help(self, mapping) -> None:
        await self.context.send(embed=to_embed(overview(self.context.bot,
                                                        self.context.clean_prefix)))

    async def send_command_help(self, command: commands.Command) -> None:
        await self.context.send(embed=to_embed(detail(command, self.context.clean_prefix)))

    send_group_help = send_command_help

    async def send_cog_help(self, cog) -> None:
        await self.send_bot_help({})

    def command_not_found(self, string: str) -> str:
        return "There is no command by that name: `help` lists them all."

    def subcommand_not_found(self, command, string: str) -> str:
        return f"`{command.qualified_name}` has no sub-command by that name."

    async def send_error_message(self, error: str) -> None:
        await self.context.send(error)
