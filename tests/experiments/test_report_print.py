"""Printing the report: a wide graph cut into strips that fit a landscape A4 page at a scale
where its text prints at 8 points, each strip holding what it shows; and a clear message when
WeasyPrint is missing."""

import itertools
import re
import sys

import pytest

from experiments import pdf, svgtiles


def graph_svg(width: float, height: float, nodes: int) -> str:
    """A Graphviz-like SVG: nodes in a row, 11-point text, y measured upwards from the bottom."""
    parts = []
    step = width / nodes
    for k in range(nodes):
        x = k * step + 10
        parts.append(f'<g id="node{k}" class="node"><title>n{k}</title><polygon fill="#fff" stroke="#000" '
                     f'points="{x},-20 {x + 60},-20 {x + 60},-60 {x},-60 {x},-20"/>'
                     f'<text text-anchor="start" x="{x + 5}" y="-35" font-size="11.00">node {k}</text></g>')
    return (f'<?xml version="1.0"?>\n<svg width="{width}pt" height="{height}pt" viewBox="0.00 0.00 {width} {height}" '
            f'xmlns="http://www.w3.org/2000/svg">\n<g id="graph0" class="graph" '
            f'transform="scale(1 1) rotate(0) translate(4 {height - 4})">\n' + "\n".join(parts) + "\n</g>\n</svg>\n")


def test_a_wide_graph_is_cut_into_overlapping_strips_at_a_legible_scale():
    svg = graph_svg(2734, 490, 30)
    scale = svgtiles.print_scale(svg)
    assert scale == pytest.approx(8 / 11)
    strips = svgtiles.tiles(svg)
    assert len(strips) == 3
    boxes = [[float(v) for v in re.search(r'viewBox="([^"]+)"', s).group(1).split()] for s in strips]
    assert boxes[0][0] == 0 and boxes[-1][0] + boxes[-1][2] == pytest.approx(2734)
    for (x0, _, w0, _), (x1, _, _, _) in itertools.pairwise(boxes):
        assert x1 < x0 + w0  # neighbours overlap
    for s, (_, _, w, h) in zip(strips, boxes, strict=True):
        width = float(re.search(r'<svg[^>]*\bwidth="([\d.]+)pt"', s).group(1))
        assert width == pytest.approx(w * scale, abs=0.01) and width <= svgtiles.PAGE[0]
        assert h * scale <= svgtiles.PAGE[1]


def test_each_strip_keeps_only_the_nodes_it_shows():
    svg = graph_svg(2734, 490, 30)
    strips = svgtiles.tiles(svg)
    shown = [set(re.findall(r"node (\d+)<", s)) for s in strips]
    assert "0" in shown[0] and "0" not in shown[-1] and "29" in shown[-1] and "29" not in shown[0]
    assert set().union(*shown) == {str(k) for k in range(30)}  # every node is in some strip
    assert all(len(s) < len(svg) for s in strips)


def test_a_small_picture_stays_whole():
    svg = graph_svg(500, 200, 3)
    assert len(svgtiles.tiles(svg)) == 1


def test_without_weasyprint_the_message_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if not installed
    with pytest.raises(pdf.PdfUnavailableError, match=r"WeasyPrint is not installed.*pip install weasyprint"):
        pdf.write_pdf("<p>x</p>", tmp_path / "r.pdf", tmp_path)
    assert not (tmp_path / "r.pdf").exists()
