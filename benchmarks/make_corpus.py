#!/usr/bin/env python3
"""Generate a synthetic corpus of daily arXiv digest files for benchmarks.

Usage::

    python benchmarks/make_corpus.py N DIR [--seed S] [--format both|daily|fields|email]
                                           [--per-file K] [--start-date 2010-01-01] [--force]

Writes N papers as one digest per day into ``DIR/YYYY/MM/YYYY-MM-DD.md``, in the
two layouts of the real seed files (``tests/fixtures/seeds``):

* ``daily``  -- ``# ArXiv cs.CV --Fri, 22 May 2020`` with numbered ``### 1.Title``
  headings and ``>`` abstract lines (no authors or other fields);
* ``fields`` -- ``# Arxiv Papers in cs.CV on 2020-11-22`` with ``### Title`` and a
  ``- **Field**: value`` list per entry.

With ``--format both`` (the default) each day picks one of the two at random.
Weekdays hold 60..260 papers (about 150 on average); weekends are often skipped,
sometimes an empty digest (header only), sometimes a light day.

``--format email`` writes arXiv's listing e-mail instead (``YYYY-MM-DD.txt``,
weekdays only, the layout :mod:`digest_tui.parsing.arxiv_email` reads: a
preamble naming the list and the ``received from ... to ...`` window, then
``\\`` / ``arXiv:ID`` entries with Date, Title, Authors, Categories and
Comments fields, an indented abstract and the ``\\ ( https://arxiv.org/abs/ID ,
NNNkb)`` line); about one entry in eight is a cross-listing.  ``--per-file K``
puts exactly K papers in every file (the last may hold fewer): ``1000000
--format email --per-file 2500`` is 400 daily e-mails, ``50000 --format email
--per-file 50000`` one big mailbox-sized file.

All text is pseudo-English made from the word lists below (nothing is copied from
real digests); word frequencies follow a Zipf-Mandelbrot law, and a separate list
of rare words is sprinkled into a small share of abstracts.  The summary (also
written to ``DIR/corpus.json``) suggests a common and a rare word with the exact
number of papers whose entry text contains each (case-insensitive substring).

Output is deterministic for a given N, seed, format and start date.  Standard
library only; 200k papers (~300 MB) take a few seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sys
import time
from bisect import bisect
from datetime import date
from itertools import accumulate
from pathlib import Path

__all__ = ["make_corpus", "CATEGORY", "FORMATS", "RARE_WORDS", "WORDS"]

CATEGORY = "cs.CV"
FORMATS = ("daily", "fields")

# ---------------------------------------------------------------------------
# Vocabulary.  Order is frequency rank: the first words are the most common.
# ---------------------------------------------------------------------------

WORDS = """
the of and a to in we for is that on with by as are this our an from which be can
these it at not or its both then also such more than has have been while however
into two each their using based over model learning network method data images
results performance deep proposed approach training neural features task methods
models framework show state-of-the-art dataset object detection accuracy existing
novel propose present different new large problem tasks between multiple spatial
temporal semantic representation experiments demonstrate achieve outperforms
attention module end-to-end loss self-supervised supervised unsupervised domain video
visual recognition segmentation classification information first only through
challenging effective efficient significantly well most other without under
generate generated propose structure local global prior single input output
pixel scene scenes camera point cloud depth estimation pose human shape 3D 2D
convolutional transformer architecture layers layer encoder decoder generative
adversarial real-world benchmark benchmarks evaluate evaluation quantitative
qualitative extensive simple robust robustness accurate improve improves improved
improvement address key important however specifically furthermore moreover
finally recently previous current high low quality resolution trained learned
learns learn label labels labeled unlabeled annotation annotations samples
sample distribution consistency contrastive embedding embeddings space latent
graph regions region instance instances category categories class classes
fine-grained coarse fusion multi-scale cross-modal alignment matching tracking
motion optical flow frames frame sequence sequences medical clinical patients
diagnosis tumor lesion images, datasets, methods, however, which, texture
appearance illumination lighting surface mesh geometry geometric reconstruction
rendering synthesis editing style transfer translation super-resolution denoising
deblurring restoration enhancement compression retrieval captioning question
answering language text textual vision multimodal cross-domain adaptation
generalization few-shot zero-shot meta-learning reinforcement policy agent
agents navigation robot robotic manipulation grasping autonomous driving vehicle
vehicles traffic pedestrian pedestrians lidar radar sensor sensors fusion,
remote sensing satellite aerial hyperspectral spectral thermal infrared
face facial expression identity person re-identification gait action activity
gesture skeleton keypoint keypoints body hand hands crowd counting anomaly
anomalies defect inspection industrial document handwritten character font
scale-invariant invariance equivariant rotation translation-invariant sparse
dense dense-prediction pruning quantization distillation teacher student
lightweight mobile edge hardware latency memory computational cost efficiency
parameters parameter hyperparameters optimization optimizer gradient gradients
stochastic objective function functions regularization regularizer constraint
constraints prior-knowledge uncertainty calibration confidence probabilistic
bayesian variational autoencoder diffusion denoising-diffusion flow-based
normalizing energy-based score score-based likelihood sampling inference
theoretical analysis empirical empirically study studies investigate explore
design designed designs strategy strategies mechanism mechanisms component
components pipeline stage stages two-stage one-stage backbone head heads
branch branches pooling residual skip connections recurrent LSTM CNN CNNs GAN
GANs ViT RGB RGB-D ImageNet COCO KITTI Cityscapes CIFAR-10 MNIST
interpretability explainable explanation explanations saliency heatmap
adversarial-robustness attack attacks defense perturbation perturbations
privacy federated clients server communication distributed parallel scalable
large-scale small-scale long-range short-term long-term context contextual
relation relations relational reasoning knowledge commonsense prompt prompts
pretrained pre-training fine-tuning finetuning downstream upstream transferable
open-set open-vocabulary closed-set long-tailed imbalanced noisy corrupted clean
synthetic realistic photorealistic simulation simulated virtual augmented
augmentation augmentations mixup cutout crop cropping resizing normalization
batch batches epoch epochs iteration iterations convergence converge
significant margin gains gain superior comparable competitive favorably baseline
baselines ablation ablations components, respectively approximately roughly
1.2% 3.5% 10x 93.1% 0.5 4K 60fps
""".split()

# Words inserted into a small share of abstracts (rarely, and Zipf among
# themselves).  None of them is a substring of any other generated token.
RARE_WORDS = """
ptychography zeolite bathymetry quasicrystal cryoprobe speleothem dendrochronology
lichenometry vermiculite palynology ichnofossil chronostratigraphy otolith
magnetotelluric tephrochronology varve sclerochronology coprolite foraminifera
stromatolite nummulite conodont radiolarian diatomite ammonoid brachiopod
graptolite trilobite crinoid bryozoan echinoderm gastropod nautiloid belemnite
ostracod chitinozoan acritarch calcarenite evaporite turbidite
""".split()

STARTERS = [
    "In this paper, we",
    "In this work, we",
    "We",
    "We",
    "Our",
    "However,",
    "Moreover,",
    "Furthermore,",
    "To this end, we",
    "Specifically,",
    "Experimental results show that",
    "Extensive experiments on",
    "Finally,",
    "Recently,",
    "Unlike previous work,",
    "In addition,",
    "As a result,",
    "To address this issue, we",
    "Existing",
    "The",
    "The",
    "This",
]

CONNECTORS = ["which", "while", "and", "but", "where", "so that", "since", "whereas"]

TITLE_LINKS = ["for", "with", "via", "and", "of", "in", "from", "using", "on", "by"]
TITLE_OPENERS = ["Towards", "Learning", "Rethinking", "Revisiting", "On the", "Learning to"]

FIRST_NAMES = """
Wei Li Yang Chen Jun Hao Xin Yu Jing Lei Ming Tao Zhe Hui Yan Ying Kai Bo Qi
Rahul Priya Amit Ananya Vikram Sneha Arjun Kavya Rohan Meera Sanjay Deepa
James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William
Sarah Thomas Emma Daniel Olivia Matthew Sophia Andrew Laura Peter Anna Paul
Maria Luca Giulia Marco Francesca Pierre Camille Louis Chloe Hugo Lea
Jürgen Søren Zoë Björn Ingrid Hannes Katarina Mateo Lucía Tomás Inés
Hiroshi Yuki Takeshi Aiko Kenji Sakura Min-jun Ji-woo Seo-yeon Hyun
Mohammed Fatima Ahmed Layla Omar Yasmin Ali Nour Hassan Leila
Olga Dmitri Ivan Natalia Sergei Elena Pavel Irina Alexei Svetlana
Kwame Amara Chinedu Ngozi Tunde Zainab Kofi Abena
""".split()

LAST_NAMES = """
Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Gao
Sharma Patel Gupta Singh Kumar Reddy Iyer Nair Rao Mehta Joshi Das
Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Moore
Jackson Martin Thompson White Harris Clark Lewis Robinson Walker Young Allen
Rossi Russo Ferrari Bianchi Romano Colombo Dubois Moreau Laurent Lefebvre Girard
Müller Schmidt Schneider Fischer Weber Wagner Becker Hoffmann Schäfer Koch
Nielsen Jensen Hansen Larsen Andersson Johansson Karlsson Nilsson
García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez
Tanaka Suzuki Takahashi Watanabe Ito Yamamoto Nakamura Kobayashi Kato
Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim
Hassan Ibrahim Mahmoud Khalil Haddad Nasser Aziz Rahman
Ivanov Petrov Sidorov Smirnov Kuznetsov Popov Volkov
Okafor Mensah Adeyemi Owusu Nwosu Boateng
""".split()

VENUES = [
    "CVPR",
    "ICCV",
    "ECCV",
    "NeurIPS",
    "ICLR",
    "ICML",
    "AAAI",
    "IJCAI",
    "WACV",
    "BMVC",
    "ICIP",
    "ICASSP",
    "MICCAI",
    "ACM MM",
    "3DV",
    "ICRA",
    "IROS",
    "TPAMI",
    "TIP",
    "IJCV",
]

CONFERENCE_NAMES = [
    "International Conference on Computer Vision",
    "Conference on Computer Vision and Pattern Recognition",
    "European Conference on Computer Vision",
    "Conference on Neural Information Processing Systems",
    "International Conference on Learning Representations",
    "Winter Conference on Applications of Computer Vision",
    "British Machine Vision Conference",
    "International Conference on Image Processing",
    "International Conference on Robotics and Automation",
]

JOURNALS = [
    "IEEE Transactions on Pattern Analysis and Machine Intelligence",
    "IEEE Transactions on Image Processing",
    "International Journal of Computer Vision",
    "Pattern Recognition",
    "Computer Vision and Image Understanding",
    "IEEE Transactions on Medical Imaging",
    "Medical Image Analysis",
    "IEEE Robotics and Automation Letters",
    "Remote Sensing",
    "Neurocomputing",
    "IEEE Access",
    "Journal of Visual Communication and Image Representation",
]

DOI_PREFIXES = ["10.1109/TPAMI", "10.1109/TIP", "10.1109/ACCESS", "10.1109/LRA", "10.1109/TMI"]

SECONDARY_CATEGORIES = [
    "cs.LG",
    "cs.LG",
    "cs.LG",
    "cs.AI",
    "cs.AI",
    "eess.IV",
    "eess.IV",
    "cs.RO",
    "cs.CL",
    "stat.ML",
    "cs.GR",
    "cs.MM",
    "cs.NE",
    "cs.CR",
    "cs.HC",
    "q-bio.QM",
    "physics.med-ph",
]
OTHER_PRIMARIES = ["cs.LG", "eess.IV", "cs.AI", "cs.RO", "stat.ML", "cs.GR", "cs.NE", "cs.CR"]

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

# Authors per paper: 1..15, mostly 2..6 (like the seeds).
_AUTHOR_COUNTS = list(range(1, 16))
_AUTHOR_CUM = list(accumulate([6, 14, 18, 18, 14, 10, 7, 5, 3, 2, 1, 1, 0.7, 0.5, 0.5]))
# Categories per paper: 1..4.
_CAT_COUNTS = [1, 2, 3, 4]
_CAT_CUM = list(accumulate([45, 30, 17, 8]))

_TABLE_BITS = 16
_TABLE_SIZE = 1 << _TABLE_BITS
_MAX_PER_DAY = 260
_WEEKDAY_MODE = 130  # triangular(60, 260, 130) has mean 150

_P_COMMENT = 0.40
_P_DOI = 0.15
_P_JOURNAL = 0.10
_P_RARE = 0.02  # share of abstracts given one rare word
_P_CODE = 0.08  # share of abstracts ending with a code link
_P_BR = 0.03  # share of (daily-format) abstracts with a <br> paragraph break
_P_CROSS = 0.12  # share of e-mail entries that are cross-listings
EMAIL_LIST = "Computer Vision and Pattern Recognition"  # the list the e-mails are for (cs.CV)


# Verbs, adverbs and fillers that read badly in titles.
_NOT_IN_TITLES = """
show propose present demonstrate achieve outperforms generate generated first only through
significantly well most other without under improve improves improved address however
specifically furthermore moreover finally recently previous current trained learned learns
learn evaluate investigate explore designed converge respectively approximately roughly
empirically favorably between different existing effective important challenging key
"""


def _zipf_table(words: list[str], exponent: float = 1.0, offset: float = 2.7) -> list[str]:
    """A lookup table of 2**16 slots where word r fills ~1/(r+offset)**exponent of it."""
    weights = [1.0 / (r + offset) ** exponent for r in range(1, len(words) + 1)]
    total = sum(weights)
    table: list[str] = []
    for word, w in zip(words, weights, strict=True):
        table.extend([word] * max(1, round(w / total * _TABLE_SIZE)))
    if len(table) > _TABLE_SIZE:  # rounding overshoot: trim the top word's share
        del table[: len(table) - _TABLE_SIZE]
    else:
        table.extend([words[0]] * (_TABLE_SIZE - len(table)))
    return table


def _title_words() -> list[str]:
    """Content words for titles, most common first, capitalised."""
    skip = set(WORDS[:60]) | set(_NOT_IN_TITLES.split())
    out = []
    for w in WORDS:
        w = w.rstrip(",")
        if w in skip or len(w) < 3 or not w[0].isalpha():
            continue
        out.append(w if w[0].isupper() else w[:1].upper() + w[1:])
    return out


def _wrap(prefix_len: int, text: str) -> str:
    """Wrap like arXiv metadata: lines < 80 chars, continuations indented two spaces."""
    limit = 79 - prefix_len
    if len(text) <= limit:
        return text
    lines: list[str] = []
    cur = ""
    for word in text.split(" "):
        if cur and len(cur) + 1 + len(word) > limit:
            lines.append(cur)
            cur = word
            limit = 77
        else:
            cur = f"{cur} {word}" if cur else word
    lines.append(cur)
    return "\n  ".join(lines)


def _stamp(d: date, secs: int) -> str:
    h, rem = divmod(secs, 3600)
    m, s = divmod(rem, 60)
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d} {h:02d}:{m:02d}:{s:02d}+00:00"


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.table = _zipf_table(WORDS)
        self.title_table = _zipf_table(_title_words(), exponent=0.9, offset=5.0)
        mean_token = sum(len(w) + 1 for w in self.table) / len(self.table)
        # each sentence adds ~1 starter word and a period; close enough
        self.chars_per_word = mean_token + 0.35
        self.rare_cum = list(accumulate(1.0 / r for r in range(1, len(RARE_WORDS) + 1)))
        self.rare_counts = dict.fromkeys(RARE_WORDS, 0)

    # -- text ---------------------------------------------------------------
    def words(self, n: int) -> list[str]:
        mv = memoryview(self.rng.randbytes(2 * n)).cast("H")
        return list(map(self.table.__getitem__, mv))

    def abstract(self, html: bool) -> str:
        """An abstract of 400..2,500 characters (about 1,200 on average).

        Some end with a code link (an HTML anchor in the daily format, like the
        seeds); some daily-format ones have a ``<br>`` paragraph break.
        """
        rng = self.rng
        rand = rng.random
        code = self.code_sentence(html) if rand() < _P_CODE else ""
        target = min(2500, max(400, int(rng.lognormvariate(math.log(1150), 0.3))))
        target = max(400, target - len(code))
        limit = 2500 - len(code) - 24  # room for a late rare word or a <br>
        words = self.words(int(target / self.chars_per_word) + 30)
        rare = None
        if rand() < _P_RARE:
            rare = RARE_WORDS[bisect(self.rare_cum, rand() * self.rare_cum[-1])]
            self.rare_counts[rare] += 1
            rare_at = int(rand() * max(3, target // 130))  # sentence to put it in
        sentences: list[str] = []
        i, size = 0, -1  # size: length of " ".join(sentences)
        while size < target:
            k = 8 + int(rand() * 21)
            chunk = words[i : i + k]
            i += k
            if len(chunk) < k:
                chunk += self.words(k - len(chunk))
            if rare and len(sentences) == rare_at:
                chunk[int(rand() * k)] = rare
                rare = None
            if rand() < 0.3:
                j = 3 + int(rand() * (k - 6))
                chunk[j] = f"{chunk[j].rstrip(',')}, {CONNECTORS[int(rand() * 8)]}"
            body = " ".join(chunk).rstrip(",")
            if rand() < 0.45:
                sentence = f"{STARTERS[int(rand() * len(STARTERS))]} {body}."
            else:
                sentence = f"{body[:1].upper()}{body[1:]}."
            if size + len(sentence) > limit and size >= 400:
                break
            sentences.append(sentence)
            size += len(sentence) + 1
        if rare:  # the abstract ended before the chosen sentence
            sentences[-1] = f"{sentences[-1][:-1]} {rare}."
        text = " ".join(sentences)
        if html and rand() < _P_BR:
            cut = text.find(". ", len(text) // 2)
            if cut > 0:
                text = f"{text[: cut + 1]} <br>{text[cut + 2 :]}"
        return text + code

    def acronym(self) -> str:
        rng = self.rng
        letters = "".join(
            chr(65 + int(rng.random() * 26)) for _ in range(2 + int(rng.random() * 4))
        )
        r = rng.random()
        if r < 0.15:
            return letters + "Net"
        if r < 0.22:
            return letters + "-Former"
        if r < 0.3:
            return "Deep" + letters
        return letters

    def title(self) -> str:
        rng = self.rng
        rand = rng.random
        target = min(160, max(40, int(rng.lognormvariate(math.log(70), 0.33))))
        mv = memoryview(rng.randbytes(2 * 40)).cast("H")
        table = self.title_table
        r = rand()
        if r < 0.25:
            parts = [self.acronym() + ":"]
        elif r < 0.35:
            parts = [TITLE_OPENERS[int(rand() * len(TITLE_OPENERS))]]
        else:
            parts = []
        length = sum(len(p) + 1 for p in parts)
        since_link = 0
        for idx in mv:
            if since_link >= 2 and rand() < 0.25:
                word = TITLE_LINKS[int(rand() * len(TITLE_LINKS))]
                since_link = 0
            else:
                word = table[idx]
                since_link += 1
            if length + len(word) > 160:
                break
            parts.append(word)
            length += len(word) + 1
            if length > target and since_link:
                break
        if parts[-1] in TITLE_LINKS:
            parts.pop()
        return " ".join(parts)

    def authors(self, k: int) -> str:
        rand = self.rng.random
        names = []
        for _ in range(k):
            first = FIRST_NAMES[int(rand() * len(FIRST_NAMES))]
            last = LAST_NAMES[int(rand() * len(LAST_NAMES))]
            r = rand()
            if r < 0.05:
                names.append(f"{first[0]}. {last}")
            elif r < 0.15:
                names.append(f"{first} {chr(65 + int(rand() * 26))}. {last}")
            else:
                names.append(f"{first} {last}")
        return ", ".join(names)

    def comment(self, year: int) -> str:
        rng = self.rng
        rand = rng.random
        venue = VENUES[int(rand() * len(VENUES))]
        y = year + int(rand() * 2)
        pages = f"{4 + int(rand() * 20)} pages, {1 + int(rand() * 12)} figures"
        r = rand()
        if r < 0.3:
            return pages
        if r < 0.45:
            return f"Accepted to {venue} {y}"
        if r < 0.55:
            return f"{pages}, accepted at {venue} {y}"
        if r < 0.65:
            conf = CONFERENCE_NAMES[int(rand() * len(CONFERENCE_NAMES))]
            return f"Accepted for publication at the {y} {conf} ({venue} {y})"
        if r < 0.72:
            return f"{venue} {y} camera-ready version"
        if r < 0.8:
            user = LAST_NAMES[int(rand() * len(LAST_NAMES))].lower()
            return f"{pages}. Code is available at https://github.com/{user}/{self.acronym()}"
        if r < 0.86:
            yy = (y - 1) % 100
            mm, num = 1 + int(rand() * 12), 1000 + int(rand() * 9000)
            return f"arXiv admin note: text overlap with arXiv:{yy:02d}{mm:02d}.{num:04d}"
        if r < 0.93:
            conf = CONFERENCE_NAMES[int(rand() * len(CONFERENCE_NAMES))]
            return (
                f"Submitted to the {y} {conf} ({venue} {y}), {pages} and "
                f"{1 + int(rand() * 6)} tables; supplementary material included"
            )
        return f"{pages}, {1 + int(rand() * 6)} tables"

    def journal(self, year: int) -> str:
        rand = self.rng.random
        j = JOURNALS[int(rand() * len(JOURNALS))]
        vol = 10 + int(rand() * 80)
        page = 1 + int(rand() * 9000)
        if rand() < 0.5:
            return f"{j}, vol. {vol}, no. {1 + int(rand() * 12)}, pp. {page}-{page + 12}, {year}"
        return f"{j} {vol} ({year}): {100000 + int(rand() * 899999)}"

    def doi(self, year: int) -> str:
        rand = self.rng.random
        r = rand()
        if r < 0.5:
            pre = DOI_PREFIXES[int(rand() * len(DOI_PREFIXES))]
            return f"{pre}.{year}.{3000000 + int(rand() * 999999)}"
        if r < 0.8:
            return f"10.1016/j.patcog.{year}.{100000 + int(rand() * 899999)}"
        book, check, chapter = 10000 + int(rand() * 89999), int(rand() * 9), 1 + int(rand() * 60)
        return f"10.1007/978-3-030-{book}-{check}_{chapter}"

    def categories(self) -> str:
        rng = self.rng
        rand = rng.random
        k = _CAT_COUNTS[bisect(_CAT_CUM, rand() * _CAT_CUM[-1])]
        primary = CATEGORY if rand() < 0.8 else OTHER_PRIMARIES[int(rand() * len(OTHER_PRIMARIES))]
        others = set() if primary == CATEGORY else {CATEGORY}
        k = max(k, 1 + len(others))
        while len(others) < k - 1:
            c = SECONDARY_CATEGORIES[int(rand() * len(SECONDARY_CATEGORIES))]
            if c != primary:
                others.add(c)
        return ", ".join([f"**{primary}**", *sorted(others)])

    def code_sentence(self, html: bool) -> str:
        user = LAST_NAMES[int(self.rng.random() * len(LAST_NAMES))].lower()
        url = f"https://github.com/{user}/{self.acronym()}"
        if html:
            return (
                ' Code is available at: <a class="link-external link-https" '
                f'href="{url}" rel="external noopener nofollow">this https URL</a>'
            )
        return f" Code is available at {url}."

    # -- one digest -----------------------------------------------------------
    def day(self, d: date, n: int, fmt: str, ids: list[str]) -> tuple[str, list[str]]:
        """Text of the digest for day ``d`` with ``n`` papers, and each entry's text."""
        rng = self.rng
        rand = rng.random
        if fmt == "daily":
            head = (
                f"# ArXiv {CATEGORY} --{WEEKDAYS[d.weekday()]}, "
                f"{d.day:02d} {MONTHS[d.month - 1]} {d.year}\n"
            )
            entries = []
            for i, pid in enumerate(reversed(ids), 1):
                abstract = self.abstract(html=True)
                entries.append(
                    f"### {i}.{self.title()}  [ :arrow_down: ](https://arxiv.org/pdf/{pid}.pdf)\n"
                    f">  {abstract}      \n"
                )
            return head + "".join(entries), entries

        if fmt == "email":
            return self.email(d, n, ids)
        iso = d.isoformat()
        head = f"# Arxiv Papers in {CATEGORY} on {iso}\n"
        times = sorted(int(rand() * 86400) for _ in range(n))
        ordinal = d.toordinal()
        n_authors = rng.choices(_AUTHOR_COUNTS, cum_weights=_AUTHOR_CUM, k=n)
        entries = []
        for pid, secs, k in zip(ids, times, n_authors, strict=True):
            published = _stamp(d, secs)
            r = rand()
            if r < 0.55:
                version, updated = 1, published
            else:
                version = 2 if r < 0.85 else 3 + int(rand() * 3)
                later = date.fromordinal(ordinal + 1 + int(rand() * 700))
                updated = _stamp(later, int(rand() * 86400))
            comment = _wrap(10, self.comment(d.year)) if rand() < _P_COMMENT else "None"
            doi = self.doi(d.year) if rand() < _P_DOI else "None"
            journal = _wrap(13, self.journal(d.year)) if rand() < _P_JOURNAL else "None"
            abstract = self.abstract(html=False)
            entries.append(
                f"### {self.title()}\n"
                f"- **Arxiv ID**: http://arxiv.org/abs/{pid}v{version}\n"
                f"- **DOI**: {doi}\n"
                f"- **Categories**: {self.categories()}\n"
                f"- **Links**: [PDF](http://arxiv.org/pdf/{pid}v{version})\n"
                f"- **Published**: {published}\n"
                f"- **Updated**: {updated}\n"
                f"- **Authors**: {self.authors(k)}\n"
                f"- **Comment**: {comment}\n"
                f"- **Journal**: {journal}\n"
                f"- **Summary**: {abstract}\n\n\n\n"
            )
        return head + "".join(entries), entries

    def email(self, d: date, n: int, ids: list[str]) -> tuple[str, list[str]]:
        """arXiv's listing e-mail for day ``d`` (a weekday) with ``n`` papers."""
        rng = self.rng
        rand = rng.random
        # The window ends the weekday before (Friday for a Monday listing).
        back = 3 if d.weekday() == 0 else 1
        to = date.fromordinal(d.toordinal() - back)
        since = date.fromordinal(to.toordinal() - 1)
        rule = "-" * 78 + "\n"

        def stamp(x: date) -> str:
            return f"{WEEKDAYS[x.weekday()]} {x.day:02d} {MONTHS[x.month - 1]} {x.year % 100:02d}"

        head = (
            f"{rule}{rule}Send any comments regarding submissions directly to submitter.\n"
            f"{rule}Archives at http://arxiv.org/\n"
            "To unsubscribe, e-mail To: cs@arXiv.org, Subject: cancel\n"
            f"{rule} Submissions to:\n{EMAIL_LIST}\n"
            f" received from  {stamp(since)} 19:00:00 GMT  to  {stamp(to)} 19:00:00 GMT\n"
            f"{rule}{rule}"
        )
        n_authors = rng.choices(_AUTHOR_COUNTS, cum_weights=_AUTHOR_CUM, k=n)
        entries = []
        for pid, k in zip(ids, n_authors, strict=True):
            sub = date.fromordinal(to.toordinal() - int(rand() * 10))
            secs = int(rand() * 86400)
            h, rem = divmod(secs, 3600)
            kb = 50 + int(rand() * 9000)
            cross = " (*cross-listing*)" if rand() < _P_CROSS else ""
            cats = self.categories().replace("**", "").replace(",", "")
            lines = [
                "\\\\",
                f"arXiv:{pid}{cross}",
                f"Date: {WEEKDAYS[sub.weekday()]}, {sub.day} {MONTHS[sub.month - 1]} {sub.year}"
                f" {h:02d}:{rem // 60:02d}:{rem % 60:02d} GMT   ({kb}kb)",
                "",
                "Title: " + _wrap(7, self.title()),
                "Authors: " + _wrap(9, self.authors(k)),
                f"Categories: {cats}",
            ]
            if rand() < _P_COMMENT:
                lines.append("Comments: " + _wrap(10, self.comment(d.year)))
            if rand() < _P_JOURNAL:
                lines.append("Journal-ref: " + _wrap(13, self.journal(d.year)))
            if rand() < _P_DOI:
                lines.append(f"DOI: {self.doi(d.year)}")
            lines.append("\\\\")
            lines.append("  " + _fill(self.abstract(html=False)))
            lines.append(f"\\\\ ( https://arxiv.org/abs/{pid} ,  {kb}kb)")
            entries.append("\n".join(lines) + "\n" + rule)
        return head + "".join(entries), entries


