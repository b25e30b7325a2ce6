"""Draw the integration's brand icons (an original design) with Pillow.

A rounded tile with a phone handset and a speech bubble: a call that gets a text back.
Writes icon.png / dark_icon.png (256 px) and their @2x variants (512 px) into
custom_components/missed_call_textback/brand/. Deterministic: same Pillow, same bytes.

Usage: .venv/bin/python scripts/make_brand_icons.py
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

BRAND_DIR = (
    Path(__file__).resolve().parent.parent
    / "custom_components"
    / "missed_call_textback"
    / "brand"
)

# Drawn once on a large canvas, then downsampled: that is the anti-aliasing.
CANVAS = 2048
U = CANVAS / 100  # one design unit: the design below is laid out on a 100 x 100 grid
HANDSET_SIZE = 62  # width of the tilted handset, in design units

type RGBA = tuple[int, int, int, int]


@dataclass(frozen=True, kw_only=True)
class Palette:
    """Colours of one variant."""

    tile: RGBA
    tile_edge: RGBA
    handset: RGBA
    bubble: RGBA
    dots: RGBA


LIGHT = Palette(
    tile=(21, 101, 192, 255),  # deep blue: reads on white cards
    tile_edge=(13, 71, 161, 255),
    handset=(255, 255, 255, 255),
    bubble=(255, 179, 0, 255),  # amber: the text going back
    dots=(21, 101, 192, 255),
)
DARK = Palette(
    tile=(100, 181, 246, 255),  # light blue: reads on dark cards
    tile_edge=(144, 202, 249, 255),
    handset=(13, 27, 42, 255),
    bubble=(255, 202, 40, 255),
    dots=(13, 27, 42, 255),
)


def _box(x0: float, y0: float, x1: float, y1: float) -> tuple[int, int, int, int]:
    """Design units to canvas pixels."""
    return (round(x0 * U), round(y0 * U), round(x1 * U), round(y1 * U))


def _handset(colour: RGBA) -> Image.Image:
    """Draw an upright handset, opening to the right, on a layer of its own."""
    layer = Image.new("RGBA", (CANVAS, CANVAS), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    # The handle: the left part of a thick ring whose mid-line runs through the centres
    # of both pads, so its flat ends hide inside them.
    draw.arc(_box(19, 11, 97, 89), start=113, end=247, fill=colour, width=round(12 * U))
    # Ear and mouth pieces: rounded pads at both ends of the handle, facing right.
    draw.rounded_rectangle(_box(30, 10, 60, 29), radius=round(8 * U), fill=colour)
    draw.rounded_rectangle(_box(30, 71, 60, 90), radius=round(8 * U), fill=colour)
    return layer


def _bubble(draw: ImageDraw.ImageDraw, palette: Palette) -> None:
    """Draw a speech bubble at the top right, its tail towards the handset."""
    draw.rounded_rectangle(
        _box(50, 16, 88, 44), radius=round(9 * U), fill=palette.bubble
    )
    tail = [(56 * U, 40 * U), (66 * U, 40 * U), (52 * U, 52 * U)]
    draw.polygon(tail, fill=palette.bubble)
    for cx in (59, 69, 79):
        draw.ellipse(_box(cx - 3.2, 26.8, cx + 3.2, 33.2), fill=palette.dots)


def draw_icon(palette: Palette) -> Image.Image:
    """Draw the icon at CANVAS size on a transparent background."""
    image = Image.new("RGBA", (CANVAS, CANVAS), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(
        _box(2, 2, 98, 98),
        radius=round(22 * U),
        fill=palette.tile,
        outline=palette.tile_edge,
        width=round(1.5 * U),
    )
    handset = _handset(palette.handset).rotate(45, resample=Image.Resampling.BICUBIC)
    shape = handset.crop(handset.getbbox())
    side = round(HANDSET_SIZE * U)
    shape = shape.resize(
        (side, round(side * shape.height / shape.width)), Image.Resampling.LANCZOS
    )
    # Into the bottom-left corner, inside the tile, so the bubble has the top right.
    image.alpha_composite(shape, dest=(round(13 * U), round(87 * U) - shape.height))
    _bubble(draw, palette)
    return image


def main() -> None:
    """Write the four PNGs."""
    BRAND_DIR.mkdir(parents=True, exist_ok=True)
    for palette, stem in ((LIGHT, "icon"), (DARK, "dark_icon")):
        big = draw_icon(palette)
        for size, suffix in ((256, ""), (512, "@2x")):
            path = BRAND_DIR / f"{stem}{suffix}.png"
            big.resize((size, size), Image.Resampling.LANCZOS).save(path, optimize=True)
            print(f"wrote {path.relative_to(BRAND_DIR.parent.parent.parent)}")


if __name__ == "__main__":
    main()
