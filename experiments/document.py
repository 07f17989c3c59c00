"""A small document model for the report: headings, paragraphs, lists, tables, figures and
code blocks, written out as Markdown (figures as files beside it) and as one self-contained
HTML page (figures embedded)."""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

_INLINE = [(re.compile(r"`([^`]+)`"), r"<code>\1</code>"), (re.compile(r"\*\*([^*]+)\*\*"), r"<strong>\1</strong>")]
_MIME = {".png": "image/png", ".svg": "image/svg+xml"}


def _inline_html(text: str) -> str:
    out = html.escape(text, quote=False)
    for pattern, repl in _INLINE:
        out = pattern.sub(repl, out)
    return out


def _cell_md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


@dataclass
class Document:
    """Blocks in order. ``figures`` paths are relative to the folder the report is written to."""

    title: str
    blocks: list[tuple] = field(default_factory=list)

    def heading(self, level: int, text: str) -> None:
        self.blocks.append(("heading", level, text))

    def paragraph(self, text: str) -> None:
        self.blocks.append(("paragraph", text))

    def bullets(self, items: list[str]) -> None:
        self.blocks.append(("bullets", items))

    def code(self, text: str) -> None:
        self.blocks.append(("code", text))

    def table(self, headers: list[str], rows: list[list[str]], caption: str = "") -> None:
        self.blocks.append(("table", headers, rows, caption))

    def figure(self, path: str, caption: str) -> None:
        self.blocks.append(("figure", path, caption))

    def markdown(self) -> str:
        parts = [f"# {self.title}"]
        for block in self.blocks:
            kind = block[0]
            if kind == "heading":
                parts.append("#" * block[1] + " " + block[2])
            elif kind == "paragraph":
                parts.append(block[1])
            elif kind == "bullets":
                parts.append("\n".join(f"- {item}" for item in block[1]))
            elif kind == "code":
                parts.append("```text\n" + block[1].rstrip("\n") + "\n```")
            elif kind == "table":
                _, headers, rows, caption = block
                lines = ["| " + " | ".join(_cell_md(h) for h in headers) + " |",
                         "|" + "|".join("---" for _ in headers) + "|"]
                lines += ["| " + " | ".join(_cell_md(c) for c in row) + " |" for row in rows]
                parts.append(("*" + caption + "*\n\n" if caption else "") + "\n".join(lines))
            elif kind == "figure":
                _, path, caption = block
                parts.append(f"![{caption}]({path})\n\n*{caption}*")
        return "\n\n".join(parts) + "\n"

    def html(self, base: Path) -> str:
        """One page with every figure embedded (read from ``base / path``)."""
        body = [f"<h1>{_inline_html(self.title)}</h1>"]
        for block in self.blocks:
            kind = block[0]
            if kind == "heading":
                level = min(block[1], 6)
                anchor = re.sub(r"[^a-z0-9]+", "-", block[2].lower()).strip("-")
                body.append(f"<h{level} id='{anchor}'>{_inline_html(block[2])}</h{level}>")
            elif kind == "paragraph":
                body.append(f"<p>{_inline_html(block[1])}</p>")
            elif kind == "bullets":
                body.append("<ul>" + "".join(f"<li>{_inline_html(i)}</li>" for i in block[1]) + "</ul>")
            elif kind == "code":
                body.append(f"<pre>{html.escape(block[1])}</pre>")
            elif kind == "table":
                _, headers, rows, caption = block
                head = "".join(f"<th>{_inline_html(h)}</th>" for h in headers)
                rows_html = "".join("<tr>" + "".join(f"<td>{_inline_html(str(c))}</td>" for c in row) + "</tr>"
                                    for row in rows)
                cap = f"<caption>{_inline_html(caption)}</caption>" if caption else ""
                body.append(f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{rows_html}</tbody></table>")
            elif kind == "figure":
                _, path, caption = block
                file = base / path
                mime = _MIME.get(file.suffix.lower(), "application/octet-stream")
                src = f"data:{mime};base64,{base64.b64encode(file.read_bytes()).decode()}" if file.exists() else ""
                body.append(f"<figure><img src='{src}' alt='{html.escape(caption)}'>"
                            f"<figcaption>{_inline_html(caption)}</figcaption></figure>")
        return _PAGE.replace("{title}", html.escape(self.title)).replace("{body}", "\n".join(body))


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
 body { font-family: system-ui, sans-serif; max-width: 62rem; margin: 2rem auto; padding: 0 1rem; color: #111827;
        line-height: 1.55; }
 h1, h2, h3 { line-height: 1.25; } h2 { border-bottom: 1px solid #e5e7eb; padding-bottom: .3rem; margin-top: 2.2rem; }
 table { border-collapse: collapse; margin: 1rem 0; font-size: .92rem; }
 caption { caption-side: top; text-align: left; font-style: italic; padding-bottom: .3rem; }
 th, td { border: 1px solid #d1d5db; padding: .3rem .6rem; text-align: left; vertical-align: top; }
 th { background: #f3f4f6; }
 figure { margin: 1.2rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #e5e7eb; }
 figcaption { font-style: italic; color: #4b5563; font-size: .92rem; }
 pre { background: #f3f4f6; padding: .8rem; overflow-x: auto; font-size: .85rem; border-radius: .3rem; }
 code { background: #f3f4f6; padding: 0 .2rem; border-radius: .2rem; }
</style></head>
<body>
{body}
</body></html>
"""