def _fill(text: str, width: int = 79) -> str:
    """Wrap an abstract flush left at ``width`` (its first line is indented by the caller)."""
    lines: list[str] = []
    cur, limit = "", width - 2
    for word in text.split(" "):
        if cur and len(cur) + 1 + len(word) > limit:
            lines.append(cur)
            cur, limit = word, width
        else:
            cur = f"{cur} {word}" if cur else word
    lines.append(cur)
    return "\n".join(lines)


def _common_word_candidates() -> list[str]:
    """Content words (most common first) that never occur inside another token."""
    tokens: set[str] = set()
    static = [
        *WORDS,
        *STARTERS,
        *CONNECTORS,
        *TITLE_LINKS,
        *TITLE_OPENERS,
        *FIRST_NAMES,
        *LAST_NAMES,
        *VENUES,
        *CONFERENCE_NAMES,
        *JOURNALS,
        *RARE_WORDS,
        "Code is available at https://github.com arxiv.org abs pdf Arxiv Papers in",
        "DOI Categories Links PDF Published Updated Authors Comment Journal Summary None",
        "pages figures tables supplementary material included Accepted to accepted at",
        "for publication the camera-ready version admin note: text overlap with Submitted",
        "vol. no. pp. Net -Former Deep arrow_down link-external link-https href rel",
        "external noopener nofollow this https URL",
    ]
    for text in static:
        for tok in text.lower().replace(":", " ").replace("/", " ").split():
            tokens.add(tok.strip(".,;:()"))
    stop = set(WORDS[:60])
    out = []
    for w in WORDS:
        w = w.lower()
        if w in stop or len(w) < 5 or not w.isalpha():
            continue
        if all(w not in t or w == t for t in tokens):
            out.append(w)
    return out


