"""Relevance: a model of what this reader stars, why a paper ranks where it
does, and the papers most like one paper.

What it learns from (all local, never the network):

* positives: papers the user starred, tagged or wrote a note on;
* negatives: papers read and none of those;
* a prior from the watch list: watched authors and keywords start with a
  positive weight, so with few marks the watch list orders the day, and as
  marks accumulate they take over (the model is pulled towards the prior,
  not held to it).

The model is an L2-regularised logistic regression over tf-idf features of
each paper (words and word pairs of title and abstract, and authors; see
:mod:`digest_tui.features`), class-balanced, trained in numpy by L-BFGS.  A
paper's score is its margin; the words and authors that weigh most in it
are the features with the largest weight x value, and the nearest starred
paper is the positive with the highest cosine.  Similar papers are the
highest cosine over the same tf-idf vectors.

Nothing here is imported at start-up: the reader and the CLI import this
module (and numpy) only when relevance is asked for.

API for the reader (every method is thread-safe; call them from workers)::

    ranker = Ranker(library, state, watch=config.watch)
    ranker.refresh()                 # features for new papers, retrain on new marks;
                                     # cheap when nothing changed.  Call after a scan
                                     # and after every mark (in a worker).
    ranker.scores(ids)               # {arxiv_id: score}; higher = more relevant
    ranker.order(pids)               # the same pids (or ids), best first, ties in the
                                     # order given (digest order)
    ranker.explain(arxiv_id)         # Explanation(...).one_line() for the detail pane
    ranker.similar(arxiv_id, limit)  # [(arxiv_id, cosine)], most similar first
    ranker.close()

Features live in the cache dir beside the index (rebuildable); the user's
state DB is only read.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np
import numpy.typing as npt

from digest_tui.features import (
    AUTHOR_BASE,
    DIM,
    Bag,
    FeatureStore,
    bucket,
    features_path_for,
    featurize,
    shown_terms,
    words,
)
from digest_tui.query import WatchList
from digest_tui.text import one_line

if TYPE_CHECKING:
    from digest_tui.library import Library
    from digest_tui.state import Mark, StateStore

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
T = TypeVar("T", int, str)


@dataclass(frozen=True, slots=True)
class Settings:
    """The model's knobs (defaults chosen with ``benchmarks/ranking.py``)."""

    c: float = 1.0  # inverse regularisation (as scikit-learn's C)
    author_weight: float = 1.0  # author features are scaled by this before normalising
    prior_weight: float = 3.0  # weight a watched author / keyword starts with
    unlabelled_weight: float = 0.2  # weight of unmarked papers used as negatives
    min_negatives: int = 200  # below this, unmarked papers stand in as negatives
    max_negatives: int = 20_000  # above this, only the newest (by arXiv id) are used
    max_iter: int = 150
    warm_iter: int = 8  # a retrain from the last model (one more mark) needs few steps
    tol: float = 1e-5  # relative change of the objective at which a fit stops
    warm_tol: float = 1e-4  # the same for a retrain from the last model
    similar_terms: int = 32  # terms per paper kept in the in-memory "similar" matrix
    similar_candidates: int = 1000  # nearest by those terms, re-ranked by exact cosine


@dataclass(slots=True)
class Explanation:
    """Why a paper scored what it did."""

    arxiv_id: str
    score: float
    words: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    nearest_starred: str | None = None
    nearest_title: str | None = None
    nearest_similarity: float = 0.0
    basis: str = "none"  # "marks", "watch list" or "none"

    def one_line(self) -> str:
        """One line for the detail pane, e.g. ``why: "point cloud", lidar ·
        Jane Doe · like 1903.01234 "Deep LiDAR…" (0.42)``."""
        if self.basis == "none":
            return "why: no stars or watch list yet: star papers to rank by them"
        parts: list[str] = []
        if self.words:
            parts.append(", ".join(f'"{w}"' if " " in w else w for w in self.words))
        if self.authors:
            parts.append(", ".join(self.authors))
        if self.nearest_starred is not None:
            title = self.nearest_title or ""
            if len(title) > 40:
                title = title[:39].rstrip() + "…"
            like = f"like {self.nearest_starred}"
            if title:
                like += f' "{title}"'
            parts.append(f"{like} ({self.nearest_similarity:.2f})")
        if not parts:
            return "why: nothing this paper shares with what you star"
        return one_line("why: " + " · ".join(parts))


