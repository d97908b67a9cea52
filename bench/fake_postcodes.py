"""A local stand-in for postcodes.io, speaking its API (shapes from postcodes-io-openapi.json).

It knows one real postcode in every 2024 seat (constituency-sample-postcode-2024.csv) plus
a few hand-made ones, and can be switched to fail: `server.mode = "500" | "hang" | "garbage"`.
"""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer

TERMINATED = {"SW1A2AB": (2019, 3)}  # a made-up retired postcode for tests
# postcode district -> the 2024 seats it spans, as postcodes.io lists them (hand-made)
OUTCODE_SEATS = {"WF13": ["Dewsbury and Batley", "Spen Valley"],
                 "CF10": ["Cardiff East", "Cardiff South and Penarth"]}


def load_sample_postcodes(path: Path) -> dict[str, tuple[str, str]]:
    """{"WF131AB": (seat code, seat name)} for the real sample postcodes (a file, or the
    shared data folder holding constituency-sample-postcode-2024.csv)."""
    if path.is_dir():
        path = path / "constituency-sample-postcode-2024.csv"
    with path.open(encoding="utf-8-sig") as f:
        return {row["Sample postcode"].replace(" ", "").upper(): (row["Code"],
                row["Constituency name"]) for row in csv.DictReader(f)}


class FakePostcodesIO:
    def __init__(self, postcodes: dict[str, tuple[str, str]]) -> None:
        self.postcodes = postcodes
        self.mode = "ok"  # ok | 500 | hang | garbage
        self.requests = 0
        self.app = web.Application()
        self.app.router.add_get("/postcodes/{pc}", self.postcode)
        self.app.router.add_post("/postcodes", self.bulk)
        self.app.router.add_get("/terminated_postcodes/{pc}", self.terminated)
        self.app.router.add_get("/outcodes/{oc}", self.outcode)
        self.server: TestServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    async def start(self) -> None:
        self.server = TestServer(self.app, host="127.0.0.1")
        await self.server.start_server()

    async def close(self) -> None:
        if self.server:
            await self.server.close()

    async def _fault(self) -> web.Response | None:
        self.requests += 1
        if self.mode == "500":
            return web.json_response({"status": 500, "error": "Internal error"}, status=500)
        if self.mode == "hang":
            await asyncio.sleep(30)
        if self.mode == "garbage":
            return web.Response(text="<html>oops", content_type="application/json")
        return None

    def _result(self, compact: str) -> dict | None:
        if compact not in self.postcodes:
            return None
        code, name = self.postcodes[compact]
        pretty = f"{compact[:-3]} {compact[-3:]}"
        return {"postcode": pretty, "outcode": compact[:-3], "incode": compact[-3:],
                "parliamentary_constituency_2024": name,
                "codes": {"parliamentary_constituency_2024": code}}

    async def postcode(self, request: web.Request) -> web.Response:
        if fault := await self._fault():
            return fault
        compact = request.match_info["pc"].replace(" ", "").upper()
        if not compact[-3:-2].isdigit():
            return web.json_response({"status": 400, "error": "Invalid postcode"}, status=400)
        result = self._result(compact)
        if result is None:
            return web.json_response({"status": 404, "error": "Postcode not found"}, status=404)
        return web.json_response({"status": 200, "result": result})

    async def bulk(self, request: web.Request) -> web.Response:
        if fault := await self._fault():
            return fault
        body = await request.json()
        return web.json_response({"status": 200, "result": [
            {"query": q, "result": self._result(q.replace(" ", "").upper())}
            for q in body["postcodes"]]})

    async def terminated(self, request: web.Request) -> web.Response:
        if fault := await self._fault():
            return fault
        compact = request.match_info["pc"].replace(" ", "").upper()
        if compact not in TERMINATED:
            return web.json_response({"status": 404, "error": "Terminated postcode not found"},
                                     status=404)
        year, month = TERMINATED[compact]
        return web.json_response({"status": 200, "result": {
            "postcode": f"{compact[:-3]} {compact[-3:]}", "year_terminated": year,
            "month_terminated": month, "longitude": -0.1, "latitude": 51.5}})

    async def outcode(self, request: web.Request) -> web.Response:
        if fault := await self._fault():
            return fault
        oc = request.match_info["oc"].upper()
        if oc not in OUTCODE_SEATS:
            return web.json_response({"status": 404, "error": "Outcode not found"}, status=404)
        return web.json_response({"status": 200, "result": {
            "outcode": oc, "parliamentary_constituency_2024": OUTCODE_SEATS[oc]}})
