"""Session/sequence recommender: a GRU (or LSTM) over each customer's baskets.

Each customer is a time-ordered sequence of baskets (invoices). A basket is embedded
as the mean of its item embeddings, a recurrent cell reads the basket sequence, and
the hidden state after basket ``t`` scores every item for basket ``t + 1``::

    e_t   = mean_{i in B_t} E[i]                      (E: item embeddings, (n_items, d))
    h_t   = GRU(e_t, h_{t-1})                         (or LSTM)
    s_t   = W h_t · Eᵀ + b                            (output tied to E, "weight tying")
          + softplus(w_r · h_t + c_r) · log(1 + H_t)   (repeat term, optional)
    H_t[i] = sum_{s <= t} γ^(t - s) · 1[i in B_s]     (recency-decayed purchase history)

and the loss is the cross-entropy of the full softmax over the catalogue, averaged over
the items of the next basket: ``-1/|B_{t+1}| Σ_{i in B_{t+1}} log softmax(s_t)_i``.
A catalogue of a few thousand products makes the full softmax cheap, so no sampling.

The repeat term (after RepeatNet, Ren et al. 2019) lets the network learn how much a
customer re-buys what they bought before; in Online Retail customers re-buy a lot.
Classic item-level GRU4Rec is the special case of one-item baskets and
``repeat_aware=False`` (pass each sequence as a 1-D array of item ids).

Fit signature (differs from the ``fit(user_items)`` contract, because order matters)::

    model.fit(sequences, n_items=n_items)
        sequences : list (n_users) of list of 1-D int arrays (baskets, oldest first),
                    or list of 1-D int arrays (one item per step, classic sessions).

``score(user_ids, user_items)`` then answers from the hidden state stored after each
training user's last basket; a user with no training baskets (or an id beyond the
training users) is re-encoded from their ``user_items`` row as one basket.
``score_sequences(sequences)`` re-encodes arbitrary (e.g. updated or new) customers.

Training: Adam, length-bucketed batches of users, gradient clipping at norm 5, and
early stopping on each user's held-out last basket (``patience``). ``save`` writes
one ``.npz`` (``allow_pickle=False``): the network's ``state_dict`` tensors as arrays
(keys ``net.*``), the stored user states and histories, and the parameters.

References
----------
Hidasi, Karatzoglou, Baltrunas & Tikk, "Session-based recommendations with recurrent
neural networks", ICLR 2016 (GRU4Rec).
Yu, Liu, Wu, Wang & Tan, "A dynamic recurrent model for next basket recommendation",
SIGIR 2016 (DREAM: basket = pooled item embeddings fed to an RNN).
Ren et al., "RepeatNet: a repeat aware neural recommendation machine for session-based
recommendation", AAAI 2019 (repeat term).
Press & Wolf, "Using the output embedding to improve language models", EACL 2017.
Prechelt, "Early stopping - but when?", Neural Networks: Tricks of the Trade, 1998.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch import nn

from recommender.algorithms.base import NotFittedError, Recommender, as_csr

__all__ = ["SequenceRecommender", "GRU4Rec", "basket_sequences"]


def basket_sequences(
    user_ids: np.ndarray,
    basket_ids: np.ndarray,
    item_ids: np.ndarray,
    times: np.ndarray,
    *,
    n_users: int,
) -> list[list[np.ndarray]]:
    """Group purchase lines into time-ordered baskets per user.

    Parameters
    ----------
    user_ids : int array of shape (m,), inner user ids in ``0..n_users-1``.
    basket_ids : array of shape (m,), the basket key (e.g. invoice number).
    item_ids : int array of shape (m,), inner item ids.
    times : datetime64 or numeric array of shape (m,), when the basket was placed.
    n_users : int, number of users (users without lines get an empty list).

    Returns
    -------
    list of length ``n_users``; entry ``u`` is a list of 1-D int64 arrays (the distinct
    items of each basket), oldest basket first.

    Raises
    ------
    ValueError
        Arrays of different lengths, or a user id outside ``0..n_users-1``.
    """
    m = len(user_ids)
    if not (len(basket_ids) == len(item_ids) == len(times) == m):
        raise ValueError(
            "user_ids, basket_ids, item_ids and times must be equally long"
        )
    frame = pd.DataFrame(
        {
            "u": np.asarray(user_ids, dtype=np.int64),
            "b": pd.factorize(np.asarray(basket_ids))[0],
            "i": np.asarray(item_ids, dtype=np.int64),
            "t": np.asarray(times),
        }
    )
    if m and (frame.u.min() < 0 or frame.u.max() >= n_users):
        raise ValueError(f"user_ids must lie in 0..{n_users - 1}")
    out: list[list[np.ndarray]] = [[] for _ in range(n_users)]
    if not m:
        return out
    # a basket's time is its first line's time; order baskets by (user, time, key)
    first = frame.groupby("b")["t"].transform("min")
    frame = frame.assign(t=first).drop_duplicates(["u", "b", "i"])
    frame = frame.sort_values(["u", "t", "b", "i"], kind="stable")
    for (u, _b), items in frame.groupby(["u", "b"], sort=False)["i"]:
        out[u].append(items.to_numpy(np.int64))
    return out


def _as_baskets(sequences, n_items: int | None) -> tuple[list[list[np.ndarray]], int]:
    """Normalise the accepted sequence shapes to lists of baskets; infer n_items."""
    if not isinstance(sequences, Sequence) or isinstance(sequences, str | bytes):
        raise TypeError("sequences must be a list (one entry per user)")
    norm: list[list[np.ndarray]] = []
    top = -1
    for u, seq in enumerate(sequences):
        if isinstance(seq, np.ndarray) and seq.ndim == 1:
            baskets = [seq[j : j + 1] for j in range(seq.shape[0])]
        else:
            baskets = list(seq)
        clean = []
        for basket in baskets:
            arr = np.unique(np.asarray(basket, dtype=np.int64).ravel())
            if arr.size == 0:
                continue
            if arr[0] < 0:
                raise ValueError(f"user {u}: negative item id {arr[0]}")
            top = max(top, int(arr[-1]))
            clean.append(arr)
        norm.append(clean)
    if n_items is None:
        n_items = top + 1
    elif top >= n_items:
        raise ValueError(f"item id {top} is out of range for n_items={n_items}")
    if n_items < 1:
        raise ValueError("no items: sequences are empty and n_items was not given")
    return norm, int(n_items)


# --- the torch network and its training loop (private) ---------------------------
@contextmanager
def _torch_threads(n: int | None):
    """Run a block with ``n`` torch intra-op threads, restoring the old setting."""
    old = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(old)


class _BasketRNN(nn.Module):
    """Mean-pooled basket embeddings -> GRU/LSTM -> tied full-softmax output."""

    def __init__(
        self,
        *,
        n_items: int,
        embedding_dim: int,
        hidden_dim: int,
        cell: str,
        dropout: float,
        repeat_aware: bool,
    ) -> None:
        super().__init__()
        self.n_items = n_items
        self.item_emb = nn.EmbeddingBag(n_items, embedding_dim, mode="mean")
        nn.init.normal_(self.item_emb.weight, std=0.1)
        rnn = nn.GRU if cell == "gru" else nn.LSTM
        self.rnn = rnn(embedding_dim, hidden_dim, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_dim, embedding_dim)
        self.item_bias = nn.Parameter(torch.zeros(n_items))
        self.repeat = nn.Linear(hidden_dim, 1) if repeat_aware else None

    def states(self, flat: torch.Tensor, offsets: torch.Tensor, b: int, t: int):
        """Hidden state after every basket, shape (b, t, hidden_dim)."""
        bags = self.item_emb(flat, offsets).view(b, t, -1)
        out, _ = self.rnn(bags)
        return out

    def logits(self, h: torch.Tensor, hist: torch.Tensor | None) -> torch.Tensor:
        """Scores (n, n_items) from states (n, hidden) and histories (n, n_items)."""
        s = self.out(self.drop(h)) @ self.item_emb.weight.T + self.item_bias
        if self.repeat is not None and hist is not None:
            s = s + nn.functional.softplus(self.repeat(h)) * torch.log1p(hist)
        return s


def _pack(batch: list[list[np.ndarray]]):
    """Flat item ids and bag offsets for a (b, t) grid of baskets (empty = padding)."""
    b = len(batch)
    t = max(1, max(len(s) for s in batch))
    sizes = np.zeros((b, t), dtype=np.int64)
    chunks = []
    for r, seq in enumerate(batch):
        for c, basket in enumerate(seq):
            sizes[r, c] = basket.size
            chunks.append(basket)
    flat = np.concatenate(chunks) if chunks else np.zeros(0, np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes.ravel())[:-1]])
    return torch.from_numpy(flat), torch.from_numpy(offsets), b, t


def _history(batch: list[list[np.ndarray]], t: int, n_items: int, decay: float):
    """Decayed purchase history after each basket, dense (b, t, n_items) float32."""
    rows, cols, items = [], [], []
    for r, seq in enumerate(batch):
        for c, basket in enumerate(seq):
            rows.append(np.full(basket.size, r))
            cols.append(np.full(basket.size, c))
            items.append(basket)
    hist = torch.zeros(len(batch), t, n_items)
    if items:
        index = tuple(torch.from_numpy(np.concatenate(a)) for a in (rows, cols, items))
        hist[index] = 1.0
    for c in range(1, t):
        hist[:, c] += decay * hist[:, c - 1]
    return hist


def _batch_loss(
    net: _BasketRNN, batch: list[list[np.ndarray]], decay: float, last_only=False
):
    """Mean next-basket cross-entropy over all steps (or only the last one)."""
    flat, offsets, b, t = _pack(batch)
    h = net.states(flat, offsets, b, t)
    rows, items, weights = [], [], []
    for r, seq in enumerate(batch):
        for c in range(len(seq) - 2 if last_only else 0, len(seq) - 1):
            nxt = seq[c + 1]
            rows.append(np.full(nxt.size, r * t + c))
            items.append(nxt)
            weights.append(np.full(nxt.size, 1.0 / nxt.size, dtype=np.float32))
    rows_np = np.concatenate(rows)
    steps, inverse = np.unique(rows_np, return_inverse=True)
    hist = _history(batch, t, net.n_items, decay).view(b * t, -1)[steps]
    logp = torch.log_softmax(net.logits(h.reshape(b * t, -1)[steps], hist), dim=1)
    picked = logp[torch.from_numpy(inverse), torch.from_numpy(np.concatenate(items))]
    return -(picked * torch.from_numpy(np.concatenate(weights))).sum() / steps.size


def _train(
    net: _BasketRNN,
    sequences: list[list[np.ndarray]],
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    weight_decay: float,
    decay: float,
    rng: np.random.Generator,
    verbose: bool,
    validation: list[list[np.ndarray]] | None = None,
    patience: int = 2,
) -> tuple[list[float], list[float]]:
    """Adam over length-bucketed batches of users, with optional early stopping.

    With ``validation`` (sequences whose last basket is held out), stops when the
    validation loss has not improved for ``patience`` epochs and restores the best
    epoch's weights. Returns the mean training and validation losses per epoch.
    """
    import copy

    from tqdm.auto import tqdm

    opt = torch.optim.Adam(
        net.parameters(), lr=learning_rate, weight_decay=weight_decay
    )
    lengths = np.array([len(s) for s in sequences])
    losses: list[float] = []
    val_losses: list[float] = []
    best, best_state = np.inf, None
    bar = tqdm(range(epochs), desc="gru4rec", unit="epoch", disable=not verbose)
    for _ in bar:
        net.train()
        order = np.argsort(lengths + rng.random(lengths.size) * 2, kind="stable")
        batches = [order[i : i + batch_size] for i in range(0, order.size, batch_size)]
        total, count = 0.0, 0
        for j in rng.permutation(len(batches)):
            loss = _batch_loss(net, [sequences[u] for u in batches[j]], decay)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            opt.step()
            total += float(loss.detach()) * batches[j].size
            count += batches[j].size
        losses.append(total / max(count, 1))
        bar.set_postfix(loss=f"{losses[-1]:.3f}")
        if validation:
            val_losses.append(_validation_loss(net, validation, decay, batch_size))
            bar.set_postfix(loss=f"{losses[-1]:.3f}", val=f"{val_losses[-1]:.3f}")
            if val_losses[-1] < best - 1e-4:
                best, best_state = val_losses[-1], copy.deepcopy(net.state_dict())
            elif len(val_losses) - 1 - int(np.argmin(val_losses)) >= patience:
                break
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    return losses, val_losses


def _validation_loss(net, sequences, decay: float, batch_size: int) -> float:
    """Mean loss of predicting each sequence's last basket from the ones before."""
    net.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(0, len(sequences), batch_size):
            batch = sequences[i : i + batch_size]
            total += float(_batch_loss(net, batch, decay, last_only=True)) * len(batch)
    return total / len(sequences)


