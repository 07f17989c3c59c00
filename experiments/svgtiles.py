"""Cut a wide SVG picture (a Graphviz computation graph) into strips that fit a printed page at a
scale where its text stays legible. Each strip is the same SVG with another ``viewBox``: the
drawing stays vector, and nothing is redrawn.

A graph 2,700 points wide shrunk onto a 770-point page would print its 11-point labels at
3 points; cut into strips at 73% it prints them at 8 points.
"""

from __future__ import annotations

import math
import re
from collections import Counter

PAGE = (770.0, 440.0)  # points one strip may take: an A4 landscape page less margins and a caption
LEGIBLE = 8.0  # points: the size the graph's most common text is printed at (at most its own size)
OVERLAP = 0.04  # of a strip's width shared with its neighbour, so that a cut box is whole in one of them

_SVG_TAG = re.compile(r"<svg\b[^>]*>", re.S)
_ATTR = r'(?<![\w:-]){}="([^"]*)"'


def _attribute(tag: str, name: str) -> str | None:
    found = re.search(_ATTR.format(name), tag)
    return found.group(1) if found else None


def view_box(svg: str) -> tuple[float, float, float, float]:
    """The picture's viewBox (x, y, width, height), in its own units (Graphviz's are points)."""
    tag = _SVG_TAG.search(svg)
    box = _attribute(tag.group(0), "viewBox") if tag else None
    if box is None:
        raise ValueError("not an SVG picture with a viewBox")
    x, y, w, h = (float(v) for v in box.replace(",", " ").split())
    return x, y, w, h


def print_scale(svg: str) -> float:
    """The scale at which the most common font size prints at ``LEGIBLE`` points (never above 1)."""
    sizes = Counter(float(s) for s in re.findall(r'font-size="([\d.]+)"', svg))
    common = sizes.most_common(1)[0][0] if sizes else 14.0
    return min(1.0, LEGIBLE / common)


def tiles(svg: str, page: tuple[float, float] = PAGE) -> list[str]:
    """The picture as strips, row by row, each at most ``page`` points at ``print_scale``; a strip
    that would show no node (only the end of a box's frame, say) is left out."""
    x0, y0, width, height = view_box(svg)
    scale = print_scale(svg)
    tile_w, tile_h = page[0] / scale, page[1] / scale
    cols = _cuts(width, tile_w)
    rows = _cuts(height, tile_h)
    tag = _SVG_TAG.search(svg)
    head = re.sub(_ATTR.format("(?:width|height|viewBox)"), "", tag.group(0))
    out = []
    for top, h in rows:
        for left, w in cols:
            box = (x0 + left, y0 + top, x0 + left + w, y0 + top + h)
            new = head[:-1].rstrip() + f' width="{w * scale:.2f}pt" height="{h * scale:.2f}pt" viewBox="{box[0]:.2f} ' \
                                       f'{box[1]:.2f} {w:.2f} {h:.2f}">'
            body = _prune(svg[tag.end():], box)
            if 'class="node"' in body:
                out.append(svg[:tag.start()] + new + body)
    return out


_PART = re.compile(r'<g id="[^"]*" class="(?:node|edge)">.*?</g>', re.S)
_PAIR = re.compile(r"(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)")
_TEXT_XY = re.compile(r'<text[^>]*?\bx="(-?[\d.]+)" y="(-?[\d.]+)"')


def _prune(body: str, box: tuple[float, float, float, float]) -> str:
    """Drop the nodes and edges that lie wholly outside ``box`` (x0, y0, x1, y1 in viewBox units),
    so that a strip holds, and a PDF draws, only what it shows."""
    shift = re.search(r'class="graph" transform="[^"]*translate\((-?[\d.]+) (-?[\d.]+)\)', body)
    dx, dy = (float(shift.group(1)), float(shift.group(2))) if shift else (0.0, 0.0)

    def keep(part: re.Match) -> str:
        xy = [(float(x), float(y)) for x, y in _PAIR.findall(part.group(0)) + _TEXT_XY.findall(part.group(0))]
        if not xy:
            return part.group(0)
        xs, ys = [x + dx for x, _ in xy], [y + dy for _, y in xy]
        inside = max(xs) >= box[0] and min(xs) <= box[2] and max(ys) >= box[1] and min(ys) <= box[3]
        return part.group(0) if inside else ""

    return _PART.sub(keep, body)


def _cuts(length: float, tile: float) -> list[tuple[float, float]]:
    """(start, size) of the pieces a ``length`` is cut into, each at most ``tile`` long and
    overlapping their neighbour by ``OVERLAP`` of a tile; pieces are of equal size."""
    if length <= tile:
        return [(0.0, length)]
    overlap = OVERLAP * tile
    count = math.ceil((length - overlap) / (tile - overlap))
    size = (length + (count - 1) * overlap) / count
    return [(k * (size - overlap), size) for k in range(count)]
