"""TeX as readable text: accents, inline math and links as Unicode.

Digest titles, abstracts and author names are often written in TeX:
``Hern\\'andez``, ``Nie{\\ss}ner``, ``$\\ell_0$ Minimization``,
``$\\mathcal{O}(n)$``, ``\\href{https://...}{code}``.  :func:`convert` turns
such text into what a reader would see printed (``Hernández``, ``Nießner``,
``ℓ₀ Minimization``, ``𝒪(n)``, ``code (https://...)``) and tells whether it
had to guess (an unknown command, an unpaired ``$`` or brace).

The converter is a single left-to-right scan with a table of symbols,
accents, fonts and sub/superscripts: linear in the length of its input,
with the nesting of braces bounded (:data:`MAX_DEPTH`), so hostile text
cannot make it slow or exhaust the stack.  Unknown commands are kept as
written.  Text without ``\\``, ``$``, ``{`` or ``}`` is returned as it is.

This module is part of the core and must not import Textual.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["MAX_DEPTH", "Converted", "convert", "has_tex", "to_text"]

#: Braces nested deeper than this are kept as written (and reported).
MAX_DEPTH = 24
# Inline math longer than this is not taken for math (a stray "$" ... "$").
_MAX_MATH = 4000
_MAX_NAME = 40  # letters of a command name

# ----------------------------------------------------------------- tables

# Accent commands -> combining mark.
_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
    "b": "\u0331",
    "t": "\u0361",
}
_MATH_ACCENTS = {
    "hat": "\u0302",
    "widehat": "\u0302",
    "tilde": "\u0303",
    "widetilde": "\u0303",
    "bar": "\u0304",
    "overline": "\u0304",
    "vec": "\u20d7",
    "dot": "\u0307",
    "ddot": "\u0308",
    "check": "\u030c",
    "breve": "\u0306",
    "acute": "\u0301",
    "grave": "\u0300",
}
# Text symbols (letters inside words: a space after them is TeX's, not the text's).
_LETTERS = {
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "l": "ł",
    "L": "Ł",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "i": "ı",
    "j": "ȷ",
    "dh": "ð",
    "DH": "Ð",
    "th": "þ",
    "TH": "Þ",
    "ng": "ŋ",
    "NG": "Ŋ",
    "dj": "đ",
    "DJ": "Đ",
}
_TEXT_SYMBOLS = {
    "textendash": "–",
    "textemdash": "—",
    "textquoteright": "’",
    "textquoteleft": "‘",
    "textquotedblleft": "“",
    "textquotedblright": "”",
    "dag": "†",
    "ddag": "‡",
    "S": "§",
    "P": "¶",
    "copyright": "©",
    "textcopyright": "©",
    "textregistered": "®",
    "texttrademark": "™",
    "pounds": "£",
    "euro": "€",
    "texteuro": "€",
    "textdegree": "°",
    "textasciitilde": "~",
    "textbar": "|",
    "textless": "<",
    "textgreater": ">",
    "textunderscore": "_",
    "textasciicircum": "^",
    "textbackslash": "\\",
    "textbullet": "•",
    "LaTeX": "LaTeX",
    "TeX": "TeX",
    "ldots": "…",
    "dots": "…",
    "textellipsis": "…",
    "ie": "i.e.",
    "eg": "e.g.",
    "etc": "etc.",
    "etal": "et al.",
    "vs": "vs.",
    "wrt": "w.r.t.",
    "degree": "°",
    "textquotesingle": "'",
    "negmedspace": "",
    "negthinspace": "",
    "newline": " ",
    "par": " ",
    "linebreak": " ",
    "quad": " ",
    "qquad": " ",
    "noindent": "",
    "centering": "",
    "protect": "",
    "relax": "",
    "xspace": "",
    "ignorespaces": "",
}
# Declarations that only change the look: dropped with the space after them.
_DECLARATIONS = frozenset(
    "em it bf sl sc tt rm sf bfseries itshape ttfamily mdseries upshape scshape slshape"
    " rmfamily sffamily normalfont small footnotesize scriptsize tiny large Large LARGE"
    " huge Huge normalsize boldmath unboldmath displaystyle textstyle scriptstyle"
    " scriptscriptstyle cal limits nolimits left right big Big bigg Bigg bigl bigr Bigl"
    " Bigr biggl biggr Biggl Biggr middle".split()
)
# Commands whose one argument is text to keep.
_KEEP_ARG = frozenset(
    "emph textbf textit texttt textsl textrm textsc textsf textup textnormal textmd"
    " mbox hbox underline uline text mathrm mathit mathbf mathsf mathtt mathnormal"
    " boldsymbol bm operatorname pmb textsuperscript textsubscript footnote"
    " mathscr mathcal mathbb mathbbm mathds mathfrak".split()
)
_MATH_SYMBOLS = {
    # Greek
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ϵ",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "vartheta": "ϑ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "varpi": "ϖ",
    "rho": "ρ",
    "varrho": "ϱ",
    "sigma": "σ",
    "varsigma": "ς",
    "tau": "τ",
    "upsilon": "υ",
    "phi": "ϕ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Xi": "Ξ",
    "Pi": "Π",
    "Sigma": "Σ",
    "Upsilon": "Υ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
    # letter-like
    "ell": "ℓ",
    "hbar": "ℏ",
    "Re": "ℜ",
    "Im": "ℑ",
    "aleph": "ℵ",
    "wp": "℘",
    "partial": "∂",
    "nabla": "∇",
    "infty": "∞",
    "emptyset": "∅",
    "varnothing": "∅",
    "forall": "∀",
    "exists": "∃",
    "nexists": "∄",
    "neg": "¬",
    "lnot": "¬",
    "top": "⊤",
    "bot": "⊥",
    "perp": "⊥",
    "angle": "∠",
    "dagger": "†",
    "ddagger": "‡",
    "prime": "′",
    "checkmark": "✓",
    "degree": "°",
    "circledast": "⊛",
    "negmedspace": "",
    "negthinspace": "",
    # operators
    "times": "×",
    "div": "÷",
    "cdot": "·",
    "pm": "±",
    "mp": "∓",
    "ast": "∗",
    "star": "⋆",
    "circ": "∘",
    "bullet": "•",
    "oplus": "⊕",
    "ominus": "⊖",
    "otimes": "⊗",
    "odot": "⊙",
    "cup": "∪",
    "cap": "∩",
    "setminus": "∖",
    "wedge": "∧",
    "land": "∧",
    "vee": "∨",
    "lor": "∨",
    "sum": "∑",
    "prod": "∏",
    "coprod": "∐",
    "int": "∫",
    "iint": "∬",
    "oint": "∮",
    "bigcup": "⋃",
    "bigcap": "⋂",
    "bigoplus": "⨁",
    "bigotimes": "⨂",
    "sqrt": "√",
    # relations
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "leqslant": "⩽",
    "geqslant": "⩾",
    "neq": "≠",
    "ne": "≠",
    "ll": "≪",
    "lesssim": "≲",
    "gtrsim": "≳",
    "lessapprox": "⪅",
    "gtrapprox": "⪆",
    "gg": "≫",
    "approx": "≈",
    "sim": "∼",
    "simeq": "≃",
    "cong": "≅",
    "equiv": "≡",
    "propto": "∝",
    "in": "∈",
    "notin": "∉",
    "ni": "∋",
    "subset": "⊂",
    "supset": "⊃",
    "subseteq": "⊆",
    "supseteq": "⊇",
    "prec": "≺",
    "succ": "≻",
    "preceq": "⪯",
    "succeq": "⪰",
    "mid": "∣",
    "parallel": "∥",
    "vdash": "⊢",
    "models": "⊨",
    "coloneqq": "≔",
    "triangleq": "≜",
    "colon": ":",
    # arrows
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "gets": "←",
    "leftrightarrow": "↔",
    "Rightarrow": "⇒",
    "Leftarrow": "⇐",
    "Leftrightarrow": "⇔",
    "implies": "⟹",
    "impliedby": "⟸",
    "iff": "⟺",
    "mapsto": "↦",
    "longrightarrow": "⟶",
    "longleftarrow": "⟵",
    "longmapsto": "⟼",
    "uparrow": "↑",
    "downarrow": "↓",
    "hookrightarrow": "↪",
    "rightleftharpoons": "⇌",
    # delimiters and dots
    "langle": "⟨",
    "rangle": "⟩",
    "lceil": "⌈",
    "rceil": "⌉",
    "lfloor": "⌊",
    "rfloor": "⌋",
    "vert": "|",
    "lvert": "|",
    "rvert": "|",
    "Vert": "‖",
    "lVert": "‖",
    "rVert": "‖",
    "cdots": "⋯",
    "ldots": "…",
    "dots": "…",
    "vdots": "⋮",
    "ddots": "⋱",
    # spacing
    "quad": " ",
    "qquad": " ",
    "deg": "°",
}
# Function names set upright in math: \log -> "log".
_MATH_WORDS = frozenset(
    "log ln lg exp sin cos tan cot sec csc sinh cosh tanh coth arcsin arccos arctan"
    " max min sup inf lim liminf limsup arg argmax argmin det dim ker deg gcd hom Pr"
    " mod bmod pmod".split()
)
# Single-character commands.
_CHAR_COMMANDS = {
    "%": "%",
    "&": "&",
    "#": "#",
    "$": "$",
    "_": "_",
    "{": "{",
    "}": "}",
    " ": " ",
    ",": " ",
    ";": " ",
    ":": " ",
    ">": " ",
    "!": "",
    "-": "",
    "/": "",
    "@": "",
    "\\": " ",
    "|": "‖",
}

_SUPERSCRIPTS = dict(
    zip(
        "0123456789+-=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVWαβγδεθιφχ",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵅᵝᵞᵟᵋᶿᶥᶲᵡ",
        strict=True,
    )
)
_SUPERSCRIPTS.update({"∗": "*", "*": "*", "′": "′", "⊤": "ᵀ", "−": "⁻", " ": ""})
_SUBSCRIPTS = dict(
    zip(
        "0123456789+-=()aehijklmnoprstuvxβγρφχ",
        "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ",
        strict=True,
    )
)
_SUBSCRIPTS[" "] = ""


def _alphabet(caps: int, small: int | None, holes: dict[str, str]) -> dict[str, str]:
    table = {chr(65 + k): chr(caps + k) for k in range(26)}
    if small is not None:
        table.update({chr(97 + k): chr(small + k) for k in range(26)})
    table.update(holes)
    return table


_FONTS = {
    "mathcal": _alphabet(
        0x1D49C,
        0x1D4B6,
        {
            "B": "ℬ",
            "E": "ℰ",
            "F": "ℱ",
            "H": "ℋ",
            "I": "ℐ",
            "L": "ℒ",
            "M": "ℳ",
            "R": "ℛ",
            "e": "ℯ",
            "g": "ℊ",
            "o": "ℴ",
        },
    ),
    "mathbb": _alphabet(
        0x1D538,
        0x1D552,
        {
            "C": "ℂ",
            "H": "ℍ",
            "N": "ℕ",
            "P": "ℙ",
            "Q": "ℚ",
            "R": "ℝ",
            "Z": "ℤ",
            **{str(d): chr(0x1D7D8 + d) for d in range(10)},
        },
    ),
    "mathfrak": _alphabet(0x1D504, 0x1D51E, {"C": "ℭ", "H": "ℌ", "I": "ℑ", "R": "ℜ", "Z": "ℨ"}),
}
_FONTS["mathscr"] = _FONTS["mathcal"]
_FONTS["mathbbm"] = _FONTS["mathds"] = _FONTS["mathbb"]

_LINKS = frozenset(("url", "href", "hyperlink"))
# Citations and references: the key is shown in brackets ("[he2016deep]").
_CITES = frozenset(
    "cite citep citet citeauthor citeyear parencite textcite ref eqref autoref cref Cref".split()
)
# Commands whose first argument only changes the look of the second.
_STYLE_FIRST = frozenset("textcolor colorbox overset underset stackrel".split())
_DROP_ARG = frozenset("label color vspace hspace".split())
_ROMAN = (
    (1000, "m"),
    (900, "cm"),
    (500, "d"),
    (400, "cd"),
    (100, "c"),
    (90, "xc"),
    (50, "l"),
    (40, "xl"),
    (10, "x"),
    (9, "ix"),
    (5, "v"),
    (4, "iv"),
    (1, "i"),
)


# ----------------------------------------------------------------- API


@dataclass(frozen=True, slots=True)
class Converted:
    """The readable text, and what had to be guessed (None when nothing)."""

    text: str
    problem: str | None = None


def has_tex(text: str) -> bool:
    """True when ``text`` holds a character the converter would act on."""
    return "\\" in text or "$" in text or "{" in text or "}" in text


def to_text(text: str) -> str:
    """``text`` with its TeX made readable (see :func:`convert`)."""
    return convert(text).text


def convert(text: str, *, names: bool = False) -> Converted:
    """``text`` with accents, math, font and link commands as Unicode text.

    ``problem`` names the first thing that was not understood (it is then
    kept as written): an unknown command, an unpaired ``$`` or brace, or
    braces nested deeper than :data:`MAX_DEPTH`.  Braces in plain text
    (``a {b} c``) are kept unless ``names``: in an author name every brace
    is TeX's (``{Li} Wei``).
    """
    if not has_tex(text):
        return Converted(text)
    scanner = _Scanner(text, names)
    out = scanner.run()
    return Converted(out, scanner.problem)


# ----------------------------------------------------------------- the scanner


def _is_letter(c: str) -> bool:
    return ("a" <= c <= "z") or ("A" <= c <= "Z")


def _accent(base: str, mark: str) -> str:
    if not base:
        return ""
    first, rest = base[0], base[1:]
    if first == "ı":
        first = "i"
    elif first == "ȷ":
        first = "j"
    return unicodedata.normalize("NFC", first + mark) + rest


def _script(body: str, table: dict[str, str], sign: str) -> str:
    if body and all(c in table for c in body):
        return "".join(table[c] for c in body)
    if len(body) == 1:
        return sign + body
    return f"{sign}({body})"


def _wrap(body: str) -> str:
    """A fraction's numerator or denominator, in parentheses when needed."""
    return body if len(body) <= 1 or body.isalnum() else f"({body})"


