"""Small PNG bar charts, drawn in-process with Pillow (a few milliseconds each)."""

from __future__ import annotations

import io
from functools import cache

from PIL import Image, ImageDraw, ImageFont

WIDTH, ROW, PAD, LABEL_W = 640, 34, 14, 220
BACKGROUND, TEXT, GRID = (43, 45, 49), (235, 235, 235), (70, 72, 78)


@cache
def _font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has one fixed-size default font
        return ImageFont.load_default()


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    try:
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
    except ValueError:
        return 170, 170, 170


def bar_chart(title: str, bars: list[tuple[str, float, str]], limit: int = 10) -> bytes:
    """A horizontal bar chart: [(label, share 0-1, '#rrggbb')] -> PNG bytes."""
    bars = bars[:limit]
    height = PAD * 3 + 24 + ROW * max(len(bars), 1)
    image = Image.new("RGB", (WIDTH, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.text((PAD, PAD), title[:70], fill=TEXT, font=_font(18))
    top = PAD * 2 + 24
    span = WIDTH - LABEL_W - PAD * 2 - 60
    scale = max((share for _, share, _ in bars), default=1.0) or 1.0
    for i, (label, share, colour) in enumerate(bars):
        y = top + i * ROW
        draw.text((PAD, y + 8), label[:28], fill=TEXT, font=_font(14))
        draw.rectangle((LABEL_W, y + 4, LABEL_W + span, y + ROW - 6), fill=GRID)
        width = int(span * max(0.0, min(share / scale, 1.0)))
        draw.rectangle((LABEL_W, y + 4, LABEL_W + width, y + ROW - 6), fill=_rgb(colour))
        draw.text((LABEL_W + span + 8, y + 8), f"{share * 100:.1f}%", fill=TEXT,
                  font=_font(14))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
