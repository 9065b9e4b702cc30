"""`list --sort relevance` and `similar` through the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .test_ranking import make_corpus

pytest.importorskip("numpy")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "digest_tui", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, list[str], dict[str, str]]:
    field_of = make_corpus(tmp_path / "digests", days=8, per_day=15)
    dirs = ["--data-dir", str(tmp_path / "d"), "--cache-dir", str(tmp_path / "c")]
    return tmp_path / "digests", dirs, field_of


def test_list_sort_relevance_puts_what_you_star_first(corpus) -> None:  # type: ignore[no-untyped-def]
    digests, dirs, field_of = corpus
    plain = run("list", str(digests), "-f", "ids", *dirs)
    assert plain.returncode == 0, plain.stderr
    ids = plain.stdout.split()
    # No marks yet: relevance ties everywhere, so the digest order stays.
    same = run("list", str(digests), "-f", "ids", "--sort", "relevance", *dirs)
    assert same.returncode == 0, same.stderr
    assert same.stdout.split() == ids
    old = ids[len(ids) // 2 :]
    faces = [i for i in old if field_of[i] == "faces"][:8]
    assert run("mark", "--read", *old, *dirs).returncode == 0
    assert run("mark", "--star", *faces, *dirs).returncode == 0
    ranked = run("list", str(digests), "-f", "ids", "--sort", "relevance", *dirs)
    assert ranked.returncode == 0, ranked.stderr
    order = ranked.stdout.split()
    assert sorted(order) == sorted(ids)
    new_faces = [i for i in ids[: len(ids) // 2] if field_of[i] == "faces"]
    top = order[: len(faces) + len(new_faces)]
    assert sum(field_of[i] == "faces" for i in top) >= 0.9 * len(top)
    # The limit applies after ranking, with the query.
    top3 = run(
        "list", str(digests), "-f", "tsv", "-s", "relevance", "-n", "3", "-q", "is:unread", *dirs
    )
    assert top3.returncode == 0, top3.stderr
    rows = [line.split("\t") for line in top3.stdout.splitlines()]
    assert len(rows) == 3 and all(r[2] == "-u" for r in rows)
    assert all(field_of[r[0]] == "faces" for r in rows)


def test_list_sort_takes_the_index_sorts_too(corpus) -> None:  # type: ignore[no-untyped-def]
    digests, dirs, _field_of = corpus
    proc = run("list", str(digests), "-f", "tsv", "--sort", "title", *dirs)
    assert proc.returncode == 0, proc.stderr
    titles = [line.split("\t")[3] for line in proc.stdout.splitlines()]
    assert titles == sorted(titles, key=str.lower)
    bad = run("list", str(digests), "--sort", "stars", *dirs)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_similar_lists_the_nearest_papers(corpus) -> None:  # type: ignore[no-untyped-def]
    digests, dirs, field_of = corpus
    first = sorted(field_of)[0]
    proc = run("similar", first, str(digests), "--limit", "5", "--format", "ids", *dirs)
    assert proc.returncode == 0, proc.stderr
    near = proc.stdout.split()
    assert len(near) == 5 and first not in near
    assert sum(field_of[i] == field_of[first] for i in near) >= 4
    tsv = run("similar", f"arXiv:{first}v1", str(digests), "-n", "3", *dirs)
    assert tsv.returncode == 0, tsv.stderr
    rows = [line.split("\t") for line in tsv.stdout.splitlines()]
    assert [r[0] for r in rows] == near[:3]
    sims = [float(r[-1]) for r in rows]
    assert sims == sorted(sims, reverse=True) and 0 < sims[-1] <= 1.0
    jsonl = run("similar", first, str(digests), "-n", "2", "-f", "jsonl", *dirs)
    records = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [r["id"] for r in records] == near[:2]
    assert all(0 < r["similarity"] <= 1 for r in records)


def test_similar_errors_are_one_line(corpus) -> None:  # type: ignore[no-untyped-def]
    digests, dirs, _field_of = corpus
    missing = run("similar", "2101.00001", str(digests), *dirs)
    assert missing.returncode == 1
    assert missing.stderr.strip() == "digest-tui: 2101.00001 is not in these digests"
    bad = run("similar", "not-an-id", str(digests), *dirs)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    neg = run("similar", "2103.10000", str(digests), "-n", "-1", *dirs)
    assert neg.returncode == 2 and "--limit" in neg.stderr
    helped = run("similar", "--help")
    assert helped.returncode == 0 and "most like one paper" in helped.stdout
    assert "similar" in run("--help").stdout
