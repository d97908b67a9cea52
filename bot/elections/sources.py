"""The public data sources: where each lives, its pinned sha256, its licence, and fetching it.

A source is read from a local folder or file (HOWTOVOTE_DATA, `--from PATH`) or
downloaded from its public URL (or `--from URL`) with a progress bar. Either way its
bytes must match the pinned sha256 unless the caller explicitly allows an unpinned
release; a mismatch raises SourceError and nothing is written.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from tqdm import tqdm

OPL = "Open Parliament Licence v3.0"
_BYELECTIONS = (
    "https://raw.githubusercontent.com/ukparliament/psephology/"
    "774c93e64c4d69a5094d0518aef68060c4d74df0/db/data/results-by-parliament"
)


class SourceError(RuntimeError):
    """A source could not be fetched or is not the file we pinned."""


@dataclass(frozen=True)
class Source:
    name: str
    filename: str  # its name in a local data folder
    url: str
    sha256: str
    licence: str
    description: str
    # what its importer needs to know: (election, model, release date) for a projection,
    # (polling day, file kind) for council results
    details: tuple[str, ...] = ()


PSEPHOLOGY = Source(
    name="psephology",
    filename="psephology.db",
    url="https://raw.githubusercontent.com/ukparliament/psephology-datasette/main/psephology.db",
    sha256="4e2adef3dec5000fae30fd7f0d880f95bba24940b1f42f4e155efa2ebe07ce69",
    licence=OPL,
    description="UK Parliament election results 2010-2024 (Commons Library)",
)


def _byelection(period: str, parliament: int, table: str, kind: str, sha256: str) -> Source:
    return Source(
        name=f"byelections-{period}-{kind}",
        filename=f"HoC-byelections-{period}-by-{kind}.csv",
        url=f"{_BYELECTIONS}/{parliament}/by-elections/{table}.csv",
        sha256=sha256,
        licence=OPL,
        description=f"Commons Library by-election results {period}, by {kind}",
    )


BYELECTIONS = (
    _byelection("2017-2019", 57, "candidacies", "candidate",
                "c2b805fca7471d920c610d01a3aab51893d3dec250fc91c70d55a12486b1127d"),
    _byelection("2017-2019", 57, "constituencies", "constituency",
                "2b603b8b98f35f94bf3607de8cb963722fb5a819d9a9e1849a913bde5a246379"),
    _byelection("2019-2024", 58, "candidacies", "candidate",
                "a524e6fb785251174d059e9659da263dd955625c73036c2498826b18593f3b1d"),
    _byelection("2019-2024", 58, "constituencies", "constituency",
                "da80a836fc3f4d8aca3ecc431b3274aa6e0a998f435bc3e4554a7b027ac5e599"),
    _byelection("2024-2026", 59, "candidacies", "candidate",
                "f3211799906fee9efabe3cfcbd979f4cd49d44fc8157df3d054b193a3385bc8b"),
    _byelection("2024-2026", 59, "constituencies", "constituency",
                "df1ebc46eae442f97092a43bbd5c94f97404d3aad5fbf006fdde44cfcf846992"),
)

# Ward names -> 2024 seats with postcode counts (a place index: "Didsbury", "Jesmond").
# The public copy has no licence file, so it is downloaded at import time, never shipped.
WARDS = Source(
    name="wards",
    filename="ward-to-constituency-2024.csv",
    url="https://raw.githubusercontent.com/12v/boundary-mapper/"
        "8b883cb5c02b3181814f9ec527db98a0e7da3870/output/ward_to_constituencies_mapping.csv",
    sha256="9b10142a8f1b7e69895a176efef3f7063aa5b8fb566aad8bc2934c7f79f32600",
    licence="no licence stated; derived from ONSPD and Boundary Commission data (OGL)",
    description="Ward names and the 2024 seats they fall in, with postcode counts",
)

# Chris Hanretty's estimates of the 2016 Leave vote per 2010-boundary seat. The public copy
# states no licence, so it is downloaded at import time and never shipped.
LEAVE_ESTIMATES = Source(
    name="leave-estimates",
    filename="eu-referendum-2016-leave-estimates.csv",
    url="https://raw.githubusercontent.com/odileeds/hexmaps/"
        "40916c5db2fde1503d2a4186091fec05c19c37fe/data/2016referendum-estimates.csv",
    sha256="d208d0807ca6aa9ac73978297165e41667add3312c080aa8db7a95af3c663f5e",
    licence="no licence stated; estimates by Chris Hanretty (2017), credited",
    description="Estimated 2016 EU referendum Leave share per 2010-boundary seat",
)


# GB voting-intention polls since the 2024 election, gathered from Wikipedia's "Opinion
# polling for the next United Kingdom general election" (CC BY-SA: share-alike, so it is
# downloaded at import time and never shipped); the repository has no licence file.
RECENT_POLLS = Source(
    name="recent-polls",
    filename="polls/ukpolls2-wikipedia.json",
    url="https://raw.githubusercontent.com/craighow8-creator/Ukpolls2/"
        "8f274a583cec077a2134ddf60614b34794d37191/data/polls/wikipedia.json",
    sha256="4892ffae5e55204dd4d53f7f7327914177a708dd5e6170d2dd3a2328516c10b4",
    licence="CC BY-SA 4.0 (Wikipedia's poll tables), via craighow8-creator/Ukpolls2; "
            "downloaded at import, never shipped",
    description="GB voting-intention polls from July 2024, each with its pollster and dates",
)


# The next-election MRPs (YouGov, September 2025; More in Common) as Election Maps UK's
# nowcast page carries them, with each MRP's national baseline. No licence file: the MRP
# figures belong to YouGov and More in Common, the page to Election Maps UK.
NEXT_MRPS = Source(
    name="next-mrps",
    filename="projections/next/electionmaps-nowcast-2026-06-21.html",
    url="https://raw.githubusercontent.com/electionmapsuk/custom-nowcast/"
        "71aebc18968730d3133b423e95310929aa5e5ac1/electionmaps_nowcast.standalone.html",
    sha256="9fcb26cd962ed82bef8ea178a81384305ea3c5c024441f307580cb3cddf59bda",
    licence="no licence stated; the MRP figures belong to YouGov and More in Common, the "
            "page to Election Maps UK, credited; downloaded at import, never shipped",
    description="Next-election MRPs (YouGov September 2025, More in Common) per seat, from "
                "Election Maps UK's nowcast page",
)


# The same repository's merged file: six pollsters to 2026-04-23, Restore Britain where
# reported, and at least one row that is not what it says (refused at import, with why).
CANONICAL_POLLS = Source(
    name="canonical-polls",
    filename="polls/ukpolls2-canonical.json",
    url="https://raw.githubusercontent.com/craighow8-creator/Ukpolls2/"
        "8f274a583cec077a2134ddf60614b34794d37191/data/polls/canonical.json",
    sha256="1ade0716be2098fbb6b21a7ad4bdd2f3f9c463b98ce14f1d2975f986a8966254",
    licence="the repository states no licence; rows from Wikipedia are CC BY-SA 4.0; "
            "downloaded at import, never shipped",
    description="GB voting-intention polls of six pollsters to April 2026, with Restore "
                "Britain",
)


# Per-seat projections published before each general election's polling day (MRPs and
# similar). No file states a licence: the figures belong to each publisher, so they are
# downloaded at import, never shipped, credited, and used for advice, not republished.
_PROJECTION_LICENCE = "no licence stated; the figures belong to {}, credited"


def _projection(election: str, model: str, published: str, repo: str, path: str,
                sha256: str, publisher: str, filename: str | None = None) -> Source:
    return Source(
        name=f"projection-{election}-{model}",
        filename=filename or f"projections/{election}/{model}-{published}.csv",
        url=f"https://raw.githubusercontent.com/{repo}/{path}",
        sha256=sha256,
        licence=_PROJECTION_LICENCE.format(publisher),
        description=f"{publisher}'s per-seat projection for {election}, {published}",
        details=(election, model, published),
    )


_APOGEE = "inglesp/apogee/1f7020ba3fdd4843d95089dea9447d9282d84bb5"
_2024 = {  # model -> (scrape date, publisher, sha256)
    "britainpredicts": ("2024-07-03", "Britain Predicts (New Statesman)",
                        "f5831a8ad6c16de171ee1716308287304d24a7c9c854a0cff24f80c483e485b1"),
    "economist": ("2024-07-03", "The Economist",
                  "6b27c2749e43568cc89c54ad35b42ec8075e935c4ccb67244932d5e57f417455"),
    "electionmaps": ("2024-07-03", "Election Maps UK",
                     "5afb32aee6428e9038dced97f1bc97e8ca4a4a48c731ba2f26b66ecfbbfc1e15"),
    "electoralcalculus": ("2024-07-01", "Electoral Calculus",
                          "ccfd25ce038ece34d100b6878382550e72432ada69a11d68353f9cf36f6c0f2f"),
    "electoralcalculusmrp": ("2024-06-27", "Electoral Calculus (MRP)",
                             "a74690f79d129c460188bbd3b05737c32aee0a7568f53a3738303eed170a9f2b"),
    "focaldata": ("2024-07-03", "Focaldata",
                  "7062e4604af3ced03704bf88766964ebce29af29428d5fc990ea45402e92435c"),
    "ft": ("2024-07-03", "the Financial Times",
           "c5ff0b889eb2c16c2d730fc4192d04dd7455d715635a3ed69bb16d27c3eec62b"),
    "ipsos": ("2024-06-18", "Ipsos",
              "663bbc2501d9c9c18d69c66d7112e5dfcdf002c2ef6c99885f7c0ddc3bd02abc"),
    "jlp": ("2024-07-03", "JL Partners",
            "0b08833b9c2b41e3b19a2aa9f5f1f09c979335f834dea9caf7d43ad311011812"),
    "moreincommon": ("2024-07-03", "More in Common",
                     "8ff5e00629818f52a028da3e3ea76cfe87c8ecf6cbbcdbc2c4d3d948cf26a187"),
    "savanta": ("2024-06-19", "Savanta",
                "9c18c4cdf62245a2597423e9927d353b03b3b1f89181c9a82b18a168c603b3d2"),
    "survation": ("2024-07-03", "Survation",
                  "171bba9f77d21d8f094fe61304aff8618772e1858b6613bffa88f0228fc01f8d"),
    "wethink": ("2024-06-26", "WeThink",
                "ba1562909a4191ebf31d1de6d826adc9118a45be8bac5b3263cd59652eab7ea2"),
    "yougov": ("2024-07-03", "YouGov",
               "a5a42e6093f635d4099e334fa7165fe04dd7f25e639295212cd76b3891d42dee"),
}
PROJECTIONS: tuple[Source, ...] = (
    _projection("ge2017", "yougov", "2017-06-07",
                "PrimePotato/jandas/2204c7269d2e9a6c9d93564625b8b15f2dec2b18",
                "src/test/resources/csv/party_constituency_vote_shares.csv",
                "58c8047a2a2b97c75d471de74f55318633274d8a87f3933e1b01ffff060eb81b", "YouGov",
                filename="projections/ge2017/yougov-2017-final.csv"),
    # YouGov's 2019 MRPs (27 Nov and 10 Dec). The file also holds the 2019 RESULTS, merged
    # after polling day: the reader takes only its `code`, `nov.*` and `dec.*` columns.
    _projection("ge2019", "yougov", "2019-12-10",
                "jazzmuesli/ge2017/0b1144d957fc0bee65420e3b542bf3f29591f0f2", "combined.csv",
                "11c7fd97485a9f5225a05e988c2c4aca5148d5c73bfecfd72ffcb77382c7b905", "YouGov",
                filename="projections/ge2019/yougov-mrp-2019-combined.csv"),
    *(_projection("ge2024", model, day, _APOGEE,
                  f"data/processed/{model}/{day}/data.csv", sha, publisher)
      for model, (day, publisher, sha) in _2024.items()),
)


# Council election results by ward. LEAP's files are CC BY-SA (share-alike) and the 2023
# copy's repository states no licence: all are downloaded at import, never shipped.
_ELECTIONRESULTS = ("https://raw.githubusercontent.com/fsargent/electionresults.uk/"
                    "19651ed97e047b254e01875eac7b247a7e4a5401/source-data/council/")
_LEAP = ("CC BY-SA 3.0 / GFDL: Local Elections Archive Project, Andrew Teale; downloaded at "
         "import, never shipped")


def _local(day: str, kind: str, filename: str, url: str, sha256: str, licence: str
           ) -> Source:
    return Source(name=f"local-{day}", filename=f"local-elections/{filename}", url=url,
                  sha256=sha256, licence=licence,
                  description=f"council election results by ward, {day} ({kind})",
                  details=(day, kind))


_HANDBOOKS = (  # the Commons Library's spreadsheets: (polling day, file, sha256)
    ("2021-05-06", "local_elections_2021_results-2.xlsx",
     "b80b10d51856b82623cdaef48f33bc68a890fb2474d73a34f4e7affd5586850e"),
    ("2022-05-05", "local-elections-2022.xlsx",
     "0848b583f44aa277826d67b71a1b164cbd4e71cd658cea253e69441d26745681"),
    ("2024-05-02", "LEH-2024-results-HoC-version.xlsx",
     "90b076b0cd542fceeea6b1c1c420ec51581262fed5d9e4dc5c7e064f625f67b1"),
    ("2025-05-01", "LEH-2025-results-HoC.xlsx",
     "4efb40c192e89c71a9b172e71f786fdb2932f5a11f1f8583114f58862ed16f08"),
)
LOCAL_ELECTIONS: tuple[Source, ...] = (
    *(_local(day, "leap", f"leap-{day}.csv", f"{_ELECTIONRESULTS}leap/{day[:4]}/leap-{day}.csv",
             sha, _LEAP) for day, sha in (
        ("2016-05-05", "1bda578df90d311592154fb64f026ec0f8d197dd0cbeb55b416a79004894a2c9"),
        ("2017-05-04", "3b51b1ab582133c15327ad3aa0353ad00774688072c04204e783d7788b24a9da"),
        ("2018-05-03", "b8383c0d9e331a121efe0e135d4e3a11003197259cdda3b7cb0019356aafd1b0"),
        ("2019-05-02", "102adb4f1e62afdd5de084dfc4ee98dded233a6a900a658bc255f600ad990d5a"))),
    *(_local(day, "wards-xlsx", name, _ELECTIONRESULTS + name, sha, OPL)
      for day, name, sha in _HANDBOOKS[:2]),
    _local("2023-05-04", "wards-2023", "LEH-2023-ward-level.csv",
           "https://raw.githubusercontent.com/tom-draper/uk-data-atlas/"
           "a5252647647cb95d0b2b183ec1240310d0b3160d/public/data/elections/local-elections/"
           "LEH-Candidates-2023/Ward_Level-Table%201.csv",
           "3e034b3d964b2cfb95a0a7570a2e0606b5dd57bc69a341002a4dd32318d3ec3c",
           "Commons Library figures (Open Parliament Licence); the copy's repository states "
           "no licence, so it is downloaded at import, never shipped"),
    *(_local(day, "wards-xlsx", name, _ELECTIONRESULTS + name, sha, OPL)
      for day, name, sha in _HANDBOOKS[2:]),
)


@dataclass(frozen=True)
class Fetched:
    source: Source
    path: Path
    origin: str  # where it came from, for `data status`
    sha256: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_url(origin: str | os.PathLike | None) -> bool:
    return isinstance(origin, str) and origin.startswith(("http://", "https://"))


def _check(source: Source, path: Path, origin: str, verify: bool) -> Fetched:
    actual = sha256_of(path)
    if verify and actual != source.sha256:
        raise SourceError(
            f"{source.filename} from {origin} is not the pinned release: sha256 {actual}, "
            f"expected {source.sha256}. Nothing was changed. If the publisher has released a "
            "new version, check it and update the pin in bot/elections/sources.py (or pass "
            "--unpinned)."
        )
    return Fetched(source, path, origin, actual)


def local_path(source: Source, origin: str | os.PathLike) -> Path:
    """A folder holds every source by its file name; a file stands for the primary source."""
    path = Path(origin).expanduser()
    if path.is_dir():
        path = path / source.filename
    elif source is not PSEPHOLOGY:
        path = path.parent / source.filename
    if not path.is_file():
        raise SourceError(f"{source.filename} not found at {path}")
    return path


async def fetch(
    source: Source,
    origin: str | os.PathLike | None,
    downloads_dir: Path,
    *,
    verify: bool = True,
    session: aiohttp.ClientSession | None = None,
    progress: bool = True,
) -> Fetched:
    """Return a verified local copy of `source`.

    `origin` is a local folder or file, a URL (a URL ending in `/` is a base that the
    file name is appended to), or None for the source's public URL.
    """
    if origin is not None and not is_url(origin):
        path = local_path(source, origin)
        return _check(source, path, str(path), verify)
    url = source.url if origin is None else str(origin)
    if url.endswith("/"):
        url += source.filename
    elif source is not PSEPHOLOGY:
        url = url.rsplit("/", 1)[0] + "/" + source.filename
    target = downloads_dir / source.filename
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and verify and sha256_of(target) == source.sha256:
        return Fetched(source, target, url, source.sha256)  # already downloaded
    tmp = await _download(url, target.parent, session, progress)
    try:
        fetched = _check(source, tmp, url, verify)
    except SourceError:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, target)
    return Fetched(source, target, url, fetched.sha256)


async def _download(
    url: str, folder: Path, session: aiohttp.ClientSession | None, progress: bool
) -> Path:
    own_session = session is None
    session = session or aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600))
    fd, name = tempfile.mkstemp(dir=folder, prefix=".download-")
    tmp = Path(name)
    try:
        async with session.get(url) as response:
            if response.status != 200:
                raise SourceError(f"download of {url} failed: HTTP {response.status}")
            total = response.content_length
            with (
                os.fdopen(fd, "wb") as out,
                tqdm(total=total, unit="B", unit_scale=True, desc=url.rsplit("/", 1)[-1],
                     disable=not progress, leave=False) as bar,
            ):
                async for chunk in response.content.iter_chunked(1 << 16):
                    out.write(chunk)
                    bar.update(len(chunk))
            if total is not None and tmp.stat().st_size != total:
                raise SourceError(f"download of {url} was cut short")
        return tmp
    except (TimeoutError, aiohttp.ClientError) as exc:
        tmp.unlink(missing_ok=True)
        raise SourceError(f"could not download {url}: {exc or type(exc).__name__}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        if own_session:
            await session.close()
