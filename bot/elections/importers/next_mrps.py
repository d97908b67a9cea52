"""The next-election MRPs (YouGov, September 2025; More in Common) as Election Maps UK's
nowcast page carries them -> `seat_projections` (election `next`) and each MRP's own
national baseline -> `projection_baselines`, so the live forecast can move each MRP by the
change in the polls since its fieldwork.

The page holds its data inline: `window.__NOWCAST_DATA__={seats:[...],central:{...},
config_data:{...},fixed:[...]}`, a JavaScript object whose four top-level keys are bare and
everything inside them JSON. Only the `yougov` and `mic` shares of each seat and
`config_data.mrp_baseline` are read: `central` is the page author's own judgement, not a
poll, and `base` an estimate of theirs. A page that does not hold them is refused whole.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from bot.elections.importers.errors import ImportFailed
from bot.places.postcodes import REVISED_SCOTTISH_CODES

ASSIGNMENT = "window.__NOWCAST_DATA__="
TOP_KEYS = ("seats", "central", "config_data", "fixed")
PARTIES = {"LAB": "Lab", "CON": "Con", "RFM": "RUK", "LDM": "LD", "GRN": "Green",
           "SNP": "SNP", "PLC": "PC"}  # RES (Restore Britain) is 0 in both; MIN, OTH: others


@dataclass(frozen=True)
class Mrp:
    key: str  # its key in the page
    model: str  # our model name: the same as its 2024 projections', so its record counts
    published: str
    label: str  # how answers name it


MRPS = (Mrp("yougov", "yougov", "2025-09", "YouGov MRP (September 2025)"),
        Mrp("mic", "moreincommon", "2026-06",
            "More in Common MRP (edition not stated; published before 2026-06-21)"))


def read(path: Path) -> tuple[dict[str, dict[str, dict[str, float]]],
                              dict[str, dict[str, float]]]:
    """(model -> seat code -> shares, model -> its national baseline), shares fractions."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailed(f"{path.name} is not a readable page ({exc})") from exc
    start = text.find(ASSIGNMENT)
    if start < 0:
        raise ImportFailed(f"{path.name} holds no {ASSIGNMENT[:-1]}")
    source = text[start + len(ASSIGNMENT):]
    for name in TOP_KEYS:  # the bare top-level keys, quoted: the rest is JSON already
        source = re.sub(rf"(^\{{|[,}}\]]){name}:", rf'\1"{name}":', source, count=1)
    try:
        data, _end = json.JSONDecoder().raw_decode(source)
        baselines = data["config_data"]["mrp_baseline"]
        seats = data["seats"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ImportFailed(f"{path.name}: the nowcast data cannot be read ({exc})") from exc
    shares: dict[str, dict[str, dict[str, float]]] = {m.model: {} for m in MRPS}
    for seat in seats:
        code = REVISED_SCOTTISH_CODES.get(seat.get("code", ""), seat.get("code", ""))
        for mrp in MRPS:
            found = _shares(seat.get(mrp.key), f"{path.name} {code} {mrp.key}")
            if found:
                shares[mrp.model][code] = found
    if any(len(by_seat) < 600 for by_seat in shares.values()):
        raise ImportFailed(f"{path.name}: an MRP covers fewer than 600 seats")
    return shares, {m.model: _shares(baselines.get(m.key), f"{path.name} {m.key} baseline")
                    for m in MRPS}


def _shares(raw: object, where: str) -> dict[str, float]:
    if raw is None:
        return {}  # Chorley, the Speaker's seat: no MRP figures
    if not isinstance(raw, dict):
        raise ImportFailed(f"{where}: not a table of shares")
    out = {}
    for column, party in PARTIES.items():
        value = raw.get(column, 0.0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ImportFailed(f"{where}: {column} is {value!r}, not a share")
        if value > 0:
            out[party] = float(value)
    return out


def load(db: sqlite_utils.Database, path: Path) -> int:
    shares, baselines = read(path)
    db["seat_projections"].insert_all(
        ({"election_id": "next", "model": m.model, "published": m.published,
          "seat_code": code, "party": party, "share": share}
         for m in MRPS for code, parties in shares[m.model].items()
         for party, share in parties.items()),
        pk=("election_id", "model", "published", "seat_code", "party"))
    db["projection_baselines"].insert_all(
        {"election_id": "next", "model": m.model, "label": m.label, "party": party,
         "share": share} for m in MRPS for party, share in baselines[m.model].items())
    return sum(len(by_seat) for by_seat in shares.values())
