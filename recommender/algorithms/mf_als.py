"""Matrix factorisation by alternating least squares: implicit and explicit feedback.

Vectorised over all users (items) at once with torch on CPU; no Python loop per
user or per rating. No Django here.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp

from .base import Recommender, as_csr
from .knn_ratings import RatingMatrix
from .predictors import BiasedFactorization


@contextmanager
def torch_threads(n: int):
    """Run torch with ``n`` intra-op threads (0 = leave as is), then restore.

    Small vectorised steps run far faster on one thread on a shared machine
    (OpenMP threads spin while waiting for a busy core).
    """
    import torch

    before = torch.get_num_threads()
    if int(n) > 0:
        torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def _quiet_sparse():
    """Silence torch's beta/invariant-check warnings about CSR tensors."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse", category=UserWarning)
        yield


def _csr_parts(matrix: sp.csr_matrix, scale: float = 1.0):
    """(crow, col, values) torch tensors of a scipy CSR matrix (values * scale)."""
    import torch

    return (
        torch.from_numpy(matrix.indptr.astype(np.int64)),
        torch.from_numpy(matrix.indices.astype(np.int64)),
        torch.from_numpy((matrix.data * scale).astype(np.float32)),
    )


def _cg_half_step(parts, shape, x, y, regularization: float, cg_steps: int):
    """One side of implicit ALS by conjugate gradient, warm-started at ``x``.

    Solves (YᵀY + Yᵀ(C_u - I)Y + λI) x_u = Yᵀ C_u p_u for every user u at once with
    ``cg_steps`` CG iterations (Takács, Pilászy & Tikk 2011; the algorithm of
    ``implicit.cpu.als.least_squares_cg``). ``parts`` = CSR (crow, col, c_ui) of
    shape ``shape``; p_ui = 1 on stored entries. The per-entry products y_i . v_u
    are one sampled dense-dense product (SDDMM), the sums one CSR product.
    """
    import torch

    crow, col, conf = parts
    f = x.shape[1]
    yty = y.T @ y + regularization * torch.eye(f, dtype=y.dtype)
    pattern = torch.sparse_csr_tensor(crow, col, conf, size=shape)
    y_t = y.T.contiguous()
    weight = conf - 1.0

    def a_times(v):
        dots = torch.sparse.sampled_addmm(pattern, v, y_t, beta=0.0).values()
        scaled = torch.sparse_csr_tensor(crow, col, weight * dots, size=shape)
        return v @ yty + scaled @ y

    b = pattern @ y
    r = b - a_times(x)
    p = r.clone()
    rs_old = (r * r).sum(1)
    for _ in range(int(cg_steps)):
        active = rs_old > 1e-20
        ap = a_times(p)
        denom = (p * ap).sum(1)
        ok = active & (denom != 0)
        alpha = torch.where(ok, rs_old / torch.where(ok, denom, 1.0), 0.0)
        x = x + alpha[:, None] * p
        r = r - alpha[:, None] * ap
        rs_new = (r * r).sum(1)
        beta = torch.where(
            rs_old > 0, rs_new / torch.where(rs_old > 0, rs_old, 1.0), 0.0
        )
        p = r + beta[:, None] * p
        rs_old = torch.where(active, rs_new, rs_old)
    return x


def _sparse_mm(matrix: sp.csr_matrix, dense, scale: float = 1.0):
    """``(scale * matrix) @ dense`` with torch's CSR kernel."""
    import torch

    sparse = torch.sparse_csr_tensor(
        torch.from_numpy(matrix.indptr.astype(np.int64)),
        torch.from_numpy(matrix.indices.astype(np.int64)),
        torch.from_numpy((matrix.data * scale).astype(np.float32)).to(dense.dtype),
        size=matrix.shape,
    )
    return sparse @ dense


def _exact_half_step(matrix: sp.csr_matrix, y, regularization, alpha):
    """Exact solve x_u = (YᵀY + Yᵀ(C_u - I)Y + λI)⁻¹ YᵀC_u p_u, all users at once.

    The Gram terms Σ_i (c_ui - 1) y_i y_iᵀ are one sparse product with the
    row-wise outer products of Y (memory n_items * f^2), then batched Cholesky.
    """
    import torch

    n, f = matrix.shape[0], y.shape[1]
    minus_one = matrix.copy()
    minus_one.data = minus_one.data * float(alpha) - 1.0
    outer = (y[:, :, None] * y[:, None, :]).reshape(len(y), f * f)
    gram = _sparse_mm(minus_one, outer).reshape(n, f, f)
    a = gram + (y.T @ y + regularization * torch.eye(f, dtype=y.dtype))
    b = _sparse_mm(matrix, y, float(alpha))
    chol = torch.linalg.cholesky(a)
    return torch.cholesky_solve(b[:, :, None], chol)[:, :, 0]


