"""The one table renderer: rows of text cells as aligned text, Markdown or HTML; tables as CSV;
documents as JSON.

Every command that prints a table (``compare``, ``targets``, ``sensitivity``, ``params``,
``robustness``) and the HTML report render through these functions, so a table looks the same
wherever it appears. Cells are given as text (each caller formats its own numbers); ``align`` is
one letter per column, ``l`` (left, the default) or ``r`` (right, for numbers).
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa

__all__ = [
    "clean",
    "csv_text",
    "html_table",
    "json_text",
    "markdown_table",
    "table_to_csv",
    "text_table",
]


def _alignment(align: str | None, columns: int) -> str:
    if align is None:
        return "l" * columns
    if len(align) != columns or set(align) - {"l", "r"}:
        raise ValueError(f"align {align!r}: expected one of 'l' or 'r' for each of {columns}")
    return align


def text_table(
    head: Sequence[str], rows: Iterable[Sequence[object]], align: str | None = None
) -> str:
    """An aligned plain-text table with a rule under the header, two spaces between columns.

    Args:
        head: Column names.
        rows: Rows of cells (shown with ``str``).
        align: ``l`` or ``r`` per column (default all left); trailing spaces are stripped.

    Returns:
        The lines, each ending in a newline.
    """
    body = [[str(c) for c in r] for r in rows]
    head = [str(h) for h in head]
    sides = _alignment(align, len(head))
    widths = [max([len(h), *(len(r[i]) for r in body)]) for i, h in enumerate(head)]

    def line(cells: Sequence[str]) -> str:
        parts = zip(cells, widths, sides, strict=True)
        return "  ".join(c.rjust(w) if side == "r" else c.ljust(w) for c, w, side in parts).rstrip()

    rule = ["-" * w for w in widths]
    return "\n".join([line(head), line(rule), *(line(r) for r in body)]) + "\n"


def _md(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table(
    head: Sequence[str], rows: Iterable[Sequence[object]], align: str | None = None
) -> str:
    """A GitHub-flavoured Markdown table ("|" in cells escaped, newlines as spaces).

    Args:
        head: Column names.
        rows: Rows of cells.
        align: ``l`` or ``r`` per column (default all left).
    """
    sides = _alignment(align, len(head))
    rule = "|" + "|".join("---:" if side == "r" else "---" for side in sides) + "|"
    lines = ["| " + " | ".join(map(_md, head)) + " |", rule]
    lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def html_table(
    head: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    num_from: int | None = None,
    row_classes: Sequence[str] | None = None,
) -> str:
    """An HTML ``<table>`` (cells escaped).

    Args:
        head: Column names.
        rows: Rows of cells.
        num_from: Cells from this column on get ``class="num"`` (right-aligned numbers).
        row_classes: A CSS class (or ``""``) per row.
    """

    def cell(i: int, c: object) -> str:
        num = num_from is not None and i >= num_from
        return f'<td class="num">{_e(c)}</td>' if num else f"<td>{_e(c)}</td>"

    header = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = []
    for k, row in enumerate(rows):
        cells = "".join(cell(i, c) for i, c in enumerate(row))
        css = row_classes[k] if row_classes is not None else ""
        body.append(f'<tr class="{css}">{cells}</tr>' if css else f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _e(x: object) -> str:
    return html.escape(str(x), quote=True)


def clean(x: Any) -> Any:
    """``x`` with every non-finite float (in lists, tuples and dicts too) replaced by None."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [clean(v) for v in x]
    return x


def json_text(doc: Any, indent: int | None = 2) -> str:
    """``doc`` as JSON (undefined numbers as null), ending in a newline."""
    return json.dumps(clean(doc), indent=indent) + "\n"


def csv_text(columns: Sequence[str], rows: Iterable[Iterable[object]]) -> str:
    """CSV text: a header row, then the rows at full precision, empty cells for NaN/None."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow(["" if clean(v) is None else v for v in r])
    return buf.getvalue()


def table_to_csv(table: pa.Table) -> str:
    """An Arrow table as :func:`csv_text`."""
    return csv_text(table.column_names, (r.values() for r in table.to_pylist()))
