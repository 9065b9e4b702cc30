#!/usr/bin/env python3
"""How good is the relevance ranking?  An offline protocol on real digests.

Usage::

    python benchmarks/ranking.py CORPUS [--work DIR] [--stars 150] [--test-days 10]
                                        [--fields cs.RO,cs.GR,...] [--seed 0]
                                        [--similar-queries 200] [--markdown FILE]

CORPUS is a folder of real digests that list each paper's categories (e.g. a
year of a cs.CV digest repository).  Each simulated reader follows one
neighbouring field, known only by a cross-listed category.  The corpus is
copied with every category line reduced to ``**cs.CV**``, so no model can read
the label.  The reader stars up to ``--stars`` papers of their field in the
training days (all days but the last ``--test-days``) and has read every other
paper of those days; each model then orders the held-out days' papers (one
list).  Reported per reader: mean average precision (AP) and precision@10,
against

* random order (mean of 20 shuffles) and digest order;
* arxiv-sanity-lite's ranking on the same marks: tf-idf of title + abstract +
  authors (word 1-2 grams, 20,000 features, min_df 5, max_df 0.1, sublinear tf,
  English stop words) and ``LinearSVC(C=0.01, class_weight="balanced")`` fit
  on every paper (starred = 1, the rest 0), as that tool does;
* a terminal reader's triage model: tf-idf (1-2 grams, min_df 1, 50,000
  features, sublinear tf) of title twice + authors + abstract, and
  ``LogisticRegression(class_weight="balanced", solver="liblinear")``, both fit
  on the labelled papers only.

Similar papers: for up to ``--similar-queries`` papers of each field, the share
of their ten nearest papers (whole corpus) in the same field, for
``Ranker.similar`` against the cosine of scikit-learn tf-idf vectors (English
stop words, sublinear tf) of title + abstract.

scikit-learn is needed for the baselines only (``pip install scikit-learn``);
digest-tui itself needs just numpy.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from digest_tui import parsing  # noqa: E402
from digest_tui.library import Library, walk  # noqa: E402
from digest_tui.ranking import Ranker  # noqa: E402
from digest_tui.state import StateStore  # noqa: E402

FIELDS = ("cs.RO", "cs.GR", "eess.IV", "cs.CL", "cs.CR")
_CATEGORY_LINE = re.compile(r"^(\s*-\s*\*\*Categories\*\*:).*$", re.MULTILINE)


def _sklearn() -> object:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        sys.exit(
            "benchmarks/ranking.py: scikit-learn is needed for the baselines:"
            " pip install scikit-learn (it is not a dependency of digest-tui)"
        )
    return sklearn


def labels_and_copy(corpus: Path, copy: Path) -> dict[str, set[str]]:
    """arXiv id -> categories, read from the originals; the copy says only cs.CV."""
    cats: dict[str, set[str]] = {}
    for path, _size, _mtime in walk([corpus]):
        src = Path(path)
        result = parsing.parse_file(src)
        if result.format is None:
            continue
        for p in result.papers:
            cats.setdefault(p.id, set()).update(p.categories)
        text = src.read_text(encoding="utf-8", errors="replace")
        target = copy / src.relative_to(corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_CATEGORY_LINE.sub(r"\1 **cs.CV**", text), encoding="utf-8")
    return cats


def average_precision(order: Sequence[str], relevant: set[str]) -> float:
    hits, total = 0, 0.0
    for k, i in enumerate(order, 1):
        if i in relevant:
            hits += 1
            total += hits / k
    return total / len(relevant) if relevant else 0.0


def precision_at(order: Sequence[str], relevant: set[str], k: int = 10) -> float:
    return sum(1 for i in order[:k] if i in relevant) / k


def by_score(ids: Sequence[str], scores: Sequence[float]) -> list[str]:
    """Highest score first; ties in the given (digest) order."""
    keyed = sorted(range(len(ids)), key=lambda k: (-scores[k], k))
    return [ids[k] for k in keyed]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temp dir)")
    ap.add_argument("--stars", type=int, default=150)
    ap.add_argument("--test-days", type=int, default=10)
    ap.add_argument("--fields", default=",".join(FIELDS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--similar-queries", type=int, default=200)
    ap.add_argument("--markdown", type=Path, default=None, help="also write the tables here")
    args = ap.parse_args(argv)
    _sklearn()
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    fields = [f for f in args.fields.split(",") if f]
    work = args.work or Path(tempfile.mkdtemp(prefix="rank-bench-"))
    copy = work / "corpus"
    if copy.exists():
        shutil.rmtree(copy)
    t0 = time.perf_counter()
    cats = labels_and_copy(args.corpus, copy)
    lib = Library(work / "cache" / "index.sqlite3", [copy])
    lib.scan()
    result = lib.search("")
    rows = lib.rows(result.pids)
    ids = [rows[p].id for p in result.pids]  # digest order
    date_of = {rows[p].id: rows[p].date for p in result.pids}
    days = sorted({d for d in date_of.values() if d})
    test_days = set(days[-args.test_days :])
    test = [i for i in ids if date_of[i] in test_days]
    train_ids = [i for i in ids if date_of[i] not in test_days]
    papers = {p.id: p for p in lib.papers(list(result.pids))}
    print(
        f"{len(ids)} papers, {len(days)} days; test: {len(test)} papers of the last"
        f" {len(test_days)} days ({time.perf_counter() - t0:.1f} s to copy and index)",
        file=sys.stderr,
    )

    def text_sanity(i: str) -> str:
        p = papers[i]
        return f"{p.title} {p.abstract} {', '.join(p.authors)}"

    def text_triage(i: str) -> str:
        p = papers[i]
        return f"{p.title} {p.title} {', '.join(p.authors)} {p.abstract}"

    # arxiv-sanity-lite's vectors are fit once on every paper (no labels).
    sanity_vec = TfidfVectorizer(
        input="content",
        strip_accents="unicode",
        lowercase=True,
        analyzer="word",
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2),
        max_features=20000,
        norm="l2",
        use_idf=True,
        smooth_idf=True,
        sublinear_tf=True,
        max_df=0.1,
        min_df=5,
    )
    x_all = sanity_vec.fit_transform([text_sanity(i) for i in ids])
    row_of = {i: k for k, i in enumerate(ids)}
    test_rows = [row_of[i] for i in test]

    features_path = work / "cache" / "features.sqlite3"
    t0 = time.perf_counter()
    with Ranker(lib, StateStore(work / "state-empty"), features_path=features_path) as warm:
        warm.sync_features()
    featurize_s = time.perf_counter() - t0

    rng = random.Random(args.seed)
    table: list[tuple[str, int, int, dict[str, tuple[float, float]]]] = []
    train_times: list[float] = []
    star_times: list[float] = []
    for field in fields:
        in_field = {i for i, c in cats.items() if field in c}
        candidates = [i for i in train_ids if i in in_field]
        starred = set(rng.sample(candidates, min(args.stars, len(candidates))))
        relevant = {i for i in test if i in in_field}
        res: dict[str, tuple[float, float]] = {}
        shuffles = []
        for s in range(20):
            order = list(test)
            random.Random(1000 + s).shuffle(order)
            shuffles.append((average_precision(order, relevant), precision_at(order, relevant)))
        res["random"] = (
            statistics.mean(a for a, _ in shuffles),
            statistics.mean(p for _, p in shuffles),
        )
        res["digest order"] = (average_precision(test, relevant), precision_at(test, relevant))

        # arxiv-sanity-lite: SVM over all papers, starred ones positive.
        y_all = [1 if i in starred else 0 for i in ids]
        svm = LinearSVC(C=0.01, class_weight="balanced", max_iter=10000, tol=1e-6)
        svm.fit(x_all, y_all)
        s_svm = svm.decision_function(x_all[test_rows])
        o = by_score(test, list(s_svm))
        res["arxiv-sanity-lite (tf-idf SVM)"] = (
            average_precision(o, relevant),
            precision_at(o, relevant),
        )

        # The terminal reader's triage: tf-idf + LR fit on the labelled papers.
        tri_vec = TfidfVectorizer(
            ngram_range=(1, 2), min_df=1, max_features=50000, sublinear_tf=True
        )
        x_lab = tri_vec.fit_transform([text_triage(i) for i in train_ids])
        lr = LogisticRegression(class_weight="balanced", solver="liblinear")
        lr.fit(x_lab, [1 if i in starred else 0 for i in train_ids])
        s_lr = lr.decision_function(tri_vec.transform([text_triage(i) for i in test]))
        o = by_score(test, list(s_lr))
        res["triage (tf-idf LR)"] = (average_precision(o, relevant), precision_at(o, relevant))

        # digest-tui.
        state = StateStore(work / f"state-{field}")
        state.set_read_many(train_ids)
        for i in sorted(starred):
            state.set_starred(i, True)
        with Ranker(lib, state, features_path=features_path) as ranker:
            t0 = time.perf_counter()
            ranker.refresh()
            train_times.append(time.perf_counter() - t0)
            scores = ranker.scores(test)
            o = by_score(test, [scores[i] for i in test])
            res["digest-tui"] = (average_precision(o, relevant), precision_at(o, relevant))
            # One more star, as a reader would: the retrain that follows.
            extra = next(i for i in candidates if i not in starred)
            state.set_starred(extra, True)
            t0 = time.perf_counter()
            ranker.refresh()
            star_times.append(time.perf_counter() - t0)
        state.close()
        table.append((field, len(starred), len(relevant), res))
        print(field, {k: f"{a:.3f}/{p:.2f}" for k, (a, p) in res.items()}, file=sys.stderr)

    # Similar papers.
    plain_vec = TfidfVectorizer(stop_words="english", sublinear_tf=True)
    x_plain = plain_vec.fit_transform([f"{papers[i].title} {papers[i].abstract}" for i in ids])
    sim_rows: list[tuple[str, int, float, float]] = []
    sim_times: list[float] = []
    with Ranker(lib, StateStore(work / "state-empty"), features_path=features_path) as ranker:
        ranker.similar(ids[0], 1)  # loads the corpus once
        for field in fields:
            in_field = [i for i in ids if field in cats.get(i, set())]
            queries = random.Random(args.seed + 7).sample(
                in_field, min(args.similar_queries, len(in_field))
            )
            ours, base = [], []
            for q in queries:
                t0 = time.perf_counter()
                near = ranker.similar(q, 10)
                sim_times.append(time.perf_counter() - t0)
                ours.append(sum(1 for i, _ in near if field in cats.get(i, set())) / 10)
                sims = (x_plain[row_of[q]] @ x_plain.T).toarray().ravel()
                sims[row_of[q]] = -1.0
                top = sims.argsort()[::-1][:10]
                base.append(sum(1 for t in top if field in cats.get(ids[t], set())) / 10)
            sim_rows.append((field, len(queries), statistics.mean(base), statistics.mean(ours)))
            print(field, "similar", f"{sim_rows[-1][2]:.3f} {sim_rows[-1][3]:.3f}", file=sys.stderr)

    methods = list(table[0][3])
    lines = [
        f"Corpus: {len(ids):,} papers over {len(days)} digest days; held out: the last"
        f" {len(test_days)} days ({len(test):,} papers). Up to {args.stars} stars per reader,"
        f" seed {args.seed}.",
        "",
        "Mean average precision (AP) / precision@10 of each reader's field in the held-out days:",
        "",
        "| reader (stars, relevant) | " + " | ".join(methods) + " |",
        "|---" * (len(methods) + 1) + "|",
    ]
    for field, n_star, n_rel, res in table:
        cells = [f"{res[m][0]:.3f} / {res[m][1]:.2f}" for m in methods]
        lines.append(f"| {field} ({n_star}, {n_rel}) | " + " | ".join(cells) + " |")
    means = [
        f"**{statistics.mean(r[3][m][0] for r in table):.3f} / "
        f"{statistics.mean(r[3][m][1] for r in table):.2f}**"
        for m in methods
    ]
    lines.append("| mean | " + " | ".join(means) + " |")
    lines += [
        "",
        "Similar papers: precision@10 of the same field among a paper's ten nearest:",
        "",
        "| field (queries) | tf-idf cosine | digest-tui similar |",
        "|---|---|---|",
    ]
    for field, n, base_p, ours_p in sim_rows:
        lines.append(f"| {field} ({n}) | {base_p:.3f} | {ours_p:.3f} |")
    lines.append(
        f"| mean | **{statistics.mean(r[2] for r in sim_rows):.3f}** |"
        f" **{statistics.mean(r[3] for r in sim_rows):.3f}** |"
    )
    lines += [
        "",
        f"Featurizing the corpus once: {featurize_s:.1f} s. Training on a reader's marks"
        f" (~{len(train_ids):,} labelled papers): median {statistics.median(train_times):.2f} s"
        f" (first fit); after one more star: median {statistics.median(star_times):.2f} s."
        f" `similar` per paper: median {statistics.median(sim_times) * 1000:.0f} ms.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    lib.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