def _encode(net: _BasketRNN, sequences: list[list[np.ndarray]], *, decay: float):
    """State after each user's last basket (zeros if none) and their decayed history.

    Returns float32 (n_users, hidden_dim) and csr_matrix (n_users, n_items).
    """
    net.eval()
    n = len(sequences)
    states = np.zeros((n, net.rnn.hidden_size), dtype=np.float32)
    rows, cols, vals = [], [], []
    for u, seq in enumerate(sequences):
        if not seq:
            continue
        ages = decay ** np.arange(len(seq) - 1, -1, -1, dtype=np.float64)
        items = np.concatenate(seq)
        w = np.repeat(ages, [b.size for b in seq])
        uniq, inv = np.unique(items, return_inverse=True)
        rows.append(np.full(uniq.size, u))
        cols.append(uniq)
        vals.append(np.bincount(inv, weights=w).astype(np.float32))
    hist = sp.csr_matrix(
        (
            np.concatenate(vals) if vals else np.zeros(0, np.float32),
            (
                np.concatenate(rows) if rows else np.zeros(0, np.int64),
                np.concatenate(cols) if cols else np.zeros(0, np.int64),
            ),
        ),
        shape=(n, net.n_items),
        dtype=np.float32,
    )
    todo = [u for u in range(n) if sequences[u]]
    with torch.no_grad():
        for i in range(0, len(todo), 256):
            users = todo[i : i + 256]
            flat, offsets, b, t = _pack([sequences[u] for u in users])
            out = net.states(flat, offsets, b, t)
            last = torch.tensor([len(sequences[u]) - 1 for u in users])
            states[users] = out[torch.arange(b), last].numpy()
    return states, hist