class _Scanner:
    """One pass over ``text``; ``pos`` only moves forward."""

    def __init__(self, text: str, names: bool = False) -> None:
        self.names = names  # every brace pair is TeX's (author names)
        self.s = text
        self.n = len(text)
        self.pos = 0
        self.depth = 0
        self.problem: str | None = None
        self.pairs: dict[int, int] | None = None  # "{" -> its "}", found once

    def _tex_group(self, start: int) -> bool:
        """Whether the ``{`` at ``start`` groups TeX: ``{\\em x}``, ``Ya{ğ}mur``."""
        s = self.s
        if s[start + 1 : start + 2] == "\\":
            return True
        return start > 0 and not s[start - 1].isspace() and s[start - 1] not in "([{"

    def note(self, problem: str) -> None:
        if self.problem is None:
            self.problem = problem

    def run(self) -> str:
        out = self.text_until(None)
        while self.pos < self.n:  # a "}" with no "{" before it
            self.note("unpaired }")
            self.pos += 1
            out += "}" + self.text_until(None)
        return out

    # -- helpers

    def skip_spaces(self) -> None:
        s, n = self.s, self.n
        while self.pos < n and s[self.pos] in " \t\n":
            self.pos += 1

    def command_name(self) -> str:
        """The command after a backslash at ``pos - 1``; ``pos`` moves past it."""
        s, start = self.s, self.pos
        if start >= self.n:
            return ""
        if not _is_letter(s[start]):
            self.pos += 1
            return s[start]
        end = start
        while end < self.n and end - start < _MAX_NAME and _is_letter(s[end]):
            end += 1
        self.pos = end
        return s[start:end]

    def raw_group(self) -> str | None:
        """The text of a ``{...}`` at ``pos`` as written (for URLs), or None."""
        self.skip_spaces()
        if self.pos >= self.n or self.s[self.pos] != "{":
            return None
        if self.pairs is None:
            self.pairs = _brace_pairs(self.s)
        end = self.pairs.get(self.pos, -1)
        if end < 0 or end >= self.n:
            return None
        body = self.s[self.pos + 1 : end]
        self.pos = end + 1
        return body

    def group(self, math: bool) -> str:
        """The converted ``{...}`` whose ``{`` is at ``pos`` (``pos`` moves past it)."""
        self.pos += 1
        if self.depth >= MAX_DEPTH:
            self.note("braces nested too deeply")
            return "{"
        self.depth += 1
        body = self.math_until("}") if math else self.text_until("}")
        self.depth -= 1
        if self.pos < self.n and self.s[self.pos] == "}":
            self.pos += 1
            return body
        self.note("unpaired {")
        return "{" + body

    def argument(self, math: bool) -> str:
        """One argument: a group, a command or one character (converted)."""
        self.skip_spaces()
        if self.pos >= self.n:
            return ""
        c = self.s[self.pos]
        if c == "{":
            return self.group(math)
        if c == "}":
            return ""
        if c == "\\":
            self.pos += 1
            if self.depth >= MAX_DEPTH:
                self.note("commands nested too deeply")
                return "\\"
            self.depth += 1
            out = self.command(self.command_name(), math)
            self.depth -= 1
            return out
        self.pos += 1
        return c

    def optional(self) -> str | None:
        """An optional ``[...]`` argument as written (short, no nesting)."""
        if self.pos < self.n and self.s[self.pos] == "[":
            end = self.s.find("]", self.pos, min(self.n, self.pos + 100))
            if end > 0:
                body = self.s[self.pos + 1 : end]
                self.pos = end + 1
                return body
        return None

    # -- modes

    def text_until(self, stop: str | None) -> str:
        s, n = self.s, self.n
        out: list[str] = []
        while self.pos < n:
            c = s[self.pos]
            if c == stop:
                break
            if c == "\\":
                self.pos += 1
                name = self.command_name()
                if name == "(" or name == "[":
                    out.append(self.math_until("\\" + (")" if name == "(" else "]")))
                    continue
                out.append(self.command(name, False))
            elif c == "$":
                out.append(self.dollar())
            elif c == "{":
                start = self.pos
                body = self.group(False)
                if self.names or self._tex_group(start):
                    out.append(body)
                else:  # "{z}" in plain text: braces that are not TeX's
                    out.append("{" + body + "}" if self.s[self.pos - 1] == "}" else body)
            elif c == "}":
                if stop is None:
                    break
                self.pos += 1
                out.append("}")
            else:
                start = self.pos
                while self.pos < n and s[self.pos] not in "\\${}":
                    self.pos += 1
                out.append(s[start : self.pos])
        return "".join(out)

    def dollar(self) -> str:
        """Inline math at ``pos`` (a ``$``), or a literal ``$`` when it is not math."""
        s, i = self.s, self.pos
        if s.startswith("$$", i):
            end = s.find("$$", i + 2, min(self.n, i + 2 + _MAX_MATH))
            if end > i + 2:
                return self.math_span(i + 2, end, 2)
        else:
            end = s.find("$", i + 1, min(self.n, i + 1 + _MAX_MATH))
            # No space just inside the dollars, and not money: "$5-$10".
            if (
                end > i + 1
                and s[i + 1] not in " \t\n"
                and s[end - 1] not in " \t\n"
                and not (s[i + 1].isdigit() and s[end + 1 : end + 2].isdigit())
            ):
                return self.math_span(i + 1, end, 1)
        if not s[i + 1 : i + 2].isdigit():  # "$100" is money, not broken TeX
            self.note("unpaired $")
        self.pos = i + 1
        return "$"

    def math_span(self, start: int, end: int, width: int) -> str:
        """Math from ``start`` to ``end`` (exclusive); the closing delimiter is skipped."""
        saved_n = self.n
        self.n = end
        self.pos = start
        body = self.math_until(None)
        while self.pos < end:  # a "}" with no "{" inside the math
            self.note("unpaired }")
            self.pos += 1
            body += "}" + self.math_until(None)
        self.n = saved_n
        self.pos = end + width
        return body.strip()

    def math_until(self, stop: str | None) -> str:
        s = self.s
        out: list[str] = []
        closing = stop if stop is not None and len(stop) > 1 else None
        while self.pos < self.n:
            c = s[self.pos]
            if closing is not None and s.startswith(closing, self.pos):
                self.pos += len(closing)
                return "".join(out).strip()
            if c == stop:
                break
            if c == "\\":
                self.pos += 1
                out.append(self.command(self.command_name(), True))
            elif c == "{":
                out.append(self.group(True))
            elif c == "}":
                break
            elif c in "^_":
                self.pos += 1
                out.append(self.script(c))
            elif c in " \t\n":
                self.skip_spaces()
                if out and not out[-1].endswith(" "):
                    out.append(" ")
            elif c == "'":
                self.pos += 1
                out.append("′")
            elif c == "&":
                self.pos += 1
                out.append(" ")
            elif c == "~":
                self.pos += 1
                out.append(" ")
            else:
                self.pos += 1
                out.append(c)
        if closing is not None:
            self.note("unpaired " + closing)
        return "".join(out)

    def script(self, sign: str) -> str:
        self.skip_spaces()
        s = self.s
        if (
            sign == "^"
            and s.startswith("\\circ", self.pos)
            and not _is_letter(s[self.pos + 5 : self.pos + 6])
        ):
            self.pos += 5
            return "°"
        if sign == "^" and s.startswith("{\\circ}", self.pos):
            self.pos += 7
            return "°"
        body = self.argument(True).replace(" ", "")
        return _script(body, _SUPERSCRIPTS if sign == "^" else _SUBSCRIPTS, sign)

    # -- commands

    def command(self, name: str, math: bool) -> str:
        if not name:
            self.note("\\ at the end")
            return "\\"
        if name in _ACCENTS and (len(name) == 1 and not _is_letter(name) or not math):
            return _accent(self.argument(False), _ACCENTS[name])
        if name in _CHAR_COMMANDS:
            return _CHAR_COMMANDS[name]
        if name in _LINKS:
            return self.link(name)
        if name == "romannumeral":
            return self.roman()
        if name in _CITES:
            self.optional()
            key = self.raw_group()
            return f"[{key.strip()}]" if key is not None else self.unknown(name)
        if name in _STYLE_FIRST:
            self.argument(math)
            return self.argument(math)
        if name in _DROP_ARG:
            if self.raw_group() is None:
                return self.unknown(name)
            return ""
        if name in _KEEP_ARG:
            body = self.argument(math or name.startswith("math"))
            font = _FONTS.get(name)
            if font is not None:
                return "".join(font.get(c, c) for c in body)
            if name == "textsuperscript":
                return _script(body, _SUPERSCRIPTS, "^")
            if name == "textsubscript":
                return _script(body, _SUBSCRIPTS, "_")
            return body
        if name in _DECLARATIONS:
            self.skip_spaces()
            delimiter = name in ("left", "right", "middle") or name.endswith(("l", "r"))
            if delimiter and self.pos < self.n and self.s[self.pos] == ".":
                self.pos += 1  # "\right." is an empty delimiter
            return ""
        if name in _LETTERS:
            if self.s.startswith("{}", self.pos):
                self.pos += 2
            elif self.pos < self.n and self.s[self.pos] == " ":
                self.pos += 1
            return _LETTERS[name]
        if math:
            if name in _MATH_ACCENTS:
                return _accent(self.argument(True), _MATH_ACCENTS[name])
            if name in ("frac", "dfrac", "tfrac", "cfrac"):
                top = self.argument(True)
                bottom = self.argument(True)
                return f"{_wrap(top)}/{_wrap(bottom)}"
            if name == "sqrt":
                index = self.optional()
                body = self.argument(True)
                root = _script(index, _SUPERSCRIPTS, "") if index else ""
                return f"{root}√{_wrap(body)}"
            if name == "not":
                nxt = self.argument(True)
                return "≠" if nxt == "=" else _accent(nxt, "\u0338")
            if name in _MATH_SYMBOLS:
                return _MATH_SYMBOLS[name]
            if name in _MATH_WORDS:
                return name
        elif name in _TEXT_SYMBOLS:
            if self.s.startswith("{}", self.pos):
                self.pos += 2
            return _TEXT_SYMBOLS[name]
        elif name in _MATH_SYMBOLS:  # \times outside math: the writer forgot the $
            return _MATH_SYMBOLS[name]
        elif name in _MATH_WORDS:
            return name
        return self.unknown(name)

    def roman(self) -> str:
        """``\\romannumeral3`` -> ``iii``."""
        self.skip_spaces()
        start = self.pos
        while self.pos < self.n and self.pos - start < 4 and self.s[self.pos].isdigit():
            self.pos += 1
        if start == self.pos:
            return self.unknown("romannumeral")
        number, out = int(self.s[start : self.pos]), []
        for value, letters in _ROMAN:
            while number >= value:
                out.append(letters)
                number -= value
        return "".join(out)

    def unknown(self, name: str) -> str:
        """An unknown command, kept as written with a braced argument after it."""
        self.note(f"unknown command \\{name}")
        if self.pos < self.n and self.s[self.pos] == "{":
            body = self.raw_group()
            if body is not None:
                return f"\\{name}{{{body}}}"
        return "\\" + name

    def link(self, name: str) -> str:
        target = self.raw_group()
        if target is None:
            self.note(f"\\{name} without {{...}}")
            return "\\" + name
        url = _unescape_url(target.strip())
        if name == "url":
            return url
        text = self.argument(False).strip() if self.s[self.pos : self.pos + 1] == "{" else ""
        if name == "hyperlink" and not url.lower().startswith(("http://", "https://")):
            return text  # an anchor in the same document: nothing to follow
        if not text or text == url:
            return url
        return f"{text} ({url})"


_BRACE_RE = re.compile(r"\\.|[{}]", re.S)


def _brace_pairs(text: str) -> dict[int, int]:
    """Where each ``{`` of ``text`` is closed (escaped braces skipped), in one pass."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for m in _BRACE_RE.finditer(text):
        token = m.group()
        if token == "{":
            stack.append(m.start())
        elif token == "}" and stack:
            pairs[stack.pop()] = m.start()
    return pairs


def _unescape_url(url: str) -> str:
    if "\\" not in url:
        return url
    out: list[str] = []
    i = 0
    while i < len(url):
        c = url[i]
        if c == "\\" and i + 1 < len(url) and url[i + 1] in "%#&_~$":
            out.append(url[i + 1])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)