def make_corpus(
    n: int,
    out: Path,
    seed: int = 0,
    fmt: str = "both",
    start: date = date(2010, 1, 1),
    per_file: int | None = None,
) -> dict:
    """Write ``n`` synthetic papers as daily digests under ``out``; return the summary.

    The summary (also written to ``out/corpus.json``) holds N, days, files, bytes,
    per-format counts and a suggested common and rare word with the number of
    papers whose entry text contains each (case-insensitive substring).
    """
    if fmt not in ("both", "email", *FORMATS):
        raise ValueError(f"unknown format {fmt!r}")
    if per_file is not None and per_file < 1:
        raise ValueError("per_file must be >= 1")
    email = fmt == "email"
    if n < 0:
        raise ValueError("n must be >= 0")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    gen = _Generator(seed)
    rng = gen.rng
    rand = rng.random

    common = _common_word_candidates()[0]
    common_papers = 0

    remaining = n
    d = start
    files = days = total_bytes = 0
    empty_files = 0
    per_format = dict.fromkeys((*FORMATS, "email") if email else FORMATS, 0)
    papers_per_format = dict.fromkeys(per_format, 0)
    first_day = last_day = None
    month_key = None
    made_dirs: set[Path] = set()
    # id state for the current month
    counter = gap_budget = 0
    digits = 4

    while remaining > 0:
        days += 1
        if (d.year, d.month) != month_key:
            month_key = (d.year, d.month)
            digits = 4 if d.year < 2015 else 5
            cap = 10**digits - 1
            counter = 1 + int(rand() * (30 if digits == 4 else 200))
            gap_budget = cap - counter - 31 * _MAX_PER_DAY
            if per_file is not None:  # ids are dense: a month of large files must fit
                counter, gap_budget = 1, 0
        weekend = d.weekday() >= 5
        if email and weekend:
            count = -1  # arXiv mails its listings on weekdays
        elif per_file is not None:
            count = per_file
        elif weekend:
            r = rand()
            count = -1 if r < 0.45 else 0 if r < 0.55 else 20 + int(rand() * 71)
        else:
            count = int(rng.triangular(60, _MAX_PER_DAY, _WEEKDAY_MODE))
        if count < 0:  # skipped day: no file at all
            d = date.fromordinal(d.toordinal() + 1)
            continue
        count = min(count, remaining)
        fmt_day = fmt if fmt != "both" else FORMATS[rand() < 0.5]
        if per_file is not None and count > 10**digits - 1 - counter:
            digits = 5  # a month of large files needs five-digit ids

        yymm = f"{d.year % 100:02d}{d.month:02d}."
        ids = []
        for _ in range(count):
            if gap_budget > 0 and rand() < 0.35:
                extra = min(gap_budget, 1 + int(rand() ** 2 * (4 if digits == 4 else 25)))
                counter += extra
                gap_budget -= extra
            ids.append(f"{yymm}{counter:0{digits}d}")
            counter += 1

        text, entries = gen.day(d, count, fmt_day, ids)
        for entry in entries:
            if common in entry.lower():
                common_papers += 1
        folder = out / f"{d.year:04d}" / f"{d.month:02d}"
        if folder not in made_dirs:
            folder.mkdir(parents=True, exist_ok=True)
            made_dirs.add(folder)
        data = text.encode("utf-8")
        (folder / f"{d.isoformat()}.{'txt' if email else 'md'}").write_bytes(data)
        total_bytes += len(data)
        files += 1
        empty_files += count == 0
        per_format[fmt_day] += 1
        papers_per_format[fmt_day] += count
        remaining -= count
        if first_day is None:
            first_day = d
        last_day = d
        d = date.fromordinal(d.toordinal() + 1)

    # rare word: the one whose paper count is closest to N/2000 (at least 1 paper)
    target = max(1.0, n / 2000)
    seen = [(w, c) for w, c in gen.rare_counts.items() if c > 0]
    if seen:
        rare, rare_papers = min(seen, key=lambda wc: (abs(wc[1] - target), wc[1]))
    else:
        rare, rare_papers = RARE_WORDS[0], 0

    summary = {
        "N": n,
        "seed": seed,
        "format": fmt,
        "category": CATEGORY,
        "first_date": first_day.isoformat() if first_day else None,
        "last_date": last_day.isoformat() if last_day else None,
        "days": days,
        "files": files,
        "empty_files": empty_files,
        "files_per_format": per_format,
        "papers_per_format": papers_per_format,
        "bytes": total_bytes,
        "common_word": common,
        "common_word_papers": common_papers,
        "rare_word": rare,
        "rare_word_papers": rare_papers,
    }
    (out / "corpus.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def _clean(out: Path) -> None:
    """Remove what an earlier run wrote (year folders and corpus.json) -- nothing else."""
    for child in out.iterdir():
        if child.is_dir() and len(child.name) == 4 and child.name.isdigit():
            shutil.rmtree(child)
    (out / "corpus.json").unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("n", type=int, metavar="N", help="number of papers")
    p.add_argument("dir", type=Path, metavar="DIR", help="output folder")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--format", choices=["both", "email", *FORMATS], default="both")
    p.add_argument("--per-file", type=int, default=None, metavar="K", help="papers per file")
    p.add_argument("--start-date", type=date.fromisoformat, default=date(2010, 1, 1))
    p.add_argument(
        "--force",
        action="store_true",
        help="if DIR is not empty, first remove year folders and corpus.json in it",
    )
    args = p.parse_args(argv)
    out: Path = args.dir
    if out.exists() and any(out.iterdir()):
        if not args.force:
            p.error(f"{out} is not empty (use --force to replace an earlier corpus)")
        _clean(out)
    t0 = time.perf_counter()
    s = make_corpus(
        args.n, out, seed=args.seed, fmt=args.format, start=args.start_date, per_file=args.per_file
    )
    dt = time.perf_counter() - t0
    print(
        f"wrote {s['N']} papers in {s['files']} files ({s['empty_files']} empty) over "
        f"{s['days']} days, {s['first_date']}..{s['last_date']}, "
        f"{s['bytes'] / 1e6:.1f} MB in {dt:.1f} s"
    )
    print(f"common word: {s['common_word']!r} ({s['common_word_papers']} papers)")
    print(f"rare word:   {s['rare_word']!r} ({s['rare_word_papers']} papers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
