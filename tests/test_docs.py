"""The README and docs/: the map lists every page, cited files exist, no commit hashes in prose."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
README = ROOT / "README.md"
CITED = re.compile(r"`?(docs/[\w./-]+\.(?:md|png))`?")


def _map(readme: str) -> list[str]:
    """The files named in the first column of the README's documentation table."""
    section = readme.split("## Documentation", 1)[1]
    return re.findall(r"^\| `(docs/[\w.-]+)` \|", section, flags=re.MULTILINE)


def test_the_readme_maps_every_page_of_docs_once() -> None:
    mapped = _map(README.read_text())
    assert sorted(mapped) == [f"docs/{p.name}" for p in PAGES]
    assert len(mapped) == len(set(mapped))


def test_the_readme_stays_short() -> None:
    assert len(README.read_text().splitlines()) <= 150


def test_every_cited_docs_file_exists() -> None:
    for page in [README, *PAGES]:
        for cited in CITED.findall(page.read_text()):
            assert (ROOT / cited).exists(), f"{page.name} cites {cited}, which does not exist"


def test_no_page_cites_the_evidence_file_outside_the_repository() -> None:
    for page in [README, *PAGES]:
        assert "shared/reference" not in page.read_text(), page.name


def test_no_commit_hashes_in_prose() -> None:
    commit = re.compile(r"\b(?:commit|at) [0-9a-f]{7,40}\b")
    for page in [README, *PAGES]:
        assert not commit.findall(page.read_text()), page.name
