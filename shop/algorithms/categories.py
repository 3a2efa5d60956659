"""Categories of products from their descriptions: keyword rules, then neighbours in a
sentence-embedding space, then clusters named by their most characteristic words.

1. **Rules** (:class:`KeywordRules`): a keyword matches whole words of a
   description, case-insensitively and with a plural optional (``BAG`` matches
   ``BAGS``, ``DOILY`` matches ``DOILIES``); when keywords of several categories
   match, the longest keyword wins (``T-LIGHT HOLDER`` beats ``HEART``), on a tie the
   category listed first. Rules are what a merchandiser reads and edits.
2. **Neighbours**: a description no rule matches takes the category of its nearest
   labelled descriptions (cosine similarity of sentence embeddings, a similarity-
   weighted vote of the ``n_neighbours`` nearest), when the nearest is at least
   ``min_similarity`` alike and the winning category holds ``min_share`` of the vote.
   Labelled = matched by a rule or assigned by hand (``fixed``), so a merchandiser's
   corrections spread to look-alikes.
3. **Clusters**: what is left is clustered (agglomerative, average linkage on
   cosine distance, cut at ``cluster_distance``); a cluster of at least
   ``min_cluster_size`` descriptions becomes a new category named by its two most
   characteristic words (class-based TF-IDF); the rest falls in ``fallback``.

No Django here: inputs are strings and an embedding matrix.

References
----------
Grootendorst, "BERTopic: Neural topic modeling with a class-based TF-IDF procedure",
arXiv:2203.05794, 2022 (c-TF-IDF); Reimers & Gurevych, "Sentence-BERT", EMNLP 2019.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_TOKEN = re.compile(r"[A-Z0-9][A-Z0-9'\-]*")
# Words that describe a variant, not what a product is: never a category's name.
NAME_STOPWORDS = frozenset(
    """A AN AND OF THE IN ON WITH FOR TO BY SET PACK PACKS ASSORTED SMALL LARGE MEDIUM
    MINI JUMBO BIG GIANT LITTLE NEW DESIGN STYLE SHAPE SHAPED W WHITE BLACK RED BLUE
    GREEN PINK PURPLE YELLOW ORANGE IVORY CREAM GOLD SILVER BROWN GREY TURQUOISE LILAC
    COPPER NATURAL MULTI MULTICOLOUR COLOUR COLOURED COLOURS ROUND SQUARE HEART HEARTS
    VINTAGE RETRO ANTIQUE CLASSIC DECORATIVE HANGING SPOT SPOTS SPOTTY POLKADOT
    RETROSPOT S L M XL""".split()
)


def normalise_word(word: str) -> str:
    """Upper-case ``word`` with a plural ending removed (BAGS -> BAG, BOXES -> BOX,
    DOILIES -> DOILY), so keywords and descriptions compare singular to singular."""
    w = word.upper()
    if len(w) > 4 and w.endswith(("XES", "CHES", "SHES", "SSES")):
        return w[:-2]
    if len(w) > 4 and w.endswith("IES"):
        return w[:-3] + "Y"
    if len(w) > 3 and w.endswith("S") and not w.endswith("SS"):
        return w[:-1]
    return w


COLOURS = frozenset(
    """BLUE PINK GREEN RED YELLOW PURPLE BROWN GREY ORANGE IVORY GOLD SILVER""".split()
)


def tokens(text: str) -> list[str]:
    """Normalised words of ``text`` (letters, digits, inner hyphens and apostrophes).

    ``LIGHT`` / ``DARK`` before a colour is a shade, not a word of its own (so
    ``LIGHT PINK`` never matches the keyword ``LIGHTS``).
    """
    words = _TOKEN.findall((text or "").upper())
    kept = [
        w
        for i, w in enumerate(words)
        if not (
            w in ("LIGHT", "DARK") and words[i + 1 : i + 2] and words[i + 1] in COLOURS
        )
    ]
    return [normalise_word(w) for w in kept]


@dataclass(frozen=True)
class Rule:
    """Keywords of one category.

    ``keywords`` name what a product is (MUG, CUSHION COVER). ``weak`` keywords
    (a design or a theme: HEART, SPACEBOY) count only when no category's keyword
    matches. ``overrides``: the category's keywords beat every other category's
    (for seasons: anything that says CHRISTMAS belongs to the Christmas shop, be it
    a card, a candle or a bauble).
    """

    name: str
    keywords: tuple[str, ...]
    weak: tuple[str, ...] = ()
    overrides: bool = False


class KeywordRules:
    """Assign categories by keywords.

    A keyword matches whole words of a description, case-insensitively, a plural
    optional. The most specific matching keyword wins: an overriding category's
    first, then the keyword of more words (``T-LIGHT HOLDER`` beats ``HEART``), then
    the longer one; on a full tie the rule listed first. Weak keywords are tried,
    the same way, only when no keyword matches.

    Parameters
    ----------
    rules : sequence of :class:`Rule`, in order of precedence on a tie.

    Raises
    ------
    ValueError
        A category name is empty or repeated, or a keyword has no word.
    """

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)
        names = [r.name for r in self.rules]
        if any(not name.strip() for name in names):
            raise ValueError("a category name is empty")
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"category names repeated: {', '.join(dupes)}")
        # normalised words -> (rank, category index, keyword as written)
        self._strong: dict[tuple[str, ...], tuple[tuple, int, str]] = {}
        self._weak: dict[tuple[str, ...], tuple[tuple, int, str]] = {}
        self._longest = 1
        for cat, rule in enumerate(self.rules):
            for index, words in (
                (self._strong, rule.keywords),
                (self._weak, rule.weak),
            ):
                for keyword in words:
                    self._add(index, cat, rule, keyword)

    def _add(self, index: dict, cat: int, rule: Rule, keyword: str) -> None:
        key = tuple(tokens(keyword))
        if not key:
            raise ValueError(f"{rule.name}: keyword {keyword!r} has no word")
        text = " ".join(keyword.split()).upper()
        rank = (rule.overrides, len(key), len(text), -cat)
        best = index.get(key)
        if best is None or rank > best[0]:
            index[key] = (rank, cat, text)
        self._longest = max(self._longest, len(key))

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.rules]

    def match_one(self, text: str) -> tuple[int, str]:
        """(category index, matched keyword) of ``text``, or (-1, "")."""
        words = tokens(text)
        for index in (self._strong, self._weak):
            best = None
            for n in range(1, min(self._longest, len(words)) + 1):
                for i in range(len(words) - n + 1):
                    hit = index.get(tuple(words[i : i + n]))
                    if hit is not None and (best is None or hit[0] > best[0]):
                        best = hit
            if best is not None:
                return best[1], best[2]
        return -1, ""

    def match(self, texts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """Category index per text (-1: no rule matches) and the matched keyword.

        Returns
        -------
        labels : numpy.ndarray of int64, shape (n,)
        keywords : list of str, length n ("" where nothing matched)
        """
        pairs = [self.match_one(t) for t in texts]
        labels = np.array([p[0] for p in pairs], dtype=np.int64)
        return labels, [p[1] for p in pairs]


def characteristic_words(
    groups: Sequence[Sequence[str]], *, top: int = 2, stopwords=NAME_STOPWORDS
) -> list[list[str]]:
    """The ``top`` most characteristic words of each group of texts (c-TF-IDF).

    ``weight(w, g) = tf(w, g) * log(1 + A / f(w))``: ``tf`` the count of word ``w`` in
    group ``g`` over the group's words, ``f(w)`` its count over all groups, ``A`` the
    average number of words per group (Grootendorst 2022). Digits and
    ``stopwords`` (colours, sizes, "SET OF") are never picked.

    Returns
    -------
    list (one per group) of up to ``top`` upper-case words, most characteristic first.
    """
    counts: list[dict[str, int]] = []
    total: dict[str, int] = {}
    for texts in groups:
        c: dict[str, int] = {}
        for text in texts:
            for w in tokens(text):
                if w in stopwords or not re.search("[A-Z]{3}", w):
                    continue
                c[w] = c.get(w, 0) + 1
                total[w] = total.get(w, 0) + 1
        counts.append(c)
    avg = max(1.0, sum(total.values()) / max(1, len(groups)))
    out = []
    for c in counts:
        size = max(1, sum(c.values()))
        scored = sorted(c, key=lambda w: (-(c[w] / size) * np.log1p(avg / total[w]), w))
        out.append(scored[:top])
    return out


class DescriptionCategoriser:
    """Rules, then embedding neighbours, then named clusters (see the module doc).

    Parameters
    ----------
    rules : KeywordRules
    n_neighbours : int, labelled neighbours that vote for an unmatched description.
    min_similarity : float in (0, 1], cosine similarity the nearest labelled
        description needs for its category to be taken.
    min_share : float in (0, 1], share of the similarity-weighted vote the winning
        category needs.
    cluster_distance : float, cosine distance at which clusters stop merging.
    min_cluster_size : int, descriptions a cluster needs to become a category.
    fallback : str, category of what neither rules, neighbours nor clusters place.

    Attributes
    ----------
    labels_ : list of str, category name per description.
    sources_ : numpy.ndarray of str, ``rule`` | ``fixed`` | ``similar`` | ``cluster``
        | ``fallback`` per description.
    evidence_ : list of str, the keyword matched, or the description most alike.
    new_categories_ : list of str, names of the clusters made categories.
    neighbour_check_ : dict, leave-one-out check of the neighbour step on the
        labelled descriptions: ``checked`` (count), ``placed`` (share it gives a
        category), ``agreement`` (share of those where it agrees with the rule).
    """

    def __init__(
        self,
        *,
        rules: KeywordRules,
        n_neighbours: int = 10,
        min_similarity: float = 0.6,
        min_share: float = 0.5,
        cluster_distance: float = 0.55,
        min_cluster_size: int = 8,
        fallback: str = "More gifts",
    ) -> None:
        self.rules = rules
        self.n_neighbours = n_neighbours
        self.min_similarity = min_similarity
        self.min_share = min_share
        self.cluster_distance = cluster_distance
        self.min_cluster_size = min_cluster_size
        self.fallback = fallback

    def fit(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray,
        fixed: Sequence[str | None] | None = None,
    ) -> DescriptionCategoriser:
        """Categorise ``texts``.

        Parameters
        ----------
        texts : sequence of str, n descriptions.
        embeddings : numpy.ndarray of shape (n, d), rows of unit L2 norm.
        fixed : sequence of str or None, length n: a category set by hand (kept, and
            used as a labelled example), or None.

        Raises
        ------
        ValueError
            ``embeddings`` does not have one row per text, or a parameter is out of
            range.
        """
        n = len(texts)
        emb = np.asarray(embeddings, dtype=np.float32)
        if emb.ndim != 2 or emb.shape[0] != n:
            raise ValueError(
                f"embeddings must have shape (n_texts={n}, d), got {emb.shape}"
            )
        if fixed is not None and len(fixed) != n:
            raise ValueError(f"fixed must have {n} entries, got {len(fixed)}")
        if not 0 < self.min_similarity <= 1 or not 0 < self.min_share <= 1:
            raise ValueError("min_similarity and min_share must be in (0, 1]")
        if self.n_neighbours < 1 or self.min_cluster_size < 1:
            raise ValueError("n_neighbours and min_cluster_size must be >= 1")
        idx, keywords = self.rules.match(texts)
        names = self.rules.names
        labels: list[str | None] = [names[i] if i >= 0 else None for i in idx]
        sources = np.where(idx >= 0, "rule", "").astype(object)
        evidence = list(keywords)
        for i, name in enumerate(fixed or ()):
            if name:
                labels[i], sources[i], evidence[i] = name, "fixed", ""
        self._vote(texts, emb, labels, sources, evidence)
        self.new_categories_ = self._cluster(texts, emb, labels, sources)
        self.labels_ = [label or self.fallback for label in labels]
        self.sources_ = np.array(
            [s or "fallback" for s in sources.tolist()], dtype=object
        )
        self.evidence_ = evidence
        return self

    def vote(
        self, queries: np.ndarray, known: np.ndarray, known_labels, skip_self=False
    ) -> list[tuple[str, int] | None]:
        """Category of each query row by a vote of its nearest labelled rows.

        Parameters
        ----------
        queries : numpy.ndarray of shape (q, d), unit rows.
        known : numpy.ndarray of shape (m, d), unit rows of labelled descriptions.
        known_labels : sequence of str, length m.
        skip_self : bool, queries are the first q rows of ``known`` (leave-one-out).

        Returns
        -------
        list of (category, index in ``known`` of the most alike) or None (no
        labelled neighbour is ``min_similarity`` alike, or no category holds
        ``min_share`` of the vote).
        """
        labels = np.asarray(known_labels, dtype=object)
        k = min(self.n_neighbours, len(known) - int(skip_self))
        out: list[tuple[str, int] | None] = []
        if k < 1:
            return [None] * len(queries)
        for start in range(0, len(queries), 512):
            sim = queries[start : start + 512] @ known.T
            if skip_self:
                rows = np.arange(sim.shape[0])
                sim[rows, start + rows] = -np.inf
            nearest = np.argsort(-sim, axis=1, kind="stable")[:, :k]
            for r in range(sim.shape[0]):
                best = nearest[r]
                sims = sim[r, best]
                if sims[0] < self.min_similarity:
                    out.append(None)
                    continue
                weights = np.clip(sims, 0, None)
                votes: dict[str, float] = {}
                for label, w in zip(labels[best], weights, strict=True):
                    votes[label] = votes.get(label, 0.0) + float(w)
                winner = max(votes, key=lambda c: (votes[c], c))
                ok = votes[winner] >= self.min_share * weights.sum()
                out.append((winner, int(best[0])) if ok else None)
        return out

    def _vote(self, texts, emb, labels, sources, evidence) -> None:
        known = np.flatnonzero([label is not None for label in labels])
        todo = np.flatnonzero([label is None for label in labels])
        self.neighbour_check_ = self._check(emb[known], [labels[i] for i in known])
        if not len(known) or not len(todo):
            return
        votes = self.vote(emb[todo], emb[known], [labels[i] for i in known])
        for row, hit in zip(todo, votes, strict=True):
            if hit is not None:
                labels[row], sources[row] = hit[0], "similar"
                evidence[row] = texts[known[hit[1]]]

    def _check(self, known: np.ndarray, known_labels: list[str]) -> dict:
        """Leave-one-out check of the neighbour step on labelled descriptions (at
        most 2,000, a fixed sample): the share it places, and how often it agrees
        with the rule or hand-set category."""
        if len(known) < 2:
            return {"checked": 0, "placed": 0.0, "agreement": None}
        rng = np.random.default_rng(0)
        pick = np.sort(rng.permutation(len(known))[:2000])
        rest = np.setdiff1d(np.arange(len(known)), pick)
        order = np.concatenate([pick, rest])
        votes = self.vote(
            known[pick],
            known[order],
            [known_labels[i] for i in order],
            skip_self=True,
        )
        placed = [
            (v[0], known_labels[i]) for v, i in zip(votes, pick, strict=True) if v
        ]
        agreement = float(np.mean([a == b for a, b in placed])) if placed else None
        return {
            "checked": int(len(pick)),
            "placed": len(placed) / len(pick),
            "agreement": agreement,
        }

    def _cluster(self, texts, emb, labels, sources) -> list[str]:
        from sklearn.cluster import AgglomerativeClustering

        todo = np.flatnonzero([label is None for label in labels])
        if len(todo) < max(2, self.min_cluster_size):
            return []
        clusters = AgglomerativeClustering(
            n_clusters=None,
            metric="cosine",
            linkage="average",
            distance_threshold=self.cluster_distance,
        ).fit_predict(emb[todo])
        ids, sizes = np.unique(clusters, return_counts=True)
        big = [c for c, s in zip(ids, sizes, strict=True) if s >= self.min_cluster_size]
        groups = [[texts[i] for i in todo[clusters == c]] for c in big]
        taken = set(self.rules.names) | {label for label in labels if label}
        created = []
        for c, words in zip(big, characteristic_words(groups), strict=True):
            name = " & ".join(w.capitalize() for w in words) or f"Group {c + 1}"
            while name in taken:
                name += " (more)"
            taken.add(name)
            created.append(name)
            for i in todo[clusters == c]:
                labels[i], sources[i] = name, "cluster"
        return created
