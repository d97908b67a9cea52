"""Per-server settings behind one small API (cogs never write SQL).

Stored as key/value rows in guilds.db so a new setting needs no migration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

from bot.advice.rules import DEFAULT_OPPONENT, AdviceOptions
from bot.errors import UserFacingError
from bot.forecast.model import OPPONENT_SETS, members
from bot.store.base import Store
from bot.textnorm import party_code

KEYS = {
    "mod-role": "the role whose members may post seat updates (a role id or mention)",
    "announce-channel": "where accepted seat updates are announced (a channel id or mention)",
    "opponent": "the party to beat, e.g. Con or RUK, or `right` (Con, RUK and Restore "
                "Britain: whichever of them is best placed in each seat)",
    "bloc": "the parties to choose from, e.g. Lab LD Green SNP PC, or `default` (against "
            "the Conservatives: the parties of the left and centre; against anyone else: "
            "every other party)",
    "polls": "on or off: whether moderators may run seat polls",
    "projections": "on or off: show projections from national polls beside the advice",
    "model": "on or off: base the advice on the seat model's chances (default on)",
    "sites": "on or off: show other tactical-voting sites' calls beside ours (default on)",
}
TRUE, FALSE = {"on", "yes", "true", "1"}, {"off", "no", "false", "0"}


class SettingError(UserFacingError):
    """A setting value we cannot accept; the message says why."""


@dataclass(frozen=True)
class GuildSettings:
    mod_role_id: int | None = None
    announce_channel_id: int | None = None
    opponent: str = DEFAULT_OPPONENT
    bloc: frozenset[str] | None = None  # None: the default for the opponent
    polls_enabled: bool = False
    projections_enabled: bool = False
    model_enabled: bool = True
    sites_enabled: bool = True

    @property
    def bloc_label(self) -> str:
        if self.bloc is not None:
            return " ".join(sorted(self.bloc))
        bloc = self.advice_options.bloc
        return (f"default ({' '.join(sorted(bloc))})" if bloc is not None
                else f"default (every party but {self.opponent})")

    def shown(self, key: str) -> str:
        """How `!config` shows a setting (every key in KEYS)."""
        if key == "mod-role":
            return f"<@&{self.mod_role_id}>" if self.mod_role_id \
                else "not set (Manage Server only)"
        if key == "announce-channel":
            return f"<#{self.announce_channel_id}>" if self.announce_channel_id else "not set"
        if key == "opponent":
            return self.opponent
        if key == "bloc":
            return self.bloc_label
        on = {"polls": self.polls_enabled, "projections": self.projections_enabled,
              "model": self.model_enabled, "sites": self.sites_enabled}[key]
        return "on" if on else "off"

    @cached_property
    def advice_options(self) -> AdviceOptions:
        # a bloc stored before the opponent was refused from it: read without the opponent
        bloc = None if self.bloc is None else self.bloc - {self.opponent}
        return AdviceOptions.against(self.opponent, bloc or None)


def get_raw(db: Store, guild_id: int, key: str) -> str | None:
    row = db.execute("select value from guild_settings where guild_id = ? and key = ?",
                          (guild_id, key)).fetchone()
    return row[0] if row else None


def set_raw(db: Store, guild_id: int, key: str, value: str,
            by: int | None) -> None:
    db.execute(
        "insert into guild_settings (guild_id, key, value, updated_by, updated_at) "
        "values (?, ?, ?, ?, ?) on conflict (guild_id, key) do update set "
        "value = excluded.value, updated_by = excluded.updated_by, "
        "updated_at = excluded.updated_at",
        (guild_id, key, value, by, datetime.now(UTC).isoformat(timespec="seconds")))


DEFAULTS = GuildSettings()  # a DM, the terminal, or a server that changed nothing


def get(db: Store, guild_id: int | None) -> GuildSettings:
    if guild_id is None:
        return DEFAULTS
    raw = dict(db.execute("select key, value from guild_settings where guild_id = ?",
                               (guild_id,)).fetchall())
    return GuildSettings(
        mod_role_id=int(raw["mod-role"]) if raw.get("mod-role") else None,
        announce_channel_id=int(raw["announce-channel"]) if raw.get("announce-channel")
        else None,
        opponent=raw.get("opponent", DEFAULT_OPPONENT),
        bloc=frozenset(raw["bloc"].split()) if raw.get("bloc") else None,
        polls_enabled=raw.get("polls") == "on",
        projections_enabled=raw.get("projections") == "on",
        model_enabled=raw.get("model") != "off",
        sites_enabled=raw.get("sites") != "off",
    )


def _id(value: str, what: str) -> str:
    digits = value.strip().strip("<@&#!>")
    if not digits.isdigit() or not 15 <= len(digits) <= 21:
        raise SettingError(f"{what} must be a {what} mention or id")
    return digits


def opponent_code(value: str, known: set[str]) -> str:
    """A party code, or the name of a set of opponents ("right")."""
    sets = {name.casefold(): name for name in OPPONENT_SETS}
    return sets.get(value.strip().strip('"').casefold().removeprefix("the ")) \
        or _party(value, known)


def _party(value: str, known: set[str]) -> str:
    match = party_code(value, known)
    if match is None:
        raise SettingError(f"unknown party {value.strip()[:20]!r}: use a code such as Con, "
                           "Lab, LD, Green, SNP, PC or RUK")
    return match


def set_value(db: Store, guild_id: int, key: str, value: str, by: int,
              known_parties: set[str]) -> GuildSettings:
    """Validate and store one setting; nothing is written when the value is refused. The
    checks against the other settings and the write are one transaction."""
    with db.transaction() as conn:
        return _set_value(conn, guild_id, key, value, by, known_parties)


def _set_value(db: Store, guild_id: int, key: str, value: str, by: int,
               known_parties: set[str]) -> GuildSettings:
    key = key.strip().lower()
    if key not in KEYS:
        raise SettingError(f"unknown setting {key[:30]!r}; settings: {', '.join(KEYS)}")
    value = value.strip()
    if key == "mod-role":
        stored = _id(value, "role")
    elif key == "announce-channel":
        stored = _id(value, "channel")
    elif key == "opponent":
        stored = opponent_code(value, known_parties)
        bloc = get(db, guild_id).bloc
        if bloc and members(stored) & bloc:
            raise SettingError(f"{stored} is one of the parties this server backs (bloc: "
                               f"{' '.join(sorted(bloc))}): set a bloc without it first, or "
                               "`bloc default`")
    elif key == "bloc" and value.strip('"').strip().lower() == "default":
        db.execute("delete from guild_settings where guild_id = ? and key = 'bloc'",
                        (guild_id,))
        return get(db, guild_id)
    elif key == "bloc":
        # `!config bloc "Lab LD Green"`: the quotes are the user's, not part of a party
        parties = [_party(p, known_parties)
                   for p in value.replace(",", " ").replace('"', " ").split()]
        if not 1 <= len(parties) <= 20:
            raise SettingError("name between 1 and 20 parties for the bloc")
        opponent = get(db, guild_id).opponent
        if clash := members(opponent) & set(parties):
            raise SettingError(f"{' '.join(sorted(clash))} is the party this server wants "
                               f"to beat (opponent: {opponent}): it cannot also be in the "
                               "bloc")
        stored = " ".join(sorted(set(parties)))
    else:
        if value.lower() not in TRUE | FALSE:
            raise SettingError(f"{key} must be on or off")
        stored = "on" if value.lower() in TRUE else "off"
    set_raw(db, guild_id, key, stored, by)
    return get(db, guild_id)
