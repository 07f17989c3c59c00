"""A small document model for the report: headings, paragraphs, lists, tables, figures and
code blocks, written out as Markdown (figures as files beside it), as one self-contained HTML
page (figures embedded), and as the HTML a PDF is printed from (A4 pages, page numbers in the
table of contents, wide graphs cut into strips at a legible size in an appendix). In the page,
each wide graph pans and zooms (``autograd/teach/panzoom.js``, embedded) and opens full size,
filling the window, on a click.

Headings get GitHub's anchors (``## 2.1 Sigmoid functions`` → ``#21-sigmoid-functions``), so the
table of contents links work in the Markdown, the page and the PDF alike.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from autograd.teach.page import PANZOOM_SCRIPT
from experiments import svgtiles

_INLINE = [(re.compile(r"`([^`]+)`"), r"<code>\1</code>"), (re.compile(r"\*\*([^*]+)\*\*"), r"<strong>\1</strong>")]
_MIME = {".png": "image/png", ".svg": "image/svg+xml"}
TOC_LEVELS = (2, 3)  # the table of contents lists sections and subsections


def _inline_html(text: str) -> str:
    out = html.escape(text, quote=False)
    for pattern, repl in _INLINE:
        out = pattern.sub(repl, out)
    return out


def _cell_md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def slug(text: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def data_uri(file: Path) -> str:
    mime = _MIME.get(file.suffix.lower(), "application/octet-stream")
    return f"data:{mime};base64,{base64.b64encode(file.read_bytes()).decode()}" if file.exists() else ""


@dataclass
class Document:
    """Blocks in order. ``figures`` paths are relative to the folder the report is written to."""

    title: str
    blocks: list[tuple] = field(default_factory=list)
    anchors: set[str] = field(default_factory=set)

    def heading(self, level: int, text: str) -> None:
        anchor, k = slug(text), 0
        while anchor + (f"-{k}" if k else "") in self.anchors:  # GitHub numbers repeated headings
            k += 1
        anchor += f"-{k}" if k else ""
        self.anchors.add(anchor)
        self.blocks.append(("heading", level, text, anchor))

    def paragraph(self, text: str) -> None:
        self.blocks.append(("paragraph", text))

    def bullets(self, items: list[str]) -> None:
        self.blocks.append(("bullets", items))

    def code(self, text: str) -> None:
        self.blocks.append(("code", text))

    def table(self, headers: list[str], rows: list[list[str]], caption: str = "") -> None:
        self.blocks.append(("table", headers, rows, caption))

    def figure(self, path: str, caption: str, wide: bool = False) -> None:
        """A figure; a ``wide`` one (a computation graph) pans and zooms in the page and opens
        full size on a click, links to its file, and is printed in strips in the PDF's appendix."""
        self.blocks.append(("figure", path, caption, wide))

    def contents(self) -> list[tuple[int, str, str]]:
        """(level, text, anchor) of the headings the table of contents lists."""
        return [(b[1], b[2], b[3]) for b in self.blocks if b[0] == "heading" and b[1] in TOC_LEVELS]

    # ---- Markdown ---------------------------------------------------------------------------
    def markdown(self) -> str:
        toc = "\n".join(f"{'  ' * (level - TOC_LEVELS[0])}- [{text}](#{anchor})"
                        for level, text, anchor in self.contents())
        return "\n\n".join([f"# {self.title}", *self._with_toc("**Contents**\n\n" + toc, _markdown_block)]) + "\n"

    def _with_toc(self, toc: str, render) -> list[str]:
        """The blocks rendered, the table of contents before the first heading."""
        first = next((i for i, b in enumerate(self.blocks) if b[0] == "heading"), len(self.blocks))
        rendered = [render(b) for b in self.blocks]
        return [*rendered[:first], toc, *rendered[first:]]

    # ---- HTML -------------------------------------------------------------------------------
    def html(self, base: Path) -> str:
        """One page with every figure embedded (read from ``base / path``), and the scripts that
        pan and zoom the wide ones when there are any."""
        body = self._with_toc(self._toc_html(), lambda b: _html_block(b, base, printing=False))
        scripts = ([f"<script>{PANZOOM_SCRIPT.read_text(encoding='utf-8')}</script>", f"<script>{GRAPHS_JS}</script>"]
                   if any(b[0] == "figure" and b[3] for b in self.blocks) else [])
        return _page(self.title, SCREEN_CSS, [f"<h1>{_inline_html(self.title)}</h1>", *body, *scripts])

    def print_html(self, base: Path) -> str:
        """The page as printed to PDF: A4, the table of contents with page numbers, and each wide
        figure's full picture cut into strips at a legible size in an appendix."""
        body = self._with_toc(self._toc_html(), lambda b: _html_block(b, base, printing=True))
        return _page(self.title, PRINT_CSS, [f"<h1>{_inline_html(self.title)}</h1>", *body, *self._appendix(base)])

    def _toc_html(self) -> str:
        items, depth = [], TOC_LEVELS[0] - 1
        for level, text, anchor in self.contents():
            if level > depth:
                items.append("<ol>" * (level - depth))
            else:
                items.append("</li>" + "</ol></li>" * (depth - level))
            items.append(f"<li><a href='#{anchor}'>{_inline_html(text)}</a>")
            depth = level
        items.append("</li>" + "</ol></li>" * (depth - TOC_LEVELS[0]) + "</ol>")
        return "<nav class='toc' id='contents'><h2 class='toc-title'>Contents</h2>" + "".join(items) + "</nav>"

    def _appendix(self, base: Path) -> list[str]:
        wide = [b for b in self.blocks if b[0] == "figure" and b[3] and (base / b[1]).suffix == ".svg"
                and (base / b[1]).exists()]
        if not wide:
            return []
        out = ["<section class='appendix'><h2 id='appendix'>Appendix: the computation graphs at print size</h2>",
               "<p>Each graph is cut into strips at a scale where its labels stay legible, read left to right "
               "and top to bottom; neighbouring strips overlap a little, so a box cut at one edge is whole in "
               "the next.</p>"]
        for _, path, caption, _ in wide:
            strips = svgtiles.tiles((base / path).read_text(encoding="utf-8"))
            out.append(f"<h3 id='{_strip_id(path)}'>{_inline_html(caption)}</h3>")
            for k, strip in enumerate(strips, start=1):
                uri = "data:image/svg+xml;base64," + base64.b64encode(strip.encode()).decode()
                out.append(f"<figure class='strip'><img src='{uri}' alt='strip {k}'>"
                           f"<figcaption>strip {k} of {len(strips)}</figcaption></figure>")
        return [*out, "</section>"]