@dataclass(slots=True)
class Csr:
    """Rows of L2-normalised tf-idf vectors (a minimal CSR matrix)."""

    indptr: I64
    indices: npt.NDArray[np.integer[Any]]  # int64, or int32 for the whole corpus
    data: F32

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    def row_ids(self) -> I64:
        return np.repeat(np.arange(self.n_rows, dtype=np.int64), np.diff(self.indptr))

    def dot_dense(self, q: F32) -> F64:
        """Each row's dot product with a dense vector of :data:`DIM` entries."""
        prod = self.data.astype(np.float64) * q[self.indices]
        return cast(F64, np.bincount(self.row_ids(), weights=prod, minlength=self.n_rows))

    def dot_dense_small(self, q: F32) -> F32:
        """:meth:`dot_dense` in float32 by row sums (no per-entry row ids: the
        temporary is one float32 per entry, for the whole corpus)."""
        prod = q[self.indices]
        prod *= self.data
        out = np.zeros(self.n_rows, dtype=np.float32)
        lengths = np.diff(self.indptr)
        nonempty = lengths > 0
        if prod.size:
            out[nonempty] = np.add.reduceat(prod, self.indptr[:-1][nonempty])
        return out

    def top_terms(self, k: int) -> Csr:
        """Each row cut to its ``k`` largest entries (in column order)."""
        rows = self.row_ids()
        order = np.lexsort((-self.data, rows))  # by row, largest first
        rank = np.arange(len(order)) - self.indptr[rows[order]]
        keep = np.sort(order[rank < k])
        lengths = np.minimum(np.diff(self.indptr), k)
        indptr = np.zeros(self.n_rows + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        return Csr(indptr, self.indices[keep], self.data[keep])


def idf_of(store: FeatureStore) -> F32:
    """Smoothed idf of every bucket: ``ln((N + 1) / (df + 1)) + 1``."""
    n = store.n_docs
    idf: F32 = (np.log((n + 1.0) / (store.df.astype(np.float64) + 1.0)) + 1.0).astype(np.float32)
    return idf


def tfidf(bags: Sequence[Bag], idf: F32, author_weight: float = 1.0) -> Csr:
    """Sublinear tf x idf, authors scaled, every row of unit length."""
    lengths = np.array([len(b.hashes) for b in bags], dtype=np.int64)
    indptr = np.zeros(len(bags) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    if len(bags) and indptr[-1]:
        indices = np.concatenate([b.hashes for b in bags]).astype(np.int64)
        counts = np.concatenate([b.counts for b in bags]).astype(np.float32)
    else:
        indices = np.zeros(0, dtype=np.int64)
        counts = np.zeros(0, dtype=np.float32)
    data = ((1.0 + np.log(counts)) * idf[indices]).astype(np.float32)
    if author_weight != 1.0:
        data[indices >= AUTHOR_BASE] *= np.float32(author_weight)
    m = Csr(indptr, indices, data)
    rows = m.row_ids()
    norms = np.sqrt(np.bincount(rows, weights=data.astype(np.float64) ** 2, minlength=len(bags)))
    norms[norms == 0] = 1.0
    m.data = (data / norms[rows]).astype(np.float32)
    return m


# -- training -------------------------------------------------------------------


def _sigmoid(z: F64) -> F64:
    out: F64 = 0.5 * (1.0 + np.tanh(0.5 * z))
    return out


@dataclass(slots=True)
class Design:
    """A training matrix prepared for :func:`fit_logistic`: only the columns
    in at least ``min_df`` rows (a word of one labelled paper teaches nothing
    about the next), renumbered densely.  Reused while the labelled papers
    stay the same (a new star on a read paper changes only the labels)."""

    ids: list[str]
    cols: I64
    inv: I64
    rows: I64
    data: F64
    n: int

    @classmethod
    def build(cls, ids: list[str], x: Csr, min_df: int = 2) -> Design:
        df = np.bincount(x.indices, minlength=DIM)
        cols = np.flatnonzero(df >= min_df)
        keep = df[x.indices] >= min_df
        colmap = np.full(DIM, -1, dtype=np.int64)
        colmap[cols] = np.arange(len(cols))
        return cls(
            ids,
            cols,
            colmap[x.indices[keep]],
            x.row_ids()[keep],
            x.data[keep].astype(np.float64),
            x.n_rows,
        )


def fit_logistic(
    design: Design,
    y: F64,
    sample_weight: F64,
    *,
    c: float,
    prior: F64 | None = None,
    start: F64 | None = None,
    max_iter: int = 150,
    tol: float = 1e-5,
) -> tuple[F64, float]:
    """L2-regularised logistic regression by L-BFGS.

    Minimises ``0.5 * |w - prior|^2 + c * sum(sample_weight * log(1 + exp(-y * (Xw + b))))``
    with ``y`` in {-1, +1}, over the design's columns; returns ``(weights of
    design.cols, bias)``.  ``prior`` and ``start`` are dense over :data:`DIM`.
    """
    cols, inv, rows, data, n = design.cols, design.inv, design.rows, design.data, design.n
    m = len(cols)
    # Row sums by reduceat over the (row-sorted) entries; empty rows stay 0.
    counts = np.bincount(rows, minlength=n)
    nonempty = counts > 0
    starts = (np.cumsum(counts) - counts)[nonempty]
    w0 = prior[cols] if prior is not None else np.zeros(m)
    theta = np.zeros(m + 1)
    if start is not None:
        theta[:m] = start[cols]
    elif prior is not None:
        theta[:m] = w0

    def fg(t: F64) -> tuple[float, F64]:
        w, b = t[:m], t[m]
        z = np.zeros(n)
        z[nonempty] = np.add.reduceat(data * w[inv], starts)
        z += b
        yz = y * z
        loss = float(np.sum(sample_weight * np.logaddexp(0.0, -yz)))
        r = -c * y * sample_weight * _sigmoid(-yz)
        g = np.empty(m + 1)
        g[:m] = np.bincount(inv, weights=data * r[rows], minlength=m) + (w - w0)
        g[m] = float(np.sum(r))
        d = w - w0
        return 0.5 * float(d @ d) + c * loss, g

    f, g = fg(theta)
    s_list: list[F64] = []
    y_list: list[F64] = []
    for it in range(max_iter):
        gnorm = float(np.max(np.abs(g))) if len(g) else 0.0
        if gnorm < tol * max(1.0, abs(f)) or gnorm == 0.0:
            break
        # Two-loop recursion.
        q = g.copy()
        alphas: list[float] = []
        for s, yy in zip(reversed(s_list), reversed(y_list), strict=True):
            a = float(s @ q) / float(yy @ s)
            alphas.append(a)
            q -= a * yy
        if s_list:
            gamma = float(s_list[-1] @ y_list[-1]) / float(y_list[-1] @ y_list[-1])
        else:
            gamma = 1.0 / max(float(np.linalg.norm(g)), 1e-12)
        r_dir = gamma * q
        for (s, yy), a in zip(zip(s_list, y_list, strict=True), reversed(alphas), strict=True):
            beta = float(yy @ r_dir) / float(yy @ s)
            r_dir += s * (a - beta)
        direction = -r_dir
        slope = float(g @ direction)
        if slope >= 0:  # not a descent direction: restart from the gradient
            s_list.clear()
            y_list.clear()
            direction = -g / max(float(np.linalg.norm(g)), 1e-12)
            slope = float(g @ direction)
        step = 1.0
        for _ in range(30):
            new = theta + step * direction
            f_new, g_new = fg(new)
            if f_new <= f + 1e-4 * step * slope:
                break
            step *= 0.5
        else:
            break
        s_vec, y_vec = new - theta, g_new - g
        if float(s_vec @ y_vec) > 1e-12:
            s_list.append(s_vec)
            y_list.append(y_vec)
            if len(s_list) > 10:
                s_list.pop(0)
                y_list.pop(0)
        converged = abs(f - f_new) < tol * max(1.0, abs(f)) and it > 2
        theta, f, g = new, f_new, g_new
        if converged:
            break
    return theta[:m], float(theta[m])


@dataclass(slots=True)
class Model:
    """A trained ranking model (immutable once built; swapped whole)."""

    weights: F32  # dense over DIM
    bias: float
    idf: F32
    basis: str  # "marks", "watch list" or "none"
    positives: list[str]
    positive_rows: Csr
    n_positive: int = 0
    n_negative: int = 0

    def score_rows(self, x: Csr) -> F64:
        return x.dot_dense(self.weights) + self.bias


def watch_prior(watch: WatchList, weight: float) -> F64 | None:
    """Dense prior weights for the watched authors and keywords (None: none)."""
    from digest_tui.features import author_term

    prior = np.zeros(DIM)
    any_set = False
    for name in watch.authors:
        term = author_term(name)
        if term is not None:
            prior[bucket(term)] = weight
            any_set = True
    for keyword in watch.keywords:
        found = [t for t, _ in words(keyword)]
        if not found:
            continue
        # A phrase weighs on its last pair of words, a single word on itself.
        term = f"{found[-2]} {found[-1]}" if len(found) > 1 else found[0]
        prior[bucket(term)] = weight
        any_set = True
    return prior if any_set else None


def labels_from_marks(marks: dict[str, Mark]) -> tuple[set[str], set[str]]:
    """(positives, negatives): starred, tagged or noted; read and none of those."""
    pos = {i for i, m in marks.items() if m.starred or m.tags or m.note}
    neg = {i for i, m in marks.items() if m.read and i not in pos}
    return pos, neg


def _id_order(arxiv_id: str) -> tuple[str, str]:
    """New-style ids (2103.01234) sort by month then number; old ones
    (hep-th/9901001) by their yymm part, before every new-style id."""
    if "/" in arxiv_id:
        return ("0" + arxiv_id.split("/", 1)[1], arxiv_id)
    return ("1" + arxiv_id, arxiv_id)


def train(
    bags: dict[str, Bag],
    positives: Sequence[str],
    negatives: Sequence[str],
    idf: F32,
    *,
    settings: Settings = Settings(),
    prior: F64 | None = None,
    unlabelled: Sequence[str] = (),
    start: Model | None = None,
    design: Design | None = None,
) -> tuple[Model, Design | None]:
    """Fit a model on labelled papers (ids whose bag is missing are skipped).

    Returns the model and its design, to pass back as ``design`` while the
    same papers are labelled (it is rebuilt when they differ)."""
    pos = [i for i in positives if i in bags]
    neg = [i for i in negatives if i in bags]
    if len(neg) > settings.max_negatives:  # bounded training time, recent taste
        neg = sorted(neg, key=_id_order)[-settings.max_negatives :]
    weights = np.zeros(DIM, dtype=np.float32)
    if prior is not None:
        weights[:] = prior
    basis = "watch list" if prior is not None else "none"
    pos_rows = tfidf([bags[i] for i in pos], idf, settings.author_weight)
    if not pos:
        return Model(weights, 0.0, idf, basis, [], pos_rows, 0, len(neg)), None
    extra = [i for i in unlabelled if i in bags] if len(neg) < settings.min_negatives else []
    # Rows in a fixed order (sorted ids), so a new star keeps the design.
    label = dict.fromkeys(extra, -2.0)
    label.update(dict.fromkeys(neg, -1.0))
    label.update(dict.fromkeys(pos, 1.0))
    ids = sorted(label)
    if design is None or design.ids != ids:
        design = Design.build(ids, tfidf([bags[i] for i in ids], idf, settings.author_weight))
    kinds = np.array([label[i] for i in ids])
    y = np.where(kinds > 0, 1.0, -1.0)
    n_neg_eff = len(neg) + settings.unlabelled_weight * len(extra)
    total = len(pos) + n_neg_eff
    sw = np.select(
        [kinds > 0, kinds == -1.0],
        [total / (2.0 * len(pos)), total / (2.0 * n_neg_eff)],
        settings.unlabelled_weight * total / (2.0 * n_neg_eff),
    )
    start_w = start.weights.astype(np.float64) if start is not None else None
    w, b = fit_logistic(
        design,
        y,
        sw,
        c=settings.c,
        prior=prior,
        start=start_w,
        max_iter=settings.warm_iter if start_w is not None else settings.max_iter,
        tol=settings.warm_tol if start_w is not None else settings.tol,
    )
    weights[design.cols] = w
    return Model(weights, b, idf, "marks", pos, pos_rows, len(pos), len(neg)), design


# -- the ranker -------------------------------------------------------------------


class Ranker:
    """Relevance for one library and one user's state (see the module doc)."""

    def __init__(
        self,
        library: Library,
        state: StateStore,
        *,
        watch: WatchList | None = None,
        features_path: Path | None = None,
        settings: Settings = Settings(),
    ) -> None:
        self.library = library
        self.state = state
        self.watch = watch if watch is not None else library.watch
        self.settings = settings
        self.store = FeatureStore(features_path or features_path_for(library.path))
        self._lock = threading.RLock()
        self._model: Model | None = None
        self._library_signature: str | None = None
        self._versions: dict[str, int] | None = None
        self._state_version: int | None = None
        self._labels_key: str | None = None
        self._trained_docs = 0
        self._bag_cache: dict[str, Bag] = {}
        self._design: Design | None = None
        self._design_docs = 0
        self._corpus: tuple[int, list[str], dict[str, int], Csr] | None = None
        self._marks: dict[str, Mark] | None = None  # kept up to date from the change log
        self._marks_seq = 0
        self._idf: tuple[int, int, F32] | None = None

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Ranker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- keeping up ---------------------------------------------------------

    def refresh(self) -> bool:
        """Bring features and model up to date; True when the model changed.

        Featurizes papers new to the index (or of a new version) and retrains
        when the marks, the watch list or the corpus changed.  Cheap when
        nothing did: a look at the index's file list and the state's version.
        """
        with self._lock:
            added = self.sync_features()
            return self._retrain_if_needed(added)

    def sync_features(self) -> int:
        """Featurize the papers the store lacks; returns how many were added.

        The index's files (count, sizes, times) when the store was last
        brought up to date are kept in the store, so a new process whose
        index has not changed since reads no paper list at all."""
        with self._lock:
            if self._library_signature is None:
                self._library_signature = self.store.get_meta("library_signature")
            with self.library._read() as conn:
                sig = repr(
                    tuple(
                        conn.execute(
                            "SELECT count(*), total(size), total(mtime_ns), max(fid) FROM files"
                        ).fetchone()
                    )
                )
                if sig == self._library_signature:
                    return 0
                current = {
                    r[0]: int(r[1] or 0)
                    for r in conn.execute("SELECT arxiv_id, version FROM papers")
                }
            if self._versions is None:
                self._versions = self.store.versions()
            known = self._versions
            todo = [i for i, v in current.items() if known.get(i) != v]
            added = 0
            for start in range(0, len(todo), 2000):
                chunk = todo[start : start + 2000]
                rows = self._texts(chunk)
                added += self.store.put(
                    (i, v, *featurize(title, abstract, authors))
                    for i, (v, title, abstract, authors) in rows.items()
                )
                for i, (v, *_rest) in rows.items():
                    known[i] = v
                    self._bag_cache.pop(i, None)
            self._library_signature = sig
            self.store.set_meta("library_signature", sig)
            return added

    def _texts(self, ids: Sequence[str]) -> dict[str, tuple[int, str, str, list[str]]]:
        from digest_tui.library import AUTHOR_SEP

        out: dict[str, tuple[int, str, str, list[str]]] = {}
        with self.library._read() as conn:
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                for r in conn.execute(
                    "SELECT arxiv_id, version, title, dt_inflate(abstract), authors FROM papers"
                    f" WHERE arxiv_id IN ({marks})",
                    chunk,
                ):
                    authors = r[4].split(AUTHOR_SEP) if r[4] else []
                    out[r[0]] = (int(r[1] or 0), r[2] or "", r[3] or "", authors)
        return out

    def _bags(self, ids: Sequence[str]) -> dict[str, Bag]:
        missing = [i for i in ids if i not in self._bag_cache]
        if missing:
            self._bag_cache.update(self.store.bags(missing))
        return {i: self._bag_cache[i] for i in ids if i in self._bag_cache}

    def _retrain_if_needed(self, added: int) -> bool:
        version = self.state.data_version()
        docs = self.store.n_docs
        docs_moved = docs > 1.1 * self._trained_docs + 10 or docs < self._trained_docs
        if version == self._state_version and self._model is not None and not docs_moved:
            return False
        pos, neg = labels_from_marks(self._current_marks())
        watch_key = repr((self.watch.authors, self.watch.keywords))
        key = hashlib.blake2b(
            "\n".join([*sorted(pos), "-", *sorted(neg), watch_key, repr(self.settings)]).encode(),
            digest_size=16,
        ).hexdigest()
        self._state_version = version
        if key == self._labels_key and self._model is not None and not docs_moved:
            return False
        if self._model is None and self._load_model(key, sorted(pos)):
            self._labels_key = key
            self._trained_docs = docs
            return True
        self._train(sorted(pos), sorted(neg))
        self._labels_key = key
        self._trained_docs = docs
        self._save_model(key)
        return True

    def _current_marks(self) -> dict[str, Mark]:
        """Every mark: read once, then only what the change log says changed."""
        if self._marks is None:
            seq = self.state.change_seq()
            self._marks = self.state.all_marks()
            self._marks_seq = seq
            return self._marks
        self._marks_seq, changed = self.state.changed_since(self._marks_seq)
        self._marks.update(changed)
        return self._marks

    def idf(self) -> F32:
        """:func:`idf_of` the store, computed again only when it changed."""
        store = self.store
        key = (store.n_docs, store.generation)
        cached = self._idf
        if cached is None or cached[:2] != key:
            cached = (*key, idf_of(store))
            self._idf = cached
        return cached[2]

    # A trained model is kept in the cache dir beside the features, so a new
    # process (``list --sort relevance``) needs no training when nothing changed.

    @property
    def model_path(self) -> Path:
        return self.store.path.with_name(self.store.path.stem + "-model.npz")

    def _save_model(self, key: str) -> None:
        model = self._model
        if model is None:
            return
        nz = np.flatnonzero(model.weights).astype(np.int64)
        tmp = self.model_path.with_suffix(".tmp.npz")
        try:
            np.savez(
                tmp,
                key=np.array(key),
                docs=np.array(self.store.n_docs),
                basis=np.array(model.basis),
                cols=nz,
                values=model.weights[nz],
                bias=np.array(model.bias),
                counts=np.array([model.n_positive, model.n_negative]),
            )
            tmp.replace(self.model_path)
        except OSError:
            tmp.unlink(missing_ok=True)  # a cache: the next start trains again

    def _load_model(self, key: str, pos: list[str]) -> bool:
        try:
            with np.load(self.model_path) as saved:
                if str(saved["key"]) != key or int(saved["docs"]) != self.store.n_docs:
                    return False
                weights = np.zeros(DIM, dtype=np.float32)
                weights[saved["cols"]] = saved["values"]
                bias, basis = float(saved["bias"]), str(saved["basis"])
                n_pos, n_neg = (int(v) for v in saved["counts"])
        except (OSError, ValueError, KeyError, IndexError):
            return False
        bags = self._bags(pos)
        have = [i for i in pos if i in bags]
        idf = self.idf()
        rows = tfidf([bags[i] for i in have], idf, self.settings.author_weight)
        self._model = Model(weights, bias, idf, basis, have, rows, n_pos, n_neg)
        return True

    def _train(self, pos: list[str], neg: list[str]) -> None:
        # Keep the labelled papers' bags in memory: the next star retrains at once.
        labelled = set(pos) | set(neg)
        for stale in [i for i in self._bag_cache if i not in labelled]:
            del self._bag_cache[stale]
        bags = self._bags(pos + neg)
        unlabelled: list[str] = []
        if len(neg) < self.settings.min_negatives and pos:
            unlabelled = self._sample_unlabelled(labelled, 2000)
            bags.update(self.store.bags(unlabelled))
        prior = watch_prior(self.watch, self.settings.prior_weight)
        idf = self.idf()
        start = self._model if self._model is not None and self._model.basis == "marks" else None
        self._model, self._design = train(
            bags,
            pos,
            neg,
            idf,
            settings=self.settings,
            prior=prior,
            unlabelled=unlabelled,
            start=start,
            design=self._design if self._design_docs == self.store.n_docs else None,
        )
        self._design_docs = self.store.n_docs

    def _sample_unlabelled(self, labelled: set[str], n: int) -> list[str]:
        """Up to ``n`` unmarked papers spread over the index, deterministically."""
        with self.library._read() as conn:
            total = int(conn.execute("SELECT count(*) FROM papers").fetchone()[0])
            step = max(1, total // max(1, n))
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT arxiv_id FROM papers WHERE pid % ? = 0 LIMIT ?", (step, 2 * n)
                )
            ]
            if len(ids) < min(n, total) // 2:
                ids = [r[0] for r in conn.execute("SELECT arxiv_id FROM papers LIMIT ?", (2 * n,))]
        return [i for i in ids if i not in labelled][:n]

    @property
    def model(self) -> Model:
        """The current model (trained on first use)."""
        model = self._model
        if model is None:
            self.refresh()
            model = self._model
            assert model is not None
        return model

    # -- ranking ------------------------------------------------------------

    def scores(self, arxiv_ids: Sequence[str]) -> dict[str, float]:
        """Relevance of some papers (higher first); papers without features
        (not indexed yet) score 0."""
        model = self.model
        ids = list(dict.fromkeys(arxiv_ids))
        bags = self.store.bags(ids)
        have = [i for i in ids if i in bags]
        out = dict.fromkeys(ids, 0.0)
        if have:
            x = tfidf([bags[i] for i in have], model.idf, self.settings.author_weight)
            for i, s in zip(have, model.score_rows(x).tolist(), strict=True):
                out[i] = float(s)
        return out

    def order(self, items: Sequence[T]) -> list[T]:
        """``items`` (all pids or all arXiv ids) best first; ties keep their
        given order (give them in digest order for the digest order)."""
        if not items:
            return []
        if isinstance(items[0], str):
            ids = [str(i) for i in items]
        else:
            rows = self.library.rows([int(p) for p in items])
            ids = [rows[int(p)].id if int(p) in rows else "" for p in items]
        scores = self.scores([i for i in ids if i])
        keyed = sorted(range(len(items)), key=lambda k: (-scores.get(ids[k], 0.0), k))
        return [items[k] for k in keyed]

    # -- explaining ---------------------------------------------------------

    def explain(self, arxiv_id: str, *, n_words: int = 4, n_authors: int = 2) -> Explanation | None:
        """Why ``arxiv_id`` scores what it does (None: not in the index)."""
        model = self.model
        pid = self.library.pid_of(arxiv_id)
        paper = self.library.paper(pid) if pid is not None else None
        if paper is None:
            return None
        hashes, counts = featurize(paper.title, paper.abstract, paper.authors)
        bag = Bag(np.frombuffer(hashes, dtype=np.uint32), np.frombuffer(counts, dtype=np.uint8))
        x = tfidf([bag], model.idf, self.settings.author_weight)
        score = float(model.score_rows(x)[0])
        contrib = x.data.astype(np.float64) * model.weights[x.indices]
        shown = shown_terms(paper.title, paper.abstract, paper.authors)
        picked_words: list[str] = []
        picked_authors: list[str] = []
        covered: set[str] = set()
        for k in np.argsort(-contrib, kind="stable").tolist():
            if contrib[k] <= 0 or (
                len(picked_words) >= n_words and len(picked_authors) >= n_authors
            ):
                break
            text, is_author = shown[int(x.indices[k])]
            if is_author:
                if len(picked_authors) < n_authors:
                    picked_authors.append(text)
                continue
            low = text.lower()
            if len(picked_words) >= n_words or low in covered:
                continue
            picked_words.append(text)
            covered.add(low)
            covered.update(low.split())
        expl = Explanation(arxiv_id, score, picked_words, picked_authors, basis=model.basis)
        if model.positive_rows.n_rows:
            q = np.zeros(DIM, dtype=np.float32)
            q[x.indices] = x.data
            sims = model.positive_rows.dot_dense(q)
            for k in np.argsort(-sims, kind="stable").tolist():
                if model.positives[k] != arxiv_id:
                    if sims[k] > 0:
                        expl.nearest_starred = model.positives[k]
                        expl.nearest_similarity = float(sims[k])
                        npid = self.library.pid_of(model.positives[k])
                        rows = self.library.rows([npid]) if npid is not None else {}
                        if npid in rows:
                            expl.nearest_title = rows[npid].title
                    break
        return expl

    # -- similar papers -----------------------------------------------------

    def _corpus_matrix(self) -> tuple[list[str], dict[str, int], Csr]:
        """Every paper's tf-idf vector cut to its top terms (built a batch at
        a time: memory for the cut matrix, ~8 bytes a term kept)."""
        with self._lock:
            self.sync_features()
            key = self.store.generation
            if self._corpus is None or self._corpus[0] != key:
                self._corpus = None  # let the old matrix go before the new one is built
                idf = self.idf()
                ids: list[str] = []
                indptr: list[I64] = [np.zeros(1, dtype=np.int64)]
                indices: list[npt.NDArray[np.int32]] = []
                data: list[F32] = []
                base = 0
                for batch in self.store.all_bags():
                    part = tfidf([b for _, b in batch], idf, self.settings.author_weight)
                    part = part.top_terms(self.settings.similar_terms)
                    ids.extend(i for i, _ in batch)
                    indptr.append(part.indptr[1:] + base)
                    base += int(part.indptr[-1])
                    indices.append(part.indices.astype(np.int32))
                    data.append(part.data)
                matrix = Csr(
                    np.concatenate(indptr),
                    np.concatenate(indices) if indices else np.zeros(0, dtype=np.int32),
                    np.concatenate(data) if data else np.zeros(0, dtype=np.float32),
                )
                self._corpus = (key, ids, {i: k for k, i in enumerate(ids)}, matrix)
            return self._corpus[1], self._corpus[2], self._corpus[3]

    def similar(self, arxiv_id: str, limit: int = 10) -> list[tuple[str, float]]:
        """The ``limit`` indexed papers most like ``arxiv_id`` (cosine of their
        tf-idf vectors), most similar first; [] when it is not indexed.

        Candidates come from the corpus cut to each paper's top terms (the
        paper's own vector whole); the best of them are ranked again by the
        exact cosine of their whole vectors."""
        ids, where, matrix = self._corpus_matrix()
        k = where.get(arxiv_id)
        if k is None or limit <= 0:
            return []
        idf = self.idf()
        bag = self.store.bags([arxiv_id]).get(arxiv_id)
        if bag is None:
            return []
        own = tfidf([bag], idf, self.settings.author_weight)
        q = np.zeros(DIM, dtype=np.float32)
        q[own.indices] = own.data
        sims = matrix.dot_dense_small(q)
        sims[k] = -math.inf
        n = min(max(limit, self.settings.similar_candidates), len(ids) - 1)
        if n <= 0:
            return []
        top = np.argpartition(-sims, n - 1)[:n]
        candidates = [ids[t] for t in top.tolist() if sims[t] > 0]
        bags = self.store.bags(candidates)
        have = [i for i in candidates if i in bags]
        if not have:
            return []
        exact = tfidf([bags[i] for i in have], idf, self.settings.author_weight).dot_dense(q)
        order = sorted(range(len(have)), key=lambda j: (-exact[j], have[j]))
        return [(have[j], float(exact[j])) for j in order[:limit] if exact[j] > 0]