class ImplicitALS(Recommender):
    """Implicit-feedback matrix factorisation (weighted ALS).

    Minimises  sum_{u,i} c_ui (p_ui - x_u . y_i)^2 + λ (sum |x_u|^2 + sum |y_i|^2)
    with p_ui = 1 where the user interacted, else 0, and confidence
    c_ui = alpha * r_ui on interactions (1 elsewhere), exactly as
    ``implicit.als.AlternatingLeastSquares`` (which takes c_ui = alpha * r_ui; the
    paper's 1 + alpha * r_ui is obtained by passing 1 + alpha * r as the matrix).
    Each half-step solves all users (items) at once: ``solver="cg"`` runs
    ``cg_steps`` conjugate-gradient iterations warm-started at the previous factors
    (implicit's default), ``solver="cholesky"`` the exact normal equations using
    the YᵀY trick (YᵀC_uY = YᵀY + Yᵀ(C_u - I)Y). Initial factors are
    ``uniform[0, 1) * 0.01`` from ``numpy.random.default_rng(random_state)`` as
    implicit, so equal seeds give close factors.

    Parameters
    ----------
    factors : int; regularization : float (λ); alpha : float; iterations : int
    solver : {"cg", "cholesky"}; cg_steps : int
    random_state : int, optional
    num_threads : int, torch threads while fitting (0 = leave torch's setting).
        One thread by default: on a shared 2-core machine it is the fastest.

    Attributes
    ----------
    user_factors_ : float32 (n_users, factors); item_factors_ (n_items, factors)

    References
    ----------
    Hu, Koren & Volinsky, "Collaborative filtering for implicit feedback datasets",
    ICDM 2008; Takács, Pilászy & Tikk, "Applications of the conjugate gradient
    method for implicit feedback collaborative filtering", RecSys 2011.
    """

    name = "implicit_als"

    def __init__(
        self,
        *,
        factors: int = 64,
        regularization: float = 0.01,
        alpha: float = 1.0,
        iterations: int = 15,
        solver: str = "cg",
        cg_steps: int = 3,
        random_state: int | None = None,
        num_threads: int = 1,
    ):
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.solver = solver
        self.cg_steps = cg_steps
        self.random_state = random_state
        self.num_threads = num_threads

    def _validate(self) -> None:
        if int(self.factors) < 1:
            raise ValueError(f"factors must be >= 1, got {self.factors}")
        if int(self.iterations) < 0:
            raise ValueError(f"iterations must be >= 0, got {self.iterations}")
        if float(self.regularization) < 0 or float(self.alpha) <= 0:
            raise ValueError("regularization must be >= 0 and alpha > 0")
        if self.solver not in ("cg", "cholesky"):
            raise ValueError(f"solver must be 'cg' or 'cholesky', got {self.solver!r}")

    def fit(self, user_items) -> ImplicitALS:
        """Fit on a non-negative (n_users, n_items) interaction matrix.

        Raises
        ------
        ValueError
            Bad hyperparameters or negative values.
        """
        import torch

        self._validate()
        matrix = as_csr(user_items)
        if matrix.nnz and matrix.data.min() < 0:
            raise ValueError("user_items must be non-negative for implicit ALS")
        matrix = matrix.copy()
        matrix.eliminate_zeros()
        n_users, n_items = matrix.shape
        rng = np.random.default_rng(self.random_state)
        f = int(self.factors)
        x = torch.from_numpy(rng.random((n_users, f), dtype=np.float32) * 0.01)
        y = torch.from_numpy(rng.random((n_items, f), dtype=np.float32) * 0.01)
        transposed = matrix.T.tocsr()
        by_user = _csr_parts(matrix, float(self.alpha))
        by_item = _csr_parts(transposed, float(self.alpha))
        reg = float(self.regularization)
        with torch_threads(int(self.num_threads)), torch.no_grad(), _quiet_sparse():
            for _ in range(int(self.iterations)):
                if self.solver == "cg":
                    x = _cg_half_step(by_user, matrix.shape, x, y, reg, self.cg_steps)
                    y = _cg_half_step(
                        by_item, transposed.shape, y, x, reg, self.cg_steps
                    )
                else:
                    x = _exact_half_step(matrix, y, reg, self.alpha)
                    y = _exact_half_step(transposed, x, reg, self.alpha)
        self.user_factors_ = x.numpy()
        self.item_factors_ = y.numpy()
        self.n_items_ = n_items
        return self

    def score(self, user_ids: np.ndarray, user_items: sp.csr_matrix) -> np.ndarray:
        users = np.asarray(user_ids, dtype=np.int64)
        if users.size and users.max() >= len(self.user_factors_):
            raise ValueError("user_ids beyond the users seen in fit")
        return self.user_factors_[users] @ self.item_factors_.T

    def similar_items(self, item_ids, *, n: int = 10):
        """Items with the highest cosine between item factors (itself excluded)."""
        from .base import top_n

        self._check_fitted()
        if int(n) < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        single = np.isscalar(item_ids)
        items = np.atleast_1d(np.asarray(item_ids, dtype=np.int64))
        if items.size and (items.min() < 0 or items.max() >= self.n_items_):
            raise ValueError("item_ids out of range")
        norms = np.linalg.norm(self.item_factors_, axis=1)
        unit = self.item_factors_ / np.maximum(norms, 1e-12)[:, None]
        scores = (unit[items] @ unit.T).astype(np.float64)
        scores[np.arange(len(items)), items] = -np.inf
        ids, vals = top_n(scores, int(n))
        return (ids[0], vals[0]) if single else (ids, vals)

    def _state(self):
        return {
            **super()._state(),
            "user_factors_": self.user_factors_,
            "item_factors_": self.item_factors_,
        }

    def _restore(self, arrays) -> None:
        super()._restore(arrays)
        self.user_factors_ = arrays["user_factors_"]
        self.item_factors_ = arrays["item_factors_"]


