"""Categories from descriptions, and partial pooling of elasticities toward them.

Categories: the Online Retail data has none, so a keyword rule on the description
assigns one (first matching rule wins; rules are ordered from specific to general, e.g.
"LIGHT HOLDER" before "LIGHT"). A product whose description matches no rule falls in
``OTHER``. A category set on the product in the shop overrides the rule.

Pooling: empirical-Bayes shrinkage (a normal-normal random-effects model). Per category
the mean elasticity ``mu`` and between-product variance ``tau2`` are estimated by
DerSimonian-Laird from the identified products; a product with little price variation
gets the posterior mean ``w * e + (1 - w) * mu`` with ``w = tau2 / (tau2 + se**2)`` and
posterior variance ``w * se**2 + (1 - w)**2 * var(mu)``. Categories with fewer than
``min_category_size`` informative products borrow the shop-wide prior instead. Only
informative products (not themselves pooled) estimate the priors.

Priors: a product whose price never moved (status ``no_price_change``) has no own
estimate at all (w = 0). It gets its category's prior as a *prediction for a new member
of the category*: mean ``mu``, variance ``tau2 + var(mu)`` (the between-product spread
plus the uncertainty of the mean), status ``prior``. Its interval is honest about how
little is known; whether a price may move on it is the shop's call (pricing settings).

References
----------
DerSimonian & Laird, "Meta-analysis in clinical trials", Controlled Clinical Trials
7(3), 1986; Efron & Morris, "Stein's estimation rule and its competitors", JASA 1973.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .elasticity import ElasticityResult, quality_flag

# (category, keywords): first match on the upper-cased description wins.
CATEGORY_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("LIGHT HOLDER", ("LIGHT HOLDER", "T-LIGHT", "TEALIGHT", "LANTERN")),
    ("CANDLE", ("CANDLE",)),
    ("LUNCH BOX", ("LUNCH BOX", "LUNCHBOX", "LUNCH BAG")),
    ("BAG", ("BAG", "SHOPPER", "TOTE")),
    ("MUG & CUP", ("MUG", "CUP", "BEAKER")),
    ("TABLEWARE", ("PLATE", "BOWL", "NAPKIN", "CUTLERY", "TEAPOT", "SAUCER", "JUG")),
    ("BAKING", ("CAKE CASE", "CAKE STAND", "BAKING", "CAKE TIN", "JELLY MOULD")),
    ("KITCHEN", ("APRON", "OVEN GLOVE", "TEA TOWEL", "KITCHEN", "SPOON", "CHOPPING")),
    ("CARD & WRAP", ("CARD", "WRAP", "GIFT TAG", "ENVELOPE", "RIBBON")),
    ("STATIONERY", ("PEN", "PENCIL", "NOTEBOOK", "STICKER", "ERASER", "RULER")),
    ("JEWELLERY", ("NECKLACE", "EARRING", "BRACELET", "RING", "BROOCH", "HAIR")),
    ("CLOCK", ("CLOCK",)),
    ("FRAME", ("FRAME",)),
    ("SIGN", ("SIGN", "PLAQUE", "DOORMAT")),
    ("CUSHION & TEXTILE", ("CUSHION", "THROW", "BLANKET", "HOT WATER BOTTLE")),
    ("STORAGE", ("BOX", "TIN", "BASKET", "JAR", "DRAWER", "CRATE")),
    (
        "DECORATION",
        ("BUNTING", "GARLAND", "ORNAMENT", "DECORATION", "WREATH", "BAUBLE"),
    ),
    ("LIGHTING", ("LIGHT", "LAMP")),
    ("TOY & GAME", ("TOY", "GAME", "PUZZLE", "DOLL", "SKIPPING ROPE", "PLAYHOUSE")),
    ("GARDEN", ("GARDEN", "PLANT", "WATERING", "BIRD")),
    ("PARTY", ("PARTY", "BALLOON", "PARASOL", "UMBRELLA")),
    ("BATHROOM", ("SOAP", "BATHROOM", "TOWEL", "WASHBAG")),
    ("HOOK & HANGER", ("HOOK", "HANGER", "COAT RACK", "PEG")),
)
OTHER = "OTHER"


def derive_category(description: str) -> str:
    """Category of a product from its description by :data:`CATEGORY_RULES`.

    Keywords match whole words (``RING`` does not match ``SPRING``); a keyword that ends
    a plural also matches (``BAGS``).
    """
    text = (description or "").upper()
    for name, words in CATEGORY_RULES:
        for w in words:
            if re.search(rf"(?<![A-Z]){re.escape(w)}S?(?![A-Z])", text):
                return name
    return OTHER


@dataclass
class Prior:
    mu: float
    tau2: float
    var_mu: float
    n: int
    source: str  # category name or "shop-wide"


def dersimonian_laird(e: np.ndarray, se: np.ndarray) -> tuple[float, float, float]:
    """Random-effects mean, between-product variance and var(mean) (DL 1986)."""
    w = 1.0 / se**2
    mu_fixed = float((w * e).sum() / w.sum())
    q = float((w * (e - mu_fixed) ** 2).sum())
    denom = float(w.sum() - (w**2).sum() / w.sum())
    tau2 = max(0.0, (q - (len(e) - 1)) / denom) if denom > 0 else 0.0
    w_star = 1.0 / (se**2 + tau2)
    mu = float((w_star * e).sum() / w_star.sum())
    return mu, tau2, float(1.0 / w_star.sum())


class CategoryShrinkage:
    """Empirical-Bayes shrinkage of weak elasticities toward their category.

    Parameters
    ----------
    pool_below_prices : int, products with fewer distinct prices than this are pooled.
    pool_quality : tuple of str, products with these quality flags are pooled too.
    min_category_size : int, identified products a category needs for its own prior.
    alpha : float, 1 - confidence level of the pooled interval.
    prior_statuses : tuple of str, statuses (no own estimate) that receive the
        category prior as status ``prior``; () turns priors off.

    Attributes
    ----------
    priors_ : dict category -> Prior (plus "shop-wide").
    """

    def __init__(
        self,
        *,
        pool_below_prices: int = 3,
        pool_quality: tuple[str, ...] = ("poor",),
        min_category_size: int = 5,
        alpha: float = 0.05,
        prior_statuses: tuple[str, ...] = ("no_price_change",),
    ) -> None:
        self.pool_below_prices = pool_below_prices
        self.pool_quality = pool_quality
        self.min_category_size = min_category_size
        self.alpha = alpha
        self.prior_statuses = prior_statuses

    def fit(self, results: dict, categories: dict) -> CategoryShrinkage:
        """Estimate the priors from the informative identified results.

        Only products that will not be pooled themselves (enough distinct prices, not
        of poor quality) inform the priors, so that noisy estimates do not set them.

        Parameters
        ----------
        results : dict product_id -> ElasticityResult
        categories : dict product_id -> category name

        Raises
        ------
        ValueError
            Fewer than 2 identified products: there is nothing to pool toward.
        """
        rows = [
            (categories.get(pid, OTHER), r.raw_elasticity, max(r.raw_se, 0.01))
            for pid, r in results.items()
            if r.status == "identified" and r.raw_se and not self.needs_pooling(r)
        ]
        if len(rows) < 2:
            raise ValueError(
                "fewer than 2 informative identified products; nothing to pool toward"
            )
        cats = np.array([c for c, _, _ in rows])
        e = np.array([v for _, v, _ in rows], float)
        se = np.array([s for _, _, s in rows], float)
        mu, tau2, var_mu = dersimonian_laird(e, se)
        self.priors_ = {"shop-wide": Prior(mu, tau2, var_mu, len(e), "shop-wide")}
        for cat in np.unique(cats):
            m = cats == cat
            if m.sum() >= self.min_category_size:
                mu, tau2, var_mu = dersimonian_laird(e[m], se[m])
                self.priors_[str(cat)] = Prior(mu, tau2, var_mu, int(m.sum()), str(cat))
        return self

    def needs_pooling(self, r: ElasticityResult) -> bool:
        return r.status == "identified" and (
            r.n_prices < self.pool_below_prices or r.quality in self.pool_quality
        )

    def prior_for(self, r: ElasticityResult, category: str) -> ElasticityResult:
        """The category prior as the estimate of a product without its own.

        Returns a copy of ``r`` with status ``prior``, ``pooled`` True, the prior mean
        as elasticity and the predictive interval mu +/- z * sqrt(tau2 + var(mu)).
        """
        crit = stats.norm.ppf(1 - self.alpha / 2)
        prior = self.priors_.get(category, self.priors_["shop-wide"])
        se = float(np.sqrt(prior.tau2 + prior.var_mu))
        new = ElasticityResult(**r.to_dict())
        new.status, new.pooled = "prior", True
        new.elasticity, new.se = float(prior.mu), se
        new.ci_low, new.ci_high = prior.mu - crit * se, prior.mu + crit * se
        new.quality = quality_flag(prior.mu, new.ci_low, new.ci_high, r.n_weeks)
        new.message = (
            f"category prior of {prior.source} (mean {prior.mu:.2f}, between-product "
            f"sd {np.sqrt(prior.tau2):.2f}, over {prior.n} products with their own "
            f"estimate); own data cannot tell: {r.message}"
        )
        return new

    def transform(self, results: dict, categories: dict) -> dict:
        """A copy of ``results``: weak products shrunk and flagged ``pooled``;
        products without an own estimate (``prior_statuses``) given the prior."""
        crit = stats.norm.ppf(1 - self.alpha / 2)
        out = {}
        for pid, r in results.items():
            if r.status in self.prior_statuses:
                out[pid] = self.prior_for(r, categories.get(pid, OTHER))
                continue
            if not self.needs_pooling(r):
                out[pid] = r
                continue
            cat = categories.get(pid, OTHER)
            prior = self.priors_.get(cat, self.priors_["shop-wide"])
            raw_se = max(r.raw_se, 0.01)
            w = prior.tau2 / (prior.tau2 + raw_se**2) if prior.tau2 > 0 else 0.0
            e = w * r.raw_elasticity + (1 - w) * prior.mu
            se = float(np.sqrt(w * raw_se**2 + (1 - w) ** 2 * prior.var_mu))
            new = ElasticityResult(**r.to_dict())
            new.status, new.pooled = "pooled", True
            new.elasticity, new.se = float(e), se
            new.ci_low, new.ci_high = e - crit * se, e + crit * se
            new.quality = quality_flag(e, new.ci_low, new.ci_high, r.n_weeks)
            new.message = (
                f"pooled toward {prior.source} (mean {prior.mu:.2f} over {prior.n} "
                f"products; own estimate {r.raw_elasticity:.2f} +/- {raw_se:.2f} "
                f"weighs {w:.0%}): {r.message}"
            )
            out[pid] = new
        return out
