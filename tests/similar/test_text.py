"""The text side: set phrases stripped, n-grams, cosine."""
from __future__ import annotations

from collections import Counter

from tracker.similar.text import cosine, normalize, terms, weigh


def test_set_phrases_say_nothing_about_the_subject():
    assert normalize("关于加快推进异地就医直接结算的建议") == "加快推进异地就医直接结算"
    assert normalize("建议加快落实跨省就医费用直接结算") == "加快落实跨省就医费用直接结算"
    assert normalize("关于《老旧小区加装电梯》的提案。") == "老旧小区加装电梯"
    assert normalize("建议") == "建议"  # nothing left: keep what was typed


def test_terms_are_character_unigrams_and_bigrams():
    assert terms("关于医保的建议") == ["医", "保", "医保"]


def test_a_paraphrase_is_closer_to_its_original_than_to_a_near_miss():
    def vec(text):
        return weigh(Counter(terms(text)), lambda term: 1.0)

    query = vec("建议加快落实跨省就医费用直接结算")
    original = cosine(query, vec("关于加快推进异地就医直接结算的建议"))
    near_miss = cosine(query, vec("关于规范异地就医备案管理的建议"))
    assert original > near_miss > 0
    assert abs(cosine(query, query) - 1) < 1e-9
