"""The filter's words found again in titles, authors and abstracts."""

from __future__ import annotations

from digest_tui.highlight import Highlights, fold, highlights_for


def marked(h: Highlights, field: str, text: str) -> list[str]:
    return [text[a:b] for a, b in h.spans(field, text)]


def test_words_phrases_and_fields_go_to_their_fields() -> None:
    h = highlights_for('matting "image fusion" title:gan author:hinton abs:lidar')
    assert h.title == ("matting", "image fusion", "gan")
    assert h.authors == ("matting", "image fusion", "hinton")
    assert h.abstract == ("matting", "image fusion", "lidar")


def test_negated_and_non_text_terms_are_not_shown() -> None:
    h = highlights_for("-survey cat:cs.CV id:2012.07810 date:2020-12 is:unread tag:ml")
    assert not h
    assert highlights_for('title:"image fus').title == ("image fus",)  # still typing
    assert highlights_for("unknown:field") == Highlights()  # cannot be read: nothing


def test_case_and_accents_are_ignored_and_offsets_are_the_texts() -> None:
    h = highlights_for("schrodinger muller")
    text = "On Schrödinger's cat, by J. MÜLLER"
    assert marked(h, "title", text) == ["Schrödinger", "MÜLLER"]
    h = highlights_for("Schrödinger")
    assert marked(h, "title", "schrodinger equation") == ["schrodinger"]


def test_words_match_where_a_word_starts() -> None:
    h = highlights_for("gan net")
    assert marked(h, "title", "GANs and organs of a network, not a magnet") == ["GAN", "net"]


def test_phrases_match_across_punctuation() -> None:
    h = highlights_for('"image fusion"')
    assert marked(h, "abstract", "Image-fusion and image  fusion, not image of fusion") == [
        "Image-fusion",
        "image  fusion",
    ]


def test_wide_characters_match_inside_a_run() -> None:
    h = highlights_for("轨迹")
    text = "通过伪运动轨迹合成"
    assert marked(h, "title", text) == ["轨迹"]


def test_filter_text_is_never_a_pattern() -> None:
    text = "a title with (a|b) and [x] and d+ in it"
    assert marked(highlights_for('"(a|b)"'), "title", text) == ["a|b"]
    assert marked(highlights_for("[x]"), "title", text) == ["x"]
    assert highlights_for('".*"').spans("title", "anything at all") == []
    assert highlights_for("\\d+").spans("title", "123 and 456") == []


def test_overlapping_matches_merge() -> None:
    h = highlights_for('image "image fusion"')
    assert h.spans("title", "image fusion") == [(0, 12)]


def test_fold_maps_back_to_the_text() -> None:
    folded, where = fold("Ünïcode — Text")
    assert folded == "unicode text"
    assert where[0] == 0 and where[-1] == len("Ünïcode — Text") - 1