def _strip_id(path: str) -> str:
    return "print-" + slug(Path(path).stem)


def _markdown_block(block: tuple) -> str:
    kind = block[0]
    if kind == "heading":
        return "#" * block[1] + " " + block[2]
    if kind == "paragraph":
        return block[1]
    if kind == "bullets":
        return "\n".join(f"- {item}" for item in block[1])
    if kind == "code":
        return "```text\n" + block[1].rstrip("\n") + "\n```"
    if kind == "table":
        _, headers, rows, caption = block
        lines = ["| " + " | ".join(_cell_md(h) for h in headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        lines += ["| " + " | ".join(_cell_md(c) for c in row) + " |" for row in rows]
        return ("*" + caption + "*\n\n" if caption else "") + "\n".join(lines)
    _, path, caption, wide = block
    if wide:
        return f"[![{caption}]({path})]({path})\n\n*{caption}* [Open it full size]({path})."
    return f"![{caption}]({path})\n\n*{caption}*"


def _html_block(block: tuple, base: Path, printing: bool) -> str:
    kind = block[0]
    if kind == "heading":
        level = min(block[1], 6)
        return f"<h{level} id='{block[3]}'>{_inline_html(block[2])}</h{level}>"
    if kind == "paragraph":
        return f"<p>{_inline_html(block[1])}</p>"
    if kind == "bullets":
        return "<ul>" + "".join(f"<li>{_inline_html(i)}</li>" for i in block[1]) + "</ul>"
    if kind == "code":
        return f"<pre>{html.escape(block[1])}</pre>"
    if kind == "table":
        _, headers, rows, caption = block
        head = "".join(f"<th>{_inline_html(h)}</th>" for h in headers)
        rows_html = "".join("<tr>" + "".join(f"<td>{_inline_html(str(c))}</td>" for c in row) + "</tr>"
                            for row in rows)
        cap = f"<caption>{_inline_html(caption)}</caption>" if caption else ""
        return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{rows_html}</tbody></table>"
    return _figure_html(block, base, printing)


def _figure_html(block: tuple, base: Path, printing: bool) -> str:
    _, path, caption, wide = block
    img = f"<img src='{data_uri(base / path)}' alt='{html.escape(caption)}'>"
    text = _inline_html(caption)
    if not wide:
        return f"<figure>{img}<figcaption>{text}</figcaption></figure>"
    if printing:
        strips = (base / path).suffix == ".svg" and (base / path).exists()
        where = (f" At print size: <a class='page-ref' href='#{_strip_id(path)}'>the appendix</a>." if strips else "")
        return f"<figure class='wide'>{img}<figcaption>{text}{where}</figcaption></figure>"
    return (f"<figure class='wide'><div class='graph' id='graph-{slug(Path(path).stem)}' "
            f"title='drag: pan; wheel, + or −: zoom; click: full size (a click or Esc closes it)'>{img}</div>"
            f"<figcaption>{text} Drag the picture to pan it and scroll (or + and −) to zoom; click it to see it "
            f"full size in the whole window (a click or Esc closes it), or <a href='{html.escape(path)}' "
            f"target='_blank'>open it alone</a>.</figcaption></figure>")


def _page(title: str, css: str, body: list[str]) -> str:
    return (_PAGE.replace("{title}", html.escape(title)).replace("{css}", css)
            .replace("{body}", "\n".join(body)))


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>{css}</style></head>
<body>
{body}
</body></html>
"""

_COMMON_CSS = """
 h1, h2, h3 { line-height: 1.25; }
 table { border-collapse: collapse; margin: 1rem 0; }
 caption { caption-side: top; text-align: left; font-style: italic; padding-bottom: .3rem; }
 th, td { border: 1px solid #d1d5db; padding: .3rem .6rem; text-align: left; vertical-align: top; }
 th { background: #f3f4f6; }
 figcaption { font-style: italic; color: #4b5563; }
 pre { background: #f3f4f6; padding: .8rem; border-radius: .3rem; }
 code { background: #f3f4f6; padding: 0 .2rem; border-radius: .2rem; }
 nav.toc ol { list-style: none; padding-left: 1.2rem; margin: .2rem 0; }
 nav.toc > ol { padding-left: 0; }
 nav.toc a { text-decoration: none; }
"""

SCREEN_CSS = _COMMON_CSS + """
 body { font-family: system-ui, sans-serif; max-width: 62rem; margin: 2rem auto; padding: 0 1rem; color: #111827;
        line-height: 1.55; }
 h2 { border-bottom: 1px solid #e5e7eb; padding-bottom: .3rem; margin-top: 2.2rem; }
 table { font-size: .92rem; }
 figure { margin: 1.2rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #e5e7eb; }
 figcaption { font-size: .92rem; }
 pre { overflow-x: auto; font-size: .85rem; }
 nav.toc { background: #f9fafb; border: 1px solid #e5e7eb; border-radius: .4rem; padding: .4rem 1.2rem .8rem; }
 nav.toc h2 { border: none; margin-top: .6rem; }
 figure.wide .graph { height: 420px; border: 1px solid #e5e7eb; border-radius: .4rem; background: #fff; }
 figure.wide .graph img { border: none; }
 figure.wide .graph.full { position: fixed; inset: 0; z-index: 10; height: auto !important; border: none;
                           border-radius: 0; }
 figure.wide .graph:not(.full) .pz-close { display: none; }
 body.graph-open { overflow: hidden; }
"""

# Each wide graph in the page: a pan/zoom box as tall as the picture needs (within limits),
# fitted; a click (not a drag) shows the picture at its natural size in the whole window, the
# point clicked staying under the pointer; a click or Esc closes it, fitted again.
GRAPHS_JS = """
(function () {
  'use strict';
  var open = null;
  function height(box, img) {
    var w = img.naturalWidth || 1, h = img.naturalHeight || 1;
    box.style.height = Math.round(Math.min(0.7 * window.innerHeight, Math.max(240, box.clientWidth * h / w))) + 'px';
  }
  function toggle(box, pz, e) {
    var full = !box.classList.contains('full');
    var r = box.getBoundingClientRect(), v = pz.view();
    var at = e ? {x: e.clientX, y: e.clientY} : {x: r.left + r.width / 2, y: r.top + r.height / 2};
    var point = {x: (at.x - r.left - v.x) / v.scale, y: (at.y - r.top - v.y) / v.scale};  // in the picture
    box.classList.toggle('full', full);
    document.body.classList.toggle('graph-open', full);
    open = full ? {box: box, pz: pz} : null;
    if (full) {
      var now = box.getBoundingClientRect();
      pz.setView({x: at.x - now.left - point.x, y: at.y - now.top - point.y, scale: 1});
      box.focus();
    } else {
      pz.fit();
    }
  }
  document.querySelectorAll('figure.wide .graph').forEach(function (box) {
    var img = box.querySelector('img'), pz = PanZoom.attach(box, {maxFit: 1});
    function ready() { height(box, img); pz.fit(); }
    if (img && img.complete) { ready(); } else if (img) { img.addEventListener('load', ready, {once: true}); }
    box.addEventListener('click', function (e) { if (!box.dataset.dragged) { toggle(box, pz, e); } });
    box.addEventListener('keydown', function (e) { if (e.key === 'Enter') { toggle(box, pz); } });
    var close = document.createElement('button');
    close.type = 'button'; close.className = 'pz-close'; close.textContent = '✕';
    close.title = 'close the full-size view (Esc)'; close.setAttribute('aria-label', close.title);
    close.addEventListener('pointerdown', function (e) { e.stopPropagation(); });
    close.addEventListener('click', function (e) { e.stopPropagation(); toggle(box, pz); });
    box.querySelector('.pz-controls').appendChild(close);
  });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && open) { toggle(open.box, open.pz); }
  });
})();
"""

PRINT_CSS = _COMMON_CSS + """
 @page { size: A4; margin: 17mm 17mm 18mm;
         @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt; color: #6b7280; } }
 @page strips { size: A4 landscape; margin: 12mm; }
 body { font-family: "DejaVu Sans", "Liberation Sans", sans-serif; font-size: 9.5pt; line-height: 1.4;
        color: #111827; }
 h1 { font-size: 17pt; } h2 { font-size: 13pt; margin-top: 1.4rem; } h3 { font-size: 11pt; }
 nav.toc + * { break-before: page; }
 h4 { font-size: 10pt; }
 h2, h3, h4 { break-after: avoid; }
 nav.toc h2 { break-before: auto; }
 nav.toc a::after { content: leader('.') target-counter(attr(href), page); }
 nav.toc li { margin: .1rem 0; }
 table { font-size: 7.5pt; width: 100%; break-inside: auto; }
 th, td { padding: .15rem .3rem; }
 tr { break-inside: avoid; }
 figure { margin: .6rem 0; break-inside: avoid; text-align: center; }
 figure img { image-resolution: 110dpi; max-width: 100%; max-height: 215mm; }
 figure.wide img { max-height: 60mm; }
 figcaption { font-size: 8pt; text-align: left; }
 pre { font-size: 7pt; line-height: 1.25; white-space: pre-wrap; padding: .4rem; break-inside: auto; }
 a.page-ref::after { content: " (page " target-counter(attr(href), page) ")"; }
 section.appendix { page: strips; }
 section.appendix h2 { break-before: page; }
 section.appendix h3 { break-before: page; font-size: 10pt; }
 section.appendix p + h3 { break-before: auto; }
 figure.strip img { max-width: 100%; max-height: 170mm; }
"""
