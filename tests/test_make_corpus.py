"""Tests for the benchmark corpus generator (benchmarks/make_corpus.py)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from .conftest import load_make_corpus

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "tests" / "fixtures" / "seeds"


mc = load_make_corpus()

N = 1000
START = date(2014, 12, 26)  # crosses into 2015: 4-digit then 5-digit ids

DAILY_HEAD = re.compile(r"# ArXiv cs\.CV --(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) (\w{3}) (\d{4})")
FIELDS_HEAD = re.compile(r"# Arxiv Papers in cs\.CV on (\d{4}-\d\d-\d\d)")
DAILY_ENTRY = re.compile(
    r"### (\d+)\.(\S[^\n]*\S)  \[ :arrow_down: \]\(https://arxiv\.org/pdf/(\d{4}\.\d{4,5})\.pdf\)\n"
    r">  (\S[^\n]*\S)      \n"
)
FIELDS_ENTRY = re.compile(
    r"### (\S[^\n]*\S)\n"
    r"- \*\*Arxiv ID\*\*: http://arxiv\.org/abs/(\d{4}\.\d{4,5})v(\d)\n"
    r"- \*\*DOI\*\*: (None|10\.\S+)\n"
    r"- \*\*Categories\*\*: \*\*([\w.-]+)\*\*((?:, [\w.-]+){0,3})\n"
    r"- \*\*Links\*\*: \[PDF\]\(http://arxiv\.org/pdf/\2v\3\)\n"
    r"- \*\*Published\*\*: (\d{4}-\d\d-\d\d) \d\d:\d\d:\d\d\+00:00\n"
    r"- \*\*Updated\*\*: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00\n"
    r"- \*\*Authors\*\*: ([^\n]+)\n"
    r"- \*\*Comment\*\*: ([^\n]+(?:\n  [^\n]+)*)\n"
    r"- \*\*Journal\*\*: ([^\n]+(?:\n  [^\n]+)*)\n"
    r"- \*\*Summary\*\*: (\S[^\n]*\S)\n\n\n\n"
)
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _parse(path: Path) -> tuple[str, str, list[dict]]:
    """(format, iso date, entries) of one generated digest; asserts the exact layout."""
    text = path.read_text(encoding="utf-8")
    head, _, body = text.partition("\n")
    entries = []
    if m := DAILY_HEAD.fullmatch(head):
        fmt = "daily"
        d = date(int(m[4]), MONTHS.index(m[3]) + 1, int(m[2]))
        assert m[1] == d.strftime("%a")
        pos = 0
        for e in DAILY_ENTRY.finditer(body):
            assert e.start() == pos, f"{path}: unexpected text at {pos}"
            pos = e.end()
            entries.append({"n": int(e[1]), "title": e[2], "id": e[3], "abstract": e[4]})
        assert pos == len(body), f"{path}: trailing text"
        assert [x["n"] for x in entries] == list(range(1, len(entries) + 1))
    elif m := FIELDS_HEAD.fullmatch(head):
        fmt = "fields"
        d = date.fromisoformat(m[1])
        pos = 0
        for e in FIELDS_ENTRY.finditer(body):
            assert e.start() == pos, f"{path}: unexpected text at {pos}"
            pos = e.end()
            assert e[7] == d.isoformat()
            others = e[6].split(", ")[1:] if e[6] else []
            assert others == sorted(others) and e[5] not in others
            entries.append(
                {
                    "title": e[1],
                    "id": e[2],
                    "categories": [e[5], *others],
                    "authors": e[8].split(", "),
                    "comment": e[9],
                    "journal": e[10],
                    "doi": e[4],
                    "abstract": e[11],
                }
            )
        assert pos == len(body), f"{path}: trailing text"
    else:
        raise AssertionError(f"{path}: unknown header {head!r}")
    return fmt, d.isoformat(), entries


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus")
    summary = mc.make_corpus(N, out, seed=7, start=START)
    return out, summary


def _digests(out: Path) -> list[Path]:
    return sorted(out.rglob("*.md"))


def test_summary_and_file_structure(corpus):
    out, summary = corpus
    files = _digests(out)
    assert json.loads((out / "corpus.json").read_text()) == summary
    assert summary["N"] == N
    assert summary["files"] == len(files) > 0
    assert summary["bytes"] == sum(f.stat().st_size for f in files)
    assert summary["first_date"] == START.isoformat()
    for f in files:
        rel = f.relative_to(out).parts
        assert len(rel) == 3
        day = date.fromisoformat(f.stem)
        assert rel[:2] == (f"{day.year:04d}", f"{day.month:02d}") and f.suffix == ".md"
        fmt, iso, entries = _parse(f)
        assert iso == f.stem
    # consecutive days (skipped days leave no file); days counts calendar days
    first, last = date.fromisoformat(files[0].stem), date.fromisoformat(files[-1].stem)
    assert summary["days"] == (last - first).days + 1


def test_headings_ids_and_formats(corpus):
    out, summary = corpus
    headings = 0
    ids: list[str] = []
    formats: dict[str, int] = {}
    per_day = []
    for f in _digests(out):
        text = f.read_text(encoding="utf-8")
        headings += sum(1 for line in text.splitlines() if line.startswith("### "))
        fmt, iso, entries = _parse(f)
        formats[fmt] = formats.get(fmt, 0) + len(entries)
        per_day.append(len(entries))
        day = date.fromisoformat(iso)
        day_ids = [e["id"] for e in entries]
        if fmt == "daily":  # listed newest first, like the seeds
            day_ids.reverse()
        assert day_ids == sorted(day_ids)
        for pid in day_ids:
            yymm, num = pid.split(".")
            assert yymm == f"{day.year % 100:02d}{day.month:02d}"
            assert len(num) == (4 if day.year < 2015 else 5)
        ids.extend(day_ids)
    assert headings == N
    assert sum(per_day) == N
    assert len(set(ids)) == N
    assert ids == sorted(ids, key=lambda s: (s[:4], int(s[5:])))  # increasing over time
    assert {len(i) for i in ids} == {9, 10}  # 2014 and 2015 ids
    assert set(formats) == {"daily", "fields"}
    assert formats == summary["papers_per_format"]
    assert max(per_day) <= 260


def test_field_distributions(corpus):
    out, _ = corpus
    entries = [e for f in _digests(out) for e in _parse(f)[2]]
    fields = [e for e in entries if "authors" in e]
    for e in entries:
        assert 40 <= len(e["title"]) <= 160
        assert 400 <= len(e["abstract"]) <= 2500
    mean = sum(len(e["abstract"]) for e in entries) / len(entries)
    assert 1000 < mean < 1400
    for e in fields:
        assert 1 <= len(e["authors"]) <= 15
        assert 1 <= len(e["categories"]) <= 4 and "cs.CV" in e["categories"]
        for value in (e["comment"], e["journal"]):
            assert all(len(line) < 80 for line in value.split("\n"))
    share = sum(e["comment"] != "None" for e in fields) / len(fields)
    assert 0.3 < share < 0.5
    assert any("\n  " in e["comment"] for e in fields)
    assert any(e["doi"] != "None" for e in fields)
    assert any(e["journal"] != "None" for e in fields)


def test_suggested_words_counts_are_exact(corpus):
    out, summary = corpus
    common, rare = summary["common_word"], summary["rare_word"]
    texts = []
    for f in _digests(out):
        text = f.read_text(encoding="utf-8")
        parts = re.split(r"^(?=### )", text, flags=re.M)
        texts += [p.lower() for p in parts if p.startswith("### ")]
    assert len(texts) == N
    assert summary["common_word_papers"] == sum(common in t for t in texts) > N // 3
    assert summary["rare_word_papers"] == sum(rare in t for t in texts)
    assert 1 <= summary["rare_word_papers"] < N // 50


def test_vocabulary_is_clean():
    tokens = {w.lower().rstrip(",") for w in mc.WORDS}
    for rare in mc.RARE_WORDS:
        assert not any(rare in t for t in tokens)
        assert sum(rare in r for r in mc.RARE_WORDS) == 1
    common = mc._common_word_candidates()
    assert common and all(c in tokens for c in common)


def test_deterministic(tmp_path, corpus):
    out, summary = corpus
    again = mc.make_corpus(N, tmp_path / "a", seed=7, start=START)
    assert again == summary
    for f in _digests(out):
        assert (tmp_path / "a" / f.relative_to(out)).read_bytes() == f.read_bytes()
    other = mc.make_corpus(N, tmp_path / "b", seed=8, start=START)
    first = _digests(tmp_path / "b")[0]
    assert first.read_bytes() != (out / first.relative_to(tmp_path / "b")).read_bytes()
    assert other["N"] == N


@pytest.mark.parametrize("fmt", ["daily", "fields"])
def test_single_format(tmp_path, fmt):
    summary = mc.make_corpus(300, tmp_path, seed=1, fmt=fmt)
    assert summary["papers_per_format"][fmt] == 300
    assert {_parse(f)[0] for f in _digests(tmp_path)} == {fmt}


def test_layout_matches_seeds():
    """Every line kind the generator writes also occurs in the real seed files."""

    def kinds(text: str) -> set[str]:
        out = set()
        for line in text.split("\n"):
            m = re.match(r"(### \d+\.|### |- \*\*\w+(?: \w+)?\*\*: |>  |# \w+ \w+|  |)", line)
            kind = m[1] if m else line
            if line.endswith("      "):
                kind += "<6 spaces>"
            out.add(kind)
        return out

    seed_kinds = set()
    for f in SEEDS.glob("*.txt"):
        seed_kinds |= kinds(f.read_text(encoding="utf-8"))
    gen = mc._Generator(3)
    ids = [f"2011.{i:05d}" for i in range(1, 40)]
    for fmt in mc.FORMATS:
        text, entries = gen.day(date(2020, 11, 22), len(ids), fmt, ids)
        assert kinds(text) <= seed_kinds
        assert text.endswith("\n")