class ExplicitALS(BiasedFactorization):
    """Biased matrix factorisation of explicit ratings by alternating ridge solves.

    r̂_ui = mu + b_u + b_i + p_u . q_i. With the other side fixed, each user solves
    the ridge problem over his observed ratings only:

        [p_u, b_u] = (Q̃_uᵀ Q̃_u + λ n_u^w I)⁻¹ Q̃_uᵀ (r_u - mu - b_i),  Q̃ = [Q, 1]

    (all users at once: the Gram matrices Σ_i q̃_i q̃_iᵀ are one sparse product, then
    a batched Cholesky solve); items likewise. ``weighted_reg`` scales λ by the
    number of ratings (n_u^w, Zhou et al. 2008's weighted-λ regularisation).

    Surprise has no ALS factorisation: the benchmark sets this model beside
    ``surprise.SVD`` (the same biased model fit by SGD) and beside our
    :class:`~recommender.algorithms.mf_sgd.SGDMatrixFactorization`.

    Parameters
    ----------
    n_factors : int; regularization : float (λ); n_epochs : int
    weighted_reg : bool; init_std : float; random_state : int, optional

    References
    ----------
    Zhou, Wilkinson, Schreiber & Pan, "Large-scale parallel collaborative filtering
    for the Netflix prize", AAIM 2008; Koren, Bell & Volinsky, IEEE Computer 2009.
    """

    name = "explicit_als"
    baseline = "baseline"

    def __init__(
        self,
        *,
        n_factors: int = 20,
        regularization: float = 0.1,
        n_epochs: int = 15,
        weighted_reg: bool = True,
        init_std: float = 0.1,
        random_state: int | None = None,
    ):
        self.n_factors = n_factors
        self.regularization = regularization
        self.n_epochs = n_epochs
        self.weighted_reg = weighted_reg
        self.init_std = init_std
        self.random_state = random_state

    def _solve(self, rows, cols, resid, n, other, counts):
        import torch

        f = other.shape[1]
        ones = torch.ones((other.shape[0], 1), dtype=other.dtype)
        aug = torch.cat([other, ones], dim=1)
        g = f + 1
        outer = (aug[:, :, None] * aug[:, None, :]).reshape(len(aug), g * g)
        pattern = sp.csr_matrix(
            (np.ones(len(rows)), (rows.numpy(), cols.numpy())), shape=(n, len(aug))
        )
        gram = _sparse_mm(pattern, outer)
        lam = float(self.regularization) * (
            torch.clamp(counts, min=1.0)
            if self.weighted_reg
            else torch.ones(n, dtype=other.dtype)
        )
        a = gram.reshape(n, g, g) + lam[:, None, None] * torch.eye(g, dtype=other.dtype)
        b = torch.zeros((n, g), dtype=other.dtype).index_add_(
            0, rows, resid[:, None] * aug[cols]
        )
        sol = torch.linalg.solve(a, b)
        return sol[:, :f], sol[:, f]

    def _fit(self, data: RatingMatrix) -> None:
        import torch

        if int(self.n_factors) < 1 or int(self.n_epochs) < 0:
            raise ValueError("n_factors must be >= 1 and n_epochs >= 0")
        if float(self.regularization) <= 0:
            raise ValueError(f"regularization must be > 0, got {self.regularization}")
        n_users, n_items = data.shape
        coo = data.ratings.tocoo()
        rows = torch.from_numpy(coo.row.astype(np.int64))
        cols = torch.from_numpy(coo.col.astype(np.int64))
        r = torch.from_numpy(coo.data.astype(np.float64))
        mu = float(data.global_mean)
        rng = np.random.default_rng(self.random_state)
        f = int(self.n_factors)
        p = torch.from_numpy(rng.normal(0, self.init_std, (n_users, f)))
        q = torch.from_numpy(rng.normal(0, self.init_std, (n_items, f)))
        bu = torch.zeros(n_users, dtype=torch.float64)
        bi = torch.zeros(n_items, dtype=torch.float64)
        n_u = torch.bincount(rows, minlength=n_users).double()
        n_i = torch.bincount(cols, minlength=n_items).double()
        with torch_threads(1), torch.no_grad(), _quiet_sparse():
            for _ in range(int(self.n_epochs)):
                p, bu = self._solve(rows, cols, r - mu - bi[cols], n_users, q, n_u)
                q, bi = self._solve(cols, rows, r - mu - bu[rows], n_items, p, n_i)
        self.user_factors_, self.item_factors_ = p.numpy(), q.numpy()
        self.user_bias_, self.item_bias_ = bu.numpy(), bi.numpy()
        self.mu_ = mu
