"""The relevance model: what it learns from, how it follows marks, why it ranks."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from digest_tui.library import Library
from digest_tui.query import WatchList
from digest_tui.state import StateStore

np = pytest.importorskip("numpy")

from digest_tui.features import features_path_for, featurize, words  # noqa: E402
from digest_tui.ranking import Ranker  # noqa: E402

COMMON = (
    "image network deep learning model method results dataset training performance"
    " approach propose evaluate accuracy feature representation experiments task"
    " framework benchmark state art improve show novel achieve"
).split()
FIELDS = {
    "robots": "robot grasping manipulation lidar odometry navigation planning arm".split(),
    "medical": "mri tumor segmentation lesion clinical patient radiology scan".split(),
    "faces": "face identity expression recognition attribute landmark portrait".split(),
}
AUTHORS = {
    "robots": ["Ada Lovelace", "Rob Otto"],
    "medical": ["Mary Curie", "Greg House"],
    "faces": ["Fay Smith", "Ian Jones"],
}


def make_corpus(root: Path, days: int = 12, per_day: int = 24, seed: int = 1) -> dict[str, str]:
    """Digest files with three planted fields; returns arXiv id -> field."""
    rng = random.Random(seed)
    field_of: dict[str, str] = {}
    names = sorted(FIELDS)
    start = date(2021, 3, 1)
    for d in range(days):
        day = start + timedelta(days=d)
        lines = [f"# Arxiv Papers in cs.CV on {day.isoformat()}"]
        for k in range(per_day):
            field = names[(k + d) % len(names)]
            pid = f"2103.{d * 100 + k + 10000:05d}"
            field_of[pid] = field
            vocab = FIELDS[field]
            title = " ".join(rng.choice(vocab + COMMON[:5]) for _ in range(5)).capitalize()
            abstract = " ".join(
                rng.choice(vocab) if rng.random() < 0.25 else rng.choice(COMMON) for _ in range(60)
            )
            authors = [rng.choice(AUTHORS[field]), f"Common Person{rng.randrange(30)}"]
            lines += [
                f"### {title}",
                f"- **Arxiv ID**: http://arxiv.org/abs/{pid}v1",
                "- **DOI**: None",
                "- **Categories**: **cs.CV**",
                f"- **Links**: [PDF](http://arxiv.org/pdf/{pid}v1)",
                f"- **Published**: {day.isoformat()} 01:00:00+00:00",
                f"- **Updated**: {day.isoformat()} 01:00:00+00:00",
                f"- **Authors**: {', '.join(authors)}",
                "- **Comment**: None",
                "- **Journal**: None",
                f"- **Summary**: {abstract}.",
                "",
            ]
        folder = root / f"{day.month:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{day.strftime('%Y%m%d')}.md").write_text("\n".join(lines) + "\n")
    return field_of


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    field_of = make_corpus(tmp_path / "digests")
    state = StateStore(tmp_path / "data")
    lib = Library(tmp_path / "cache" / "index.sqlite3", [tmp_path / "digests"], state_db=state.path)
    lib.scan()
    result = lib.search("")
    rows = lib.rows(result.pids)
    ids = [rows[p].id for p in result.pids]  # digest order: newest first
    dates = {rows[p].id: rows[p].date for p in result.pids}
    last_days = sorted(set(dates.values()))[-3:]
    today = [i for i in ids if dates[i] in last_days]
    past = [i for i in ids if dates[i] not in last_days]
    yield lib, state, field_of, today, past
    lib.close()
    state.close()


def _mark(state: StateStore, past: list[str], starred: list[str]) -> None:
    state.set_read_many(past)
    for i in starred:
        state.set_starred(i, True)


def _average_precision(order: list[str], relevant: set[str]) -> float:
    hits, total = 0, 0.0
    for k, i in enumerate(order, 1):
        if i in relevant:
            hits += 1
            total += hits / k
    return total / len(relevant)


def test_a_planted_field_ranks_above_the_rest(world) -> None:  # type: ignore[no-untyped-def]
    lib, state, field_of, today, past = world
    robots = [i for i in past if field_of[i] == "robots"]
    _mark(state, past, robots[:12])
    with Ranker(lib, state) as ranker:
        ranker.refresh()
        order = ranker.order(today)
        relevant = {i for i in today if field_of[i] == "robots"}
        assert sorted(order) == sorted(today)
        assert _average_precision(order, relevant) > 0.9
        assert all(field_of[i] == "robots" for i in order[: len(relevant) // 2])
        scores = ranker.scores(today)
        assert (
            min(scores[i] for i in relevant)
            > max(scores[i] for i in today if i not in relevant) - 1.0
        )


def test_new_marks_change_the_order_without_a_restart(world) -> None:  # type: ignore[no-untyped-def]
    lib, state, field_of, today, past = world
    robots = [i for i in past if field_of[i] == "robots"]
    medical = [i for i in past if field_of[i] == "medical"]
    _mark(state, past, robots[:10])
    with Ranker(lib, state) as ranker:
        ranker.refresh()
        before = ranker.order(today)
        assert field_of[before[0]] == "robots"
        for i in robots[:10]:
            state.set_starred(i, False)
        for i in medical[:10]:
            state.set_starred(i, True)
        assert ranker.refresh() is True
        after = ranker.order(today)
        assert field_of[after[0]] == "medical"
        top = after[: len(today) // 3]
        assert sum(field_of[i] == "medical" for i in top) >= 0.8 * len(top)
        assert ranker.refresh() is False  # nothing changed: nothing retrained


def test_tags_and_notes_count_as_liking(world) -> None:  # type: ignore[no-untyped-def]
    lib, state, field_of, today, past = world
    faces = [i for i in past if field_of[i] == "faces"]
    state.set_read_many(past)
    for i in faces[:5]:
        state.add_tag(i, "to-read")
    for i in faces[5:10]:
        state.set_note(i, "good one")
    with Ranker(lib, state) as ranker:
        order = ranker.order(today)
    assert all(field_of[i] == "faces" for i in order[:5])


def test_the_why_line_names_real_words_and_authors_of_the_paper(world) -> None:  # type: ignore[no-untyped-def]
    lib, state, field_of, today, past = world
    robots = [i for i in past if field_of[i] == "robots"]
    _mark(state, past, robots[:12])
    with Ranker(lib, state) as ranker:
        best = ranker.order(today)[0]
        why = ranker.explain(best)
    assert why is not None
    paper = lib.paper(lib.pid_of(best) or -1)
    assert paper is not None
    text = f"{paper.title} {paper.abstract}"
    surfaces = {s for _t, s in words(text)}
    assert why.words
    for shown in why.words:
        assert all(w in surfaces for w in shown.split()), shown
    assert set(why.authors) <= set(paper.authors)
    assert why.nearest_starred in robots[:12]
    line = why.one_line()
    assert line.startswith("why: ") and "\n" not in line
    assert why.words[0] in line and why.nearest_starred in line


def test_the_watch_list_orders_the_day_before_any_mark(world) -> None:  # type: ignore[no-untyped-def]
    lib, state, field_of, today, _past = world
    with Ranker(lib, state, watch=WatchList(keywords=("lidar",))) as ranker:
        order = ranker.order(today)
        papers = {p.id: p for p in lib.papers([lib.pid_of(i) or -1 for i in today])}
        lidar = [i for i in today if "lidar" in f"{papers[i].title} {papers[i].abstract}".lower()]
        assert lidar and set(order[: len(lidar)]) == set(lidar)
        assert ranker.explain(order[0]).basis == "watch list"  # type: ignore[union-attr]
    with Ranker(lib, state) as ranker:
        # No marks, no watch list: every score ties and the digest order stays.
        assert ranker.order(today) == today
        assert "no stars" in ranker.explain(today[0]).one_line()  # type: ignore[union-attr]


def test_order_takes_pids_too(world) -> None:  # type: ignore[no-untyped-def]
    lib, state, field_of, today, past = world
    robots = [i for i in past if field_of[i] == "robots"]
    _mark(state, past, robots[:12])
    pids = [lib.pid_of(i) for i in today]
    with Ranker(lib, state) as ranker:
        by_id = ranker.order(today)
        by_pid = ranker.order(pids)
    assert [lib.pid_of(i) for i in by_id] == by_pid


def test_similar_papers_share_the_field(world) -> None:  # type: ignore[no-untyped-def]
    lib, state, field_of, today, _past = world
    with Ranker(lib, state) as ranker:
        for q in today[:6]:
            near = ranker.similar(q, 5)
            assert len(near) == 5 and q not in {i for i, _ in near}
            assert sum(field_of[i] == field_of[q] for i, _ in near) >= 4
            sims = [s for _, s in near]
            assert sims == sorted(sims, reverse=True) and 0 < sims[0] <= 1.0001
        assert ranker.similar("2999.99999", 5) == []


def test_features_are_a_rebuildable_cache_keyed_by_arxiv_id(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lib, state, field_of, today, past = world
    robots = [i for i in past if field_of[i] == "robots"]
    _mark(state, past, robots[:12])
    path = features_path_for(lib.path)
    with Ranker(lib, state) as ranker:
        first = ranker.scores(today)
    assert path.exists() and path.parent == lib.path.parent
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    with Ranker(lib, state) as ranker:
        again = ranker.scores(today)
    assert again == pytest.approx(first, rel=1e-4)
    # A rescan that renumbers pids changes nothing: bags are keyed by id.
    with Ranker(lib, state) as ranker:
        ranker.refresh()
        assert ranker.store.n_docs == len(field_of)


def test_new_digests_are_featurized_on_refresh(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lib, state, _field_of, _today, _past = world
    with Ranker(lib, state) as ranker:
        ranker.refresh()
        n = ranker.store.n_docs
        make_corpus(tmp_path / "digests", days=13, seed=1)  # one more day
        lib.scan()
        ranker.refresh()
        assert ranker.store.n_docs == n + 24


def test_featurize_counts_title_words_twice_and_keeps_authors() -> None:
    hashes, counts = featurize("Lidar odometry", "We study lidar.", ["H. R. Tizhoosh"])
    assert len(hashes) // 4 == len(counts)
    from digest_tui.features import author_term, bucket

    h = list(np.frombuffer(hashes, dtype=np.uint32))
    c = list(np.frombuffer(counts, dtype=np.uint8))
    assert c[h.index(bucket("lidar"))] == 3
    assert bucket(author_term("Hamid Tizhoosh") or "") in h


def test_start_up_imports_neither_numpy_nor_the_ranking() -> None:
    code = (
        "import sys\n"
        "import digest_tui.cli, digest_tui.library, digest_tui.state, digest_tui.config\n"
        "import digest_tui.session, digest_tui.tui.app\n"
        "bad = sorted(m for m in sys.modules"
        " if m.split('.')[0] == 'numpy' or m in ('digest_tui.ranking', 'digest_tui.features'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""


def test_a_new_process_reuses_the_trained_model_from_the_cache(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    lib, state, field_of, today, past = world
    robots = [i for i in past if field_of[i] == "robots"]
    _mark(state, past, robots[:12])
    with Ranker(lib, state) as ranker:
        first = ranker.scores(today)
        saved = ranker.model_path
    assert saved.exists()
    import digest_tui.ranking as ranking

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("trained again")

    monkeypatch.setattr(ranking, "train", no_training)
    with Ranker(lib, state) as ranker:
        assert ranker.scores(today) == pytest.approx(first, rel=1e-5)
        assert ranker.explain(today[0]) is not None
        state.set_starred(today[0], True)  # a new mark: the saved model is stale
        with pytest.raises(AssertionError, match="trained again"):
            ranker.refresh()


def test_similar_with_each_paper_cut_to_its_top_terms_is_the_exact_cosine(world) -> None:  # type: ignore[no-untyped-def]
    lib, state, field_of, today, past = world
    from digest_tui.features import DIM
    from digest_tui.ranking import Settings, tfidf

    with Ranker(lib, state, settings=Settings(similar_terms=16, similar_candidates=40)) as ranker:
        ranker.sync_features()
        ids = sorted(field_of)
        bags = ranker.store.bags(ids)
        full = tfidf([bags[i] for i in ids], ranker.idf())
        _, _, cut = ranker._corpus_matrix()
        assert int(np.diff(cut.indptr).max()) == 16  # the in-memory matrix is small
        for q in today[:5]:
            k = ids.index(q)
            vec = np.zeros(DIM, dtype=np.float32)
            lo, hi = full.indptr[k], full.indptr[k + 1]
            vec[full.indices[lo:hi]] = full.data[lo:hi]
            exact = full.dot_dense(vec)
            exact[k] = -1
            best = sorted(range(len(ids)), key=lambda j: (-exact[j], ids[j]))[:10]
            near = ranker.similar(q, 10)
            # The cosines are exact; the candidates found by the cut vectors
            # are nearly all of the exact ten.
            assert [s for i, s in near] == pytest.approx([exact[ids.index(i)] for i, _ in near])
            assert len({i for i, _ in near} & {ids[j] for j in best}) >= 8


def test_a_new_process_over_an_unchanged_index_compares_no_paper_list(world) -> None:  # type: ignore[no-untyped-def]
    lib, state, field_of, today, past = world
    with Ranker(lib, state) as ranker:
        assert ranker.sync_features() == len(field_of)
    with Ranker(lib, state) as ranker:

        def no_list() -> dict[str, int]:
            raise AssertionError("read every stored version")

        ranker.store.versions = no_list  # type: ignore[method-assign]
        assert ranker.sync_features() == 0
    # A changed index is looked at again: a paper in a new version is featurized.
    source = next(p for p in lib.roots[0].rglob("*.md") if f"{today[0]}v1" in p.read_text())
    newer = lib.roots[0] / "later" / "20210401.md"
    newer.parent.mkdir()
    newer.write_text(
        source.read_text().replace(f"{today[0]}v1", f"{today[0]}v2").replace("-03-", "-04-")
    )
    lib.scan()
    with Ranker(lib, state) as ranker:
        assert ranker.sync_features() >= 1
        assert ranker.store.versions()[today[0]] == 2
