"""A self-contained HTML report (figures inline) from a run's Dataset and summary. No science.

- :func:`write_figures` -- PNG files of every figure of a run.
- :func:`write_report` -- ``report.html`` with the figures embedded as base64 PNGs.
"""

from __future__ import annotations

import base64
import html
import io as _io
import os
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any


def _fig_png(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    buf = _io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def write_figures(
    ds: Any, out_dir: str | os.PathLike[str], figures: Mapping[str, Callable[[Any], Any]]
) -> dict[str, bytes]:
    """Render ``figures`` (name -> function of the Dataset) to ``out_dir/<name>.png``.

    Returns
    -------
    dict
        Name -> PNG bytes.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pngs = {}
    for name, fn in figures.items():
        png = _fig_png(fn(ds))
        tmp = out / f".{name}.png.tmp-{uuid.uuid4().hex[:6]}"
        tmp.write_bytes(png)
        os.replace(tmp, out / f"{name}.png")
        pngs[name] = png
    return pngs


def _table(rows: list[tuple[str, Any, str]]) -> str:
    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4g}"
        return html.escape(str(v))

    body = "".join(
        f"<tr><td>{html.escape(k)}</td><td class='num'>{fmt(v)}</td>"
        f"<td>{html.escape(note)}</td></tr>"
        for k, v, note in rows
    )
    return f"<table><tr><th>quantity</th><th>value</th><th>meaning</th></tr>{body}</table>"


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:0.2em}
h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:0.6em 0;font-size:0.92em}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
td.num{text-align:right;font-family:monospace}
img{max-width:100%;border:1px solid #eee;margin:0.4em 0} .meta{color:#666;font-size:0.85em}
.ok{color:#1a7f37;font-weight:bold} .bad{color:#b42318;font-weight:bold}
"""


def write_report(
    path: str | os.PathLike[str],
    *,
    title: str,
    intro: str,
    sections: list[tuple[str, str, list[tuple[str, Any, str]], list[str]]],
    pngs: Mapping[str, bytes],
    meta: Mapping[str, Any],
) -> Path:
    """Write a self-contained HTML report atomically.

    Parameters
    ----------
    path : str or Path
        Destination ``.html``.
    title, intro : str
        Heading and an introductory paragraph (HTML allowed in ``intro``).
    sections : list
        ``(heading, text, table_rows, figure_names)`` per section; ``table_rows`` are
        ``(quantity, value, meaning)``.
    pngs : mapping
        Figure name -> PNG bytes.
    meta : mapping
        Shown at the bottom (versions, seeds, timings).

    Returns
    -------
    Path
        The written file.
    """
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1><p>{intro}</p>",
    ]
    for heading, text, rows, figs in sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        if text:
            parts.append(f"<p>{text}</p>")
        if rows:
            parts.append(_table(rows))
        for name in figs:
            if name in pngs:
                b64 = base64.b64encode(pngs[name]).decode()
                parts.append(f"<img alt='{html.escape(name)}' src='data:image/png;base64,{b64}'>")
    meta_html = "<br>".join(f"{html.escape(k)}: {html.escape(str(v))}" for k, v in meta.items())
    parts.append(f"<h2>Provenance</h2><p class='meta'>{meta_html}</p></body></html>")
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:6]}")
    tmp.write_text("".join(parts), encoding="utf-8")
    os.replace(tmp, path)
    return path
