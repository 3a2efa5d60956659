"""What the bot may say about products: only the shop's sellable catalogue.

``product_find(text)`` answers "do you sell X?":

1. the shopping frame is removed ("do you sell", "I'm looking for", ...);
2. content words are matched to the words of the sellable catalogue (singular,
   typos within rapidfuzz ratio ``product_word_cutoff`` corrected);
3. the closest descriptions by MiniLM cosine (:func:`knowledge.product_search`) must
   reach ``search_fit_similarity`` -- or ``search_strong_similarity`` when a word of
   the query is in no description ("iphone" in "iphone chargers": the nearest,
   "ZINC HEART LATTICE CHARGER", is at 0.42 on the real catalogue) -- and contain the
   query's head word (its last content word: "mobile phone *case*" is not "PINK
   PADDED MOBILE").

When nothing fits, the closest real categories (those holding sellable products, by
cosine between the query and the category names) are offered instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.db.models import Count, Max

from shop.algorithms.categories import normalise_word
from shop.models import Category, Product, StockLevel
from shop.selectors import category_list

from ..conf import chatbot_settings
from ..nlu.encoder import encode
from . import knowledge

FRAME = re.compile(
    r"\b(?:do|does|did|can|could|would|will)\s+(?:you|u|ya|the shop|your shop|"
    r"they)\s+(?:guys\s+)?(?:sell|stock|have|carry|do|offer|make|got)\b|"
    r"\b(?:have|got)\s+(?:you|u)\s+(?:got|any)\b|"
    r"\b(?:i'?m|i am|we'?re|we are)\s+(?:looking|searching|hunting)\s+for\b|"
    r"\b(?:i|we)\s+(?:want|need|would like|'d like|d like)\s+(?:to buy\s+)?|"
    r"\b(?:show|find|get)\s+me\b|\blooking for\b|\bsearch(?:ing)? for\b|"
    r"\bwhere can i (?:buy|find|get)\b|\bis there\b|\bare there\b|\bany\b|\bsome\b|"
    r"\bhow much (?:is|are|does|do|for)\b|\bwhat(?:'s| is| are) the price of\b|"
    r"\bprice of\b|\bcosts?\b|\bprices?\b|\bin stock\b|"
    r"\bplease\b|\bpls\b|\bhi\b|\bhello\b|\bthanks?\b|\bfind\b|\bsell\b|\bbuy\b",
    re.I,
)
STOPWORDS = frozenset(
    """a an the of for to in on with and or my me your our you i we it its this that
    these those one ones some any what which who is are was be been do does have has
    get got sell selling stock stocked shop store website site online here there
    please kind sort type like nice good cheap cheaper expensive new little big
    small large lovely pretty cute really very much many few more less item items
    thing things product products stuff present gift gifts idea ideas buy something
    anything order orders ordering place purchase checkout basket how can i'd i'm
    i've we'd want need would like love looking get make an question about help
    know tell ask""".split()
)
WORD = re.compile(r"[a-z][a-z'-]*")
PREPOSITIONS = frozenset(
    "for with in on to from as at by like without under over near".split()
)
# Commands to a device ("turn on the lights in my kitchen") are not shopping.
DEVICE_COMMAND = re.compile(
    r"\b(?:turn|switch|power)\s+(?:\w+\s+)?(?:on|off|up|down)\b|\b(?:dim|brighten|"
    r"unlock|lock)\s+the\b|\bset\s+(?:the|a|an)\s+(?:thermostat|heating|alarm|timer"
    r"|reminder)\b|\bplay\s+(?:some|my|the)\b",
    re.I,
)


@dataclass
class ProductMatch:
    """The answer to a product question: what fits, or why nothing does."""

    query: str
    products: list[Product] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    unknown_words: list[str] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)

    @property
    def fits(self) -> bool:
        return bool(self.products)


def is_device_command(text: str) -> bool:
    """True for an order to a device ("turn off the lights"), not a shopping request."""
    return bool(DEVICE_COMMAND.search(str(text)))


def shopping_query(text: str) -> str:
    """``text`` without the shopping frame ("do you sell iphone chargers?" ->
    "iphone chargers")."""
    query = FRAME.sub(" ", str(text).lower())
    return " ".join(WORD.findall(query))


def content_words(query: str) -> list[str]:
    return [w for w in WORD.findall(query.lower()) if w not in STOPWORDS and len(w) > 1]


def _vocabulary() -> frozenset[str]:

    def build():
        _, names = knowledge.catalogue_names()
        words = set()
        for name in names:
            for word in re.findall(r"[A-Za-z]+", name):
                words.add(normalise_word(word))
        return frozenset(words)

    return knowledge._cached("vocabulary", knowledge.catalogue_stamp(), build)


def _known_as(word: str, vocabulary: frozenset[str], cutoff: float) -> str | None:
    """The catalogue word ``word`` stands for (itself, its singular, or a typo of a
    catalogue word with the same first letter), or None."""
    from rapidfuzz import fuzz, process

    norm = normalise_word(re.sub(r"['-]", "", word))
    if norm in vocabulary:
        return norm
    if word.upper() in vocabulary:
        return word.upper()
    if len(norm) >= 5:
        same_start = [v for v in vocabulary if v[:1] == norm[:1]]
        hit = process.extractOne(
            norm, same_start, scorer=fuzz.ratio, score_cutoff=cutoff
        )
        if hit:
            return hit[0]
    return None


def read_query(query: str) -> tuple[str, list[str], list[str]]:
    """``(corrected query, unknown words, head word)`` of a product query.

    Content words are mapped to catalogue words (typos corrected: "umbrela" ->
    "umbrella"); the ones no sellable description contains are ``unknown``; the head
    is the last content word before a preposition, as a catalogue word (English noun
    phrases end in their head: "iphone *chargers*", "mobile phone *case*", "candle
    *holders* for a wedding"), empty if unknown.
    """
    vocabulary = _vocabulary()
    cutoff = chatbot_settings()["product_word_cutoff"]
    corrected, unknown, head = [], [], []
    in_head_phrase = True
    for word in WORD.findall(query.lower()):
        if word in PREPOSITIONS and corrected:
            in_head_phrase = False  # "candle holders | for a wedding"
        if word in STOPWORDS or len(word) < 2:
            continue
        known = _known_as(word, vocabulary, cutoff)
        if known is None:
            unknown.append(word)
            corrected.append(word)
        else:
            corrected.append(word if normalise_word(word) == known else known.lower())
        if in_head_phrase:
            head = [known] if known else []
    return " ".join(corrected), unknown, head


def _category_index():
    def build():
        rows = list(category_list().order_by("pk"))
        return rows, encode([c.name.lower() for c in rows])

    # Categories with sellable products change when the catalogue or a category does.
    stamp = (
        knowledge.catalogue_stamp(),
        knowledge._current("category_names", _category_names_stamp),
    )
    return knowledge._cached("categories", stamp, build)


def _category_names_stamp() -> tuple:
    stats = Category.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    return stats["n"], stats["last"]


def category_index_warm() -> None:
    """Build the category and catalogue-word indexes (see
    :func:`knowledge.knowledge_indexes_warm`)."""
    _category_index()
    _vocabulary()


def closest_categories(query: str, *, n: int = 3) -> list[Category]:
    """The ``n`` shop categories (with sellable products) closest to ``query``."""
    rows, vectors = _category_index()
    if not rows:
        return []
    scores = vectors @ knowledge.encode_one(query or "gift")
    return [rows[i] for i in np.argsort(-scores)[:n]]


def product_find(text: str, *, k: int | None = None) -> ProductMatch:
    """Sellable products that fit a shopper's request, or the closest categories.

    Parameters
    ----------
    text : str, the customer's message ("do you sell cake tins?").
    k : int, products returned at most (default ``search_results``).

    Returns
    -------
    ProductMatch with ``products`` (best first) when something fits; otherwise
    ``unknown_words`` (the words no product has) and ``categories``.
    """
    conf = chatbot_settings()
    query = shopping_query(text) or str(text)
    corrected, unknown, head = read_query(query)
    words = content_words(query)
    match = ProductMatch(
        query=" ".join(words) if len(words) <= 3 else "", unknown_words=unknown
    )
    if head:
        k = k or conf["search_results"]
        # A word no product has ("iphone") rules a product out unless the
        # description is very close in meaning ("tealight" ~ "T-LIGHT").
        floor = conf["search_strong_similarity" if unknown else "search_fit_similarity"]
        hits = knowledge.product_search(query=corrected, k=k * 4)
        hits = [
            (p, s)
            for p, s in hits
            if (s >= floor or s == 0)
            and head[0]
            in {normalise_word(w) for w in re.findall(r"[A-Za-z]+", p.description)}
        ]
        match.products = [p for p, _ in hits][:k]
        match.scores = [s for _, s in hits][:k]
    if not match.fits:
        match.categories = closest_categories(corrected or query)
    return match


def cheaper_than(product: Product, *, k: int | None = None) -> list[Product]:
    """Sellable products like ``product`` (the one in focus) at a lower price, best
    match first."""
    k = k or chatbot_settings()["search_results"]
    hits = knowledge.product_search(query=product.description.lower(), k=k * 8)
    return [
        p for p, _ in hits if p.pk != product.pk and p.list_price < product.list_price
    ][:k]


def stock_of(products: list[Product]) -> dict[int, int | None]:
    """``{product pk: units available, or None when no stock level is known}``."""
    levels = {
        s.product_id: s.available
        for s in StockLevel.objects.filter(product__in=[p.pk for p in products])
    }
    return {p.pk: levels.get(p.pk) for p in products}


def price_text(price: Decimal, currency: str = "GBP") -> str:
    from core.formatting import money

    return money(price, currency)