def _net_logits(net: _BasketRNN, state: np.ndarray, history: sp.csr_matrix):
    """Item scores float32 (n, n_items) for stored states and histories."""
    net.eval()
    out = np.empty((state.shape[0], net.n_items), dtype=np.float32)
    with torch.no_grad():
        for i in range(0, state.shape[0], 1024):
            h = torch.from_numpy(np.ascontiguousarray(state[i : i + 1024]))
            hist = torch.from_numpy(history[i : i + 1024].toarray().astype(np.float32))
            out[i : i + 1024] = net.logits(h, hist).numpy()
    return out


class SequenceRecommender(Recommender):
    """GRU/LSTM next-basket recommender (GRU4Rec over baskets, repeat-aware).

    Parameters
    ----------
    cell : {"gru", "lstm"}, the recurrent cell.
    embedding_dim : int, item embedding size ``d`` (input and tied output).
    hidden_dim : int, recurrent state size.
    max_baskets : int, only the last ``max_baskets`` baskets of a user are read.
    max_basket_size : int, larger baskets are subsampled to this many items (seeded).
    repeat_aware : bool, add the learned repeat term over the decayed history.
    history_decay : float in (0, 1], ``γ`` of the decayed history ``H_t``.
    epochs, batch_size, learning_rate, weight_decay, dropout : training settings
        (Adam; ``batch_size`` users per step).
    patience : int or None, early stopping: every user with >= 3 baskets holds out
        their last basket as validation; training stops once the validation loss
        has not improved for ``patience`` epochs and the best epoch's weights are
        kept (so ``epochs`` is a maximum). ``None``/0 trains all ``epochs``.
    num_threads : int or None, torch CPU threads while fitting and scoring (``None``
        keeps torch's setting). One thread is fastest for these small recurrent
        batches on a shared machine: extra threads spin and can be ~10x slower.
    random_state : int, seeds torch and numpy; same data and seed give the same model.
    verbose : bool, show a tqdm bar over epochs.

    Attributes
    ----------
    n_items_ : int
    n_users_ : int, number of training sequences.
    user_state_ : float32 array (n_users_, hidden_dim), state after the last basket.
    user_history_ : csr_matrix (n_users_, n_items_), decayed history ``H`` at the end.
    user_length_ : int array (n_users_,), training baskets read per user.
    loss_history_ : list of float, mean training loss per epoch.
    val_loss_history_ : list of float, validation loss per epoch (early stopping).
    fit_seconds_ : float

    References
    ----------
    Hidasi et al., ICLR 2016 (GRU4Rec); Yu et al., SIGIR 2016 (DREAM);
    Ren et al., AAAI 2019 (RepeatNet). See the module docstring.
    """

    name = "gru4rec"

    def __init__(
        self,
        *,
        cell: str = "gru",
        embedding_dim: int = 64,
        hidden_dim: int = 128,
        max_baskets: int = 50,
        max_basket_size: int = 64,
        repeat_aware: bool = True,
        history_decay: float = 0.8,
        epochs: int = 20,
        batch_size: int = 64,
        learning_rate: float = 3e-3,
        weight_decay: float = 0.0,
        dropout: float = 0.2,
        patience: int | None = 2,
        num_threads: int | None = 1,
        random_state: int | None = 0,
        verbose: bool = False,
    ) -> None:
        self.cell = cell
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.max_baskets = max_baskets
        self.max_basket_size = max_basket_size
        self.repeat_aware = repeat_aware
        self.history_decay = history_decay
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.patience = patience
        self.num_threads = num_threads
        self.random_state = random_state
        self.verbose = verbose

    # --- validation ---------------------------------------------------------------
    def _validate_params(self) -> None:
        if self.cell not in ("gru", "lstm"):
            raise ValueError(f"cell must be 'gru' or 'lstm', got {self.cell!r}")
        for name in (
            "embedding_dim",
            "hidden_dim",
            "max_baskets",
            "max_basket_size",
            "batch_size",
        ):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if int(self.epochs) < 0:
            raise ValueError(f"epochs must be >= 0, got {self.epochs}")
        if not 0.0 < float(self.history_decay) <= 1.0:
            raise ValueError(
                f"history_decay must be in (0, 1], got {self.history_decay}"
            )
        if not 0.0 <= float(self.dropout) < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if float(self.learning_rate) <= 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")

    # --- fitting ------------------------------------------------------------------
    def fit(self, sequences, *, n_items: int | None = None) -> SequenceRecommender:
        """Train on basket sequences.

        Parameters
        ----------
        sequences : list of length n_users
            Each entry a list of baskets (1-D int arrays of inner item ids), oldest
            first, or a 1-D int array of items (one item per step). Empty entries are
            allowed (those users get the empty-history state). Only users with at
            least two baskets give training targets.
        n_items : int, optional
            Catalogue size; defaults to the largest item id + 1.

        Returns
        -------
        self

        Raises
        ------
        TypeError, ValueError
            Bad parameters, ids out of range, or no user with two baskets while
            ``epochs > 0``.
        """
        self._validate_params()
        baskets, n_items = _as_baskets(sequences, n_items)
        rng = np.random.default_rng(self.random_state)
        baskets = [self._cap(seq, rng) for seq in baskets]
        train_users = np.array([u for u, s in enumerate(baskets) if len(s) >= 2])
        if self.epochs > 0 and train_users.size == 0:
            raise ValueError("no user has two or more baskets: nothing to learn from")
        start = time.perf_counter()
        with _torch_threads(self.num_threads):
            self._fit_net(baskets, train_users, n_items, rng)
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def _fit_net(self, baskets, train_users, n_items, rng) -> None:
        if self.random_state is not None:
            torch.manual_seed(int(self.random_state))
        net = _BasketRNN(
            n_items=n_items,
            embedding_dim=int(self.embedding_dim),
            hidden_dim=int(self.hidden_dim),
            cell=self.cell,
            dropout=float(self.dropout),
            repeat_aware=bool(self.repeat_aware),
        )
        train_seqs = [baskets[u] for u in train_users]
        validation = None
        held = [j for j, seq in enumerate(train_seqs) if len(seq) >= 3]
        if self.patience and len(held) >= 10:
            validation = [train_seqs[j] for j in held]
            for j in held:  # the held-out last basket is not trained on
                train_seqs[j] = train_seqs[j][:-1]
        self.loss_history_, self.val_loss_history_ = _train(
            net,
            train_seqs,
            validation=validation,
            patience=int(self.patience or 0),
            epochs=int(self.epochs),
            batch_size=int(self.batch_size),
            learning_rate=float(self.learning_rate),
            weight_decay=float(self.weight_decay),
            decay=float(self.history_decay),
            rng=rng,
            verbose=bool(self.verbose),
        )
        self.net_ = net
        self.n_items_ = n_items
        self.n_users_ = len(baskets)
        self.user_state_, self.user_history_ = _encode(
            net, baskets, decay=float(self.history_decay)
        )
        self.user_length_ = np.array([len(s) for s in baskets], dtype=np.int64)

    def _cap(self, seq: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
        seq = seq[-int(self.max_baskets) :]
        k = int(self.max_basket_size)
        return [
            b if b.size <= k else np.sort(rng.choice(b, k, replace=False)) for b in seq
        ]

    # --- scoring ------------------------------------------------------------------
    def score(self, user_ids: np.ndarray, user_items: sp.csr_matrix) -> np.ndarray:
        """Scores (logits) of every item, shape (len(user_ids), n_items_).

        Training users with at least one basket answer from their stored state;
        others are re-encoded from their ``user_items`` row taken as one basket.
        """
        self._check_fitted()
        users = np.asarray(user_ids, dtype=np.int64)
        user_items = as_csr(user_items)
        if user_items.shape[1] != self.n_items_:
            raise ValueError(
                f"user_items has {user_items.shape[1]} items, model has {self.n_items_}"
            )
        known = np.zeros(users.size, dtype=bool)
        if self.n_users_:
            inside = users < self.n_users_
            known[inside] = self.user_length_[users[inside]] > 0
        out = np.empty((users.size, self.n_items_), dtype=np.float32)
        if known.any():
            rows = users[known]
            out[known] = self._logits(self.user_state_[rows], self.user_history_[rows])
        if (~known).any():
            seqs = [
                [user_items[int(u)].indices.astype(np.int64)] for u in users[~known]
            ]
            out[~known] = self.score_sequences(seqs)
        return out

    def score_sequences(self, sequences) -> np.ndarray:
        """Re-encode new basket sequences and score every item.

        Parameters
        ----------
        sequences : list (b) of lists of baskets, as in :meth:`fit`.

        Returns
        -------
        float32 array of shape (b, n_items_).
        """
        self._check_fitted()
        baskets, _ = _as_baskets(sequences, self.n_items_)
        baskets = [s[-int(self.max_baskets) :] for s in baskets]
        with _torch_threads(self.num_threads):
            state, hist = _encode(self.net_, baskets, decay=float(self.history_decay))
        return self._logits(state, hist)

    def recommend_sequences(
        self, sequences, *, n: int = 10, exclude_seen: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``n`` next items for new sequences; ids/scores of shape (b, n)."""
        from recommender.algorithms.base import top_n

        if int(n) < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        scores = self.score_sequences(sequences).astype(np.float64)
        if exclude_seen:
            baskets, _ = _as_baskets(sequences, self.n_items_)
            for r, seq in enumerate(baskets):
                if seq:
                    scores[r, np.concatenate(seq)] = -np.inf
        return top_n(scores, int(n))

    def _logits(self, state: np.ndarray, history: sp.csr_matrix) -> np.ndarray:
        with _torch_threads(self.num_threads):
            return _net_logits(self.net_, state, history)

    def similar_items(self, item_ids, *, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Items whose learned embeddings are closest (cosine) to each item's."""
        from recommender.algorithms.base import top_n

        self._check_fitted()
        single = np.isscalar(item_ids)
        items = np.atleast_1d(np.asarray(item_ids, dtype=np.int64))
        if items.size and (items.min() < 0 or items.max() >= self.n_items_):
            raise ValueError(f"item_ids must lie in 0..{self.n_items_ - 1}")
        emb = self.item_embeddings()
        sims = (emb[items] @ emb.T).astype(np.float64)
        sims[np.arange(items.size), items] = -np.inf
        ids, vals = top_n(sims, int(n))
        return (ids[0], vals[0]) if single else (ids, vals)

    def item_embeddings(self) -> np.ndarray:
        """L2-normalised item embeddings, float32 (n_items_, embedding_dim)."""
        self._check_fitted()
        emb = self.net_.item_emb.weight.detach().numpy().astype(np.float32)
        return emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)

    # --- persistence --------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "net_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit first")

    def _state(self) -> dict[str, np.ndarray]:
        state = super()._state()
        for key, tensor in self.net_.state_dict().items():
            state[f"net.{key}"] = tensor.detach().cpu().numpy()
        hist = self.user_history_.tocsr()
        state.update(
            n_users_=np.asarray(self.n_users_),
            user_state_=self.user_state_,
            user_length_=self.user_length_,
            hist_data=hist.data,
            hist_indices=hist.indices,
            hist_indptr=hist.indptr,
            loss_history_=np.asarray(self.loss_history_, dtype=np.float64),
            val_loss_history_=np.asarray(self.val_loss_history_, dtype=np.float64),
        )
        return state

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        super()._restore(arrays)
        self.n_users_ = int(arrays["n_users_"])
        self.user_state_ = arrays["user_state_"].astype(np.float32)
        self.user_length_ = arrays["user_length_"].astype(np.int64)
        self.user_history_ = sp.csr_matrix(
            (arrays["hist_data"], arrays["hist_indices"], arrays["hist_indptr"]),
            shape=(self.n_users_, self.n_items_),
        )
        self.loss_history_ = arrays["loss_history_"].tolist()
        self.val_loss_history_ = arrays["val_loss_history_"].tolist()
        net = _BasketRNN(
            n_items=self.n_items_,
            embedding_dim=int(self.embedding_dim),
            hidden_dim=int(self.hidden_dim),
            cell=self.cell,
            dropout=float(self.dropout),
            repeat_aware=bool(self.repeat_aware),
        )
        weights = {
            k[4:]: torch.from_numpy(np.ascontiguousarray(v))
            for k, v in arrays.items()
            if k.startswith("net.")
        }
        net.load_state_dict(weights, strict=True)
        net.eval()
        self.net_ = net


GRU4Rec = SequenceRecommender
