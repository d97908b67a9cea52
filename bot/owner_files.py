"""Reading a CSV an owner hands the bot (national polls, another site's calls): a file that
is missing or not UTF-8 is refused in one sentence, with the caller's own error type."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from bot.errors import UserFacingError


def csv_rows(path: Path, error: type[UserFacingError]) -> csv.DictReader:
    """The file's rows, read whole first (a BOM is dropped), or `error` saying why not."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise error(f"{path.name} is not UTF-8 text: save it as CSV (UTF-8)") from None
    return csv.DictReader(io.StringIO(text, newline=""))
