"""TeX as readable text (digest_tui.tex): accents, math, links, hostile input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest_tui.tex import MAX_DEPTH, convert, has_tex, to_text


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        # The examples.
        (r"$\ell_0$ Minimization", "ℓ₀ Minimization"),
        (r"$TCP_\alpha$", "TCP_α"),
        (r"$\mathcal{O}(n)$", "𝒪(n)"),
        (r"$\times$", "×"),
        (r"$\leq$", "≤"),
        # Accents in names.
        (r"Hern\'andez-Lara", "Hernández-Lara"),
        (r"Bal\'azs Tarj\'an", "Balázs Tarján"),
        (r"K\"ahler", "Kähler"),
        (r"Nie{\ss}ner", "Nießner"),
        (r"Przemys{\l}aw", "Przemysław"),
        (r"Erdo{\u{g}}mu\c{s}", "Erdoğmuş"),
        (r"Ko\v{s}{\v c}evi\'c", "Koščević"),
        (r"{\'E}cole", "École"),
        (r"\'\i", "í"),
        (r"Ya{ğ}mur", "Yağmur"),
        # Math seen in real titles.
        (r"$\mathbb R^k$", "ℝᵏ"),
        (r"$\bf{10^{7}}$ Nodes", "10⁷ Nodes"),
        (r"360$^{\circ}$ Images", "360° Images"),
        (r"R$^2$-CNN", "R²-CNN"),
        (r"UG$^{2+}$ Track", "UG²⁺ Track"),
        (r"($\text{POINT}^2$)", "(POINT²)"),
        (r"$\ell^1/\ell^0$-Equivalence", "ℓ¹/ℓ⁰-Equivalence"),
        (r"$\frac{a+b}{2}$ and $\sqrt{x}$", "(a+b)/2 and √x"),
        (r"$x \in \mathbb{R}^{d\times d}$", "x ∈ ℝ^(d×d)"),
        (r"$\hat{x}$", "x̂"),
        (r"$\{0,1\}^n$", "{0,1}ⁿ"),
        (r"64$\times$64 pixels", "64×64 pixels"),
        (r"Mitch-$w$6", "Mitch-w6"),
        # Text commands, escapes and links.
        (r"\textbf{Bold} and \emph{em} {\em x}", "Bold and em x"),
        (r"50\% of \& x", "50% of & x"),
        (r"\hyperlink{https://x.org/a}{code}", "code (https://x.org/a)"),
        (r"\hyperlink{sec2}{Section 2}", "Section 2"),
        (r"\href{https://a.b/c\_d}{here}", "here (https://a.b/c_d)"),
        (r"\href{https://a.b/}{https://a.b/}", "https://a.b/"),
        (r"{\small\url{https://github.com/a_b}}", "https://github.com/a_b"),
        (r"ResNet \cite{he2016deep}", "ResNet [he2016deep]"),
        (r"\romannumeral2, then", "ii, then"),
        # Not TeX: left alone.
        ("costs $5 and $10 each", "costs $5 and $10 each"),
        ("Just Add $100 More", "Just Add $100 More"),
        ("a {z} b", "a {z} b"),
        ("plain text", "plain text"),
    ],
)
def test_converts(tex: str, text: str) -> None:
    converted = convert(tex)
    assert converted.text == text
    assert converted.problem is None


@pytest.mark.parametrize(
    ("tex", "text", "problem"),
    [
        (r"$\foo x$", r"\foo x", r"unknown command \foo"),
        (r"a \RV{new} b", r"a \RV{new} b", r"unknown command \RV"),
        ("{unbalanced", "{unbalanced", "unpaired {"),
        ("a } b", "a } b", "unpaired }"),
        ("MPH]{Thai", "MPH]{Thai", "unpaired {"),
        ("costs $ x", "costs $ x", "unpaired $"),
        ("ends with \\", "ends with \\", "\\ at the end"),
    ],
)
def test_reports_what_it_keeps_as_written(tex: str, text: str, problem: str) -> None:
    converted = convert(tex)
    assert (converted.text, converted.problem) == (text, problem)


def test_names_lose_every_brace() -> None:
    assert to_text("{Li} Wei") == "{Li} Wei"
    assert convert("{Li} Wei", names=True).text == "Li Wei"


def test_has_tex() -> None:
    assert not has_tex("Deep Learning (v2) <b>")
    assert all(has_tex(s) for s in ("\\'e", "$x$", "{a}", "a}"))


@pytest.mark.parametrize(
    "hostile",
    [
        "{" * 100_000,
        "}" * 100_000,
        "\\'" * 100_000,
        "$" * 100_000,
        "$$" + "{" * 50_000 + "$$",
        "$x^" * 30_000,
        "\\href{" * 30_000,
        "\\sqrt[" * 30_000,
        "$\\frac" * 30_000,
        "\\" * 100_001,
    ],
)
def test_hostile_input_is_bounded(hostile: str) -> None:
    # Nesting is bounded (no RecursionError) and nothing is lost or invented.
    converted = convert(hostile)
    assert len(converted.text) <= 2 * len(hostile)
    assert converted.problem is not None or converted.text != hostile


def test_nesting_deeper_than_the_bound_is_reported() -> None:
    deep = "{" * (MAX_DEPTH + 5) + "x" + "}" * (MAX_DEPTH + 5)
    assert convert(deep).problem == "braces nested too deeply"
    shallow = "a{" * (MAX_DEPTH - 1) + "x" + "}" * (MAX_DEPTH - 1)
    assert convert(shallow) == convert(shallow)  # deterministic
    assert convert(shallow).problem is None


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(list("ab $\\{}^_'\"`~.,()[]") + ["\\frac", "\\'", "\\href{", "\\alpha"])
    ).map("".join)
)
def test_never_raises_and_text_without_tex_is_kept(text: str) -> None:
    converted = convert(text)
    assert isinstance(converted.text, str)
    plain = text.replace("\\", "").replace("$", "").replace("{", "").replace("}", "")
    assert convert(plain).text == plain
