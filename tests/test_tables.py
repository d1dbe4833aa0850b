"""The one table renderer: aligned text, Markdown, HTML, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import math

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.analysis.tables import (
    clean,
    csv_text,
    html_table,
    json_text,
    markdown_table,
    table_to_csv,
    text_table,
)

HEAD = ["name", "n", "value"]
ROWS = [["alpha", "3", "1.5"], ["b", "12", "-0.25"]]

cell = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12)


def test_text_table_aligns_columns_under_a_rule() -> None:
    assert text_table(HEAD, ROWS, "lrr") == (
        "name    n  value\n-----  --  -----\nalpha   3    1.5\nb      12  -0.25\n"
    )
    assert text_table(HEAD, ROWS).splitlines()[2] == "alpha  3   1.5"  # all left by default


def test_text_table_of_no_rows_is_the_header_and_rule() -> None:
    assert text_table(["a", "bb"], []) == "a  bb\n-  --\n"


@given(st.lists(st.lists(cell, min_size=3, max_size=3), max_size=6))
def test_text_table_columns_line_up(rows: list[list[str]]) -> None:
    rows = [[c.strip() or "x" for c in r] for r in rows]
    lines = text_table(HEAD, rows, "lrl").splitlines()
    assert len(lines) == len(rows) + 2
    rule = lines[1].split("  ")
    widths = [len(w) for w in rule]
    assert widths == [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(HEAD)]
    for line, row in zip(lines[2:], rows, strict=True):
        # The right-aligned column ends where its rule ends.
        end = widths[0] + 2 + widths[1]
        assert line[:end].endswith(row[1])


def test_markdown_table_escapes_pipes_and_aligns_numbers() -> None:
    text = markdown_table(["a", "b"], [["x|y", "1"], ["two\nlines", "2"]], "lr")
    assert text == "| a | b |\n|---|---:|\n| x\\|y | 1 |\n| two lines | 2 |\n"


def test_alignment_must_name_every_column() -> None:
    with pytest.raises(ValueError, match="align"):
        text_table(HEAD, ROWS, "lr")
    with pytest.raises(ValueError, match="align"):
        markdown_table(HEAD, ROWS, "lrx")


def test_html_table_escapes_cells_and_marks_numbers_and_rows() -> None:
    html = html_table(["a<b", "n"], [["<i>", 1], ["c", 2]], num_from=1, row_classes=["sig", ""])
    assert html == (
        "<table><thead><tr><th>a&lt;b</th><th>n</th></tr></thead><tbody>"
        '<tr class="sig"><td>&lt;i&gt;</td><td class="num">1</td></tr>'
        '<tr><td>c</td><td class="num">2</td></tr></tbody></table>'
    )


def test_csv_keeps_full_precision_and_leaves_undefined_cells_empty() -> None:
    text = csv_text(["x", "y", "z"], [[0.1 + 0.2, math.nan, None], [True, math.inf, "a,b"]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["x", "y", "z"], [repr(0.1 + 0.2), "", ""], ["True", "", "a,b"]]
    table = pa.table({"x": [1.5, math.nan], "s": ["a", None]})
    assert table_to_csv(table) == "x,s\n1.5,a\n,\n"


def test_json_writes_undefined_numbers_as_null_at_any_depth() -> None:
    doc = {"a": math.nan, "b": [1.0, {"c": -math.inf}], "d": (2, math.nan)}
    assert clean(doc) == {"a": None, "b": [1.0, {"c": None}], "d": [2, None]}
    assert json.loads(json_text(doc)) == clean(doc)
    assert json_text({"a": 1}, None) == '{"a": 1}\n'
    assert json_text({"a": 1}) == '{\n  "a": 1\n}\n'
