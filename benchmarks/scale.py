"""Scale: import, training and precompute of synthetic shops 1x, 4x, 16x the real one.

Issue 12.6. For each size ``k`` a synthetic Online Retail file is built from the
real one (``/work/shared/data/online_retail.csv.gz``, see :func:`synthesise`), a
fresh PostgreSQL database is created, and the product's own commands run in it,
each as a separate process measured on its own (wall seconds, and peak resident
memory of that process from ``os.wait4``'s ``ru_maxrss``):

1. ``manage.py migrate`` (not in the table),
2. ``manage.py import_orders FILE``,
3. ``manage.py train_recommender`` (the default pipeline: every surface's
   temporal blend, tuned on rolling origins; the members' memory guard of
   ``recommender.algorithms.memory`` decides within ``RECOMMENDER
   ["memory_budget_mb"]``; the precompute after promotion is off here so that
   it is timed on its own, next),
4. ``manage.py precompute_recommendations`` (every customer's lists per surface;
   in this process one chunk after another unless ``CELERY_BROKER_URL`` is set).

The synthetic shop of size k (:func:`synthesise`): k copies of the real file, copy
c with its own customers (``CustomerID + 100000 c``), invoices (``InvoiceNo-c``)
and products (each merchandise stock code's five digits replaced by an unused
five-digit number per copy, the letter suffix kept; service codes such as POST
are shared). Dates, quantities, prices, countries, baskets and every customer's
history are the real ones, so per-customer statistics (orders, basket sizes,
repeat purchases, seasonality) and each product's popularity are those of the
real shop. To keep item co-occurrence realistic across copies instead of k
disconnected shops, each (customer, product) pair of copy c buys the product's
copy c' != c with probability ``--mix`` (default 0.1; c' uniform over the
others), the same c' for all of that customer's purchases of that product, so
re-buys and cancellations stay on one product. Copy 0 is the real file with
mixing applied. The files go to ``--workdir`` (default ``var/scale``, ignored by
git) and are reused when present.

Usage (one size at a time is fine; sizes run in the order given)::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 nice -n 10 \\
        .venv/bin/python benchmarks/scale.py --sizes 1 4 16

``--database-url`` (default ``SCALE_DATABASE_URL`` or
postgres://postgres@127.0.0.1:5432/scale) names the server and the database
prefix: size k uses ``<name>_x<k>``, dropped and created again. ``--steps``
limits the run (e.g. ``--steps import precompute`` with a model already trained).
The table prints per size: customers, products and order lines imported; seconds
and peak MiB per step; and seconds per 1,000 customers, whose growth from 1x to
16x shows whether a step's cost grows faster than linearly.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path("/work/shared/data/online_retail.csv.gz")
STEPS = ("import", "train", "precompute")
CUSTOMER_OFFSET = 100_000
STEM_RE = r"^(\d{5})([A-Za-z]{0,3})$"


def _read_source(path: Path) -> pd.DataFrame:
    for encoding in ("utf-8", "latin-1"):
        try:
            return pd.read_csv(
                path, dtype=str, keep_default_na=False, encoding=encoding
            )
        except UnicodeDecodeError:
            continue
    raise ValueError(f"{path}: neither UTF-8 nor Latin-1")


def _stem_map(stems: np.ndarray, k: int, seed: int) -> np.ndarray:
    """(k, len(stems)) five-digit stems: row 0 the real ones, row c an unused
    five-digit number per stem (a fixed random draw).

    Raises
    ------
    ValueError
        Not enough unused five-digit numbers for ``k`` copies.
    """
    used = {int(s) for s in stems}
    pool = np.array([n for n in range(10_000, 100_000) if n not in used])
    need = (k - 1) * len(stems)
    if need > len(pool):
        raise ValueError(
            f"{k} copies need {need:,} new five-digit stock codes; only "
            f"{len(pool):,} are unused (at most {len(pool) // len(stems) + 1} copies)"
        )
    pool = np.random.default_rng(seed).permutation(pool)[:need]
    out = np.empty((k, len(stems)), dtype=object)
    out[0] = stems
    if k > 1:
        out[1:] = pool.reshape(k - 1, len(stems)).astype(str)
    return out


def synthesise(
    source: Path, k: int, out: Path, *, mix: float = 0.1, seed: int = 0
) -> dict:
    """Write the k-times shop (see the module docstring) to ``out`` (.csv, UTF-8).

    Returns {"rows": int, "customers": int, "stock_codes": int} of the file.

    Raises
    ------
    ValueError
        ``k`` < 1, ``mix`` outside [0, 1], or too many copies for five-digit codes.
    """
    if int(k) < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if not 0.0 <= float(mix) <= 1.0:
        raise ValueError(f"mix must be in [0, 1], got {mix}")
    base = _read_source(source)
    parts = base["StockCode"].str.extract(STEM_RE)
    merch = parts[0].notna().to_numpy()
    stems, stem_idx = np.unique(parts[0][merch].to_numpy(str), return_inverse=True)
    stem_of_row = np.full(len(base), -1)
    stem_of_row[merch] = stem_idx
    suffix = parts[1].fillna("").to_numpy(object)
    codes = _stem_map(stems, int(k), seed)
    customer = base["CustomerID"].str.strip()
    cust_num = pd.to_numeric(customer, errors="coerce")
    if cust_num.max() >= CUSTOMER_OFFSET:
        raise ValueError(f"CustomerID above {CUSTOMER_OFFSET} in {source}")
    party = np.where(customer.eq(""), "g" + base["InvoiceNo"], customer)
    pair = pd.factorize(pd.Series(party) + "|" + stem_of_row.astype(str))[0]
    n_pairs = int(pair.max()) + 1
    rng = np.random.default_rng(seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".part")
    customers, products = set(), set()
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        for c in range(int(k)):
            move = rng.random(n_pairs) < (float(mix) if k > 1 else 0.0)
            other = (c + rng.integers(1, max(int(k), 2), n_pairs)) % int(k)
            copy_of_pair = np.where(move, other, c)
            copy = copy_of_pair[pair]
            frame = base.copy()
            code = base["StockCode"].to_numpy(object).copy()
            code[merch] = codes[copy[merch], stem_of_row[merch]] + suffix[merch]
            frame["StockCode"] = code
            desc = base["Description"].to_numpy(object).copy()
            tagged = merch & (copy > 0) & (base["Description"].to_numpy(str) != "")
            desc[tagged] = desc[tagged] + np.char.add(" #", copy[tagged].astype(str))
            frame["Description"] = desc
            if c > 0:
                frame["InvoiceNo"] = base["InvoiceNo"] + f"-{c}"
            ids = (cust_num + CUSTOMER_OFFSET * c).astype("Int64").astype(str)
            frame["CustomerID"] = np.where(customer.eq(""), "", ids)
            frame.to_csv(fh, index=False, header=(c == 0))
            customers.update(frame["CustomerID"][customer.ne("")].unique())
            products.update(np.unique(code))
    tmp.replace(out)
    return {
        "rows": len(base) * int(k),
        "customers": len(customers),
        "stock_codes": len(products),
    }


# --- measuring the product's commands ------------------------------------------------
def _database(url: str, k: int) -> tuple[str, str]:
    """(url of the fresh database for size k, its name)."""
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'scale'}_x{k}"
    return urlunsplit(parts._replace(path="/" + name)), name


def _recreate(url: str, name: str) -> None:
    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def run_measured(args: list[str], env: dict, log: Path) -> dict:
    """Run ``manage.py args`` as a child process; {"seconds", "cpu_seconds",
    "peak_mib", "rc"}: wall and CPU (user + system) seconds; on a shared machine
    the CPU seconds are the fairer measure of the work.

    Peak memory is the child's maximum resident set (``ru_maxrss`` of
    ``os.wait4``, KiB on Linux) including its own waited-for children.
    """
    started = time.perf_counter()
    with open(log, "ab") as fh:
        fh.write(f"\n$ manage.py {' '.join(args)}\n".encode())
        fh.flush()
        proc = subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_mib": usage.ru_maxrss / 1024.0,
        "rc": proc.returncode,
    }


def _counts(env: dict) -> dict:
    """Customers with orders, merchandise products, order lines and the models'
    (kind, status, memory notes) of the database ``env`` points at."""
    code = (
        "import json\n"
        "from shop.models import Customer, Product, OrderLine\n"
        "from core.models import ModelArtifact\n"
        "out = {'customers': Customer.objects.filter(orders__isnull=False)"
        ".distinct().count(), 'products': Product.objects.filter("
        "is_merchandise=True).count(), 'lines': OrderLine.objects.count(), "
        "'models': list(ModelArtifact.objects.order_by('pk').values_list("
        "'kind', 'status', 'metrics'))}\n"
        "print(json.dumps(out, default=str))\n"
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(f"counting rows failed: {out.stderr[-2000:]}")
    counts = json.loads(out.stdout.strip().splitlines()[-1])
    counts["models"] = [
        [kind, status, (metrics or {}).get("memory", {}).get("notes", [])]
        for kind, status, metrics in counts["models"]
    ]
    return counts


def _recommender_settings(opts) -> dict:
    """``--recommender-settings`` (or the environment's), with the precompute
    after promotion off unless given: ``train`` and ``precompute`` are timed
    apart (in eager mode the promotion would run the precompute inside training).
    """
    raw = opts.recommender_settings or os.environ.get("RECOMMENDER_SETTINGS") or "{}"
    conf = json.loads(raw)
    conf.setdefault("precompute_after_promotion", False)
    return conf


def run_size(k: int, opts) -> dict:
    workdir = Path(opts.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"online_retail_x{k}_mix{opts.mix:g}.csv"
    row: dict = {"k": k}
    if not path.exists():
        started = time.perf_counter()
        info = synthesise(SOURCE, k, path, mix=opts.mix, seed=opts.seed)
        row["synth_s"] = time.perf_counter() - started
        print(f"x{k}: synthesised {info} in {row['synth_s']:.0f} s", flush=True)
    url, name = _database(opts.database_url, k)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "HF_HUB_OFFLINE": "1",
    }
    env.setdefault("SECRET_KEY", "benchmark-only-" + "x" * 40)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    env["RECOMMENDER_SETTINGS"] = json.dumps(_recommender_settings(opts))
    log = workdir / f"x{k}.log"
    commands = {
        "import": ["import_orders", str(path)],
        "train": ["train_recommender"],
        "precompute": ["precompute_recommendations"],
    }
    if "import" in opts.steps:
        _recreate(url, name)
    # the schema of this checkout (also for a database imported by an older one)
    migrate = run_measured(["migrate", "--no-input", "-v", "0"], env, log)
    if migrate["rc"]:
        raise SystemExit(f"x{k}: migrate failed, see {log}")
    for step in STEPS:
        if step not in opts.steps:
            continue
        result = run_measured(commands[step], env, log)
        row[step] = result
        status = "ok" if result["rc"] == 0 else f"FAILED rc={result['rc']}"
        print(
            f"x{k}: {step} {result['seconds']:.0f} s wall, "
            f"{result['cpu_seconds']:.0f} s CPU, peak {result['peak_mib']:.0f} MiB, "
            f"{status} (log {log})",
            flush=True,
        )
        if result["rc"]:
            break
    row.update(_counts(env))
    return row


def _fmt(row: dict, step: str, what: str) -> str:
    r = row.get(step)
    if not r:
        return "-"
    if r["rc"]:
        return "failed"
    return f"{r.get(what, float('nan')):,.0f}"


def print_table(rows: list[dict]) -> None:
    """One line per size: counts, then wall s / CPU s / peak MiB per step, then
    CPU seconds per 1,000 customers per step (flat = linear in customers)."""
    head = (
        f"{'size':>5} {'customers':>9} {'products':>8} {'lines':>10} | "
        + " | ".join(f"{s + ' wall s':>17} {'CPU s':>6} {'MiB':>6}" for s in STEPS)
        + " | CPU s per 1k customers (import/train/precompute)"
    )
    print(head)
    print("-" * len(head))
    for row in rows:
        per = []
        for step in STEPS:
            r = row.get(step)
            ok = r and not r["rc"] and row.get("customers") and "cpu_seconds" in r
            per.append(
                f"{1000 * r['cpu_seconds'] / row['customers']:.1f}" if ok else "-"
            )
        cells = " | ".join(
            f"{_fmt(row, s, 'seconds'):>17} {_fmt(row, s, 'cpu_seconds'):>6} "
            f"{_fmt(row, s, 'peak_mib'):>6}"
            for s in STEPS
        )
        print(
            f"{str(row['k']) + 'x':>5} {row.get('customers', 0):>9,} "
            f"{row.get('products', 0):>8,} {row.get('lines', 0):>10,} | {cells} | "
            + " / ".join(per)
        )
    for row in rows:
        for kind, status, notes in row.get("models", []):
            if notes:
                print(f"{row['k']}x {kind} ({status}) memory guard: {'; '.join(notes)}")


def _print_plans(rows: list[dict], opts) -> None:
    """The memory guard's plan per size (``recommender.algorithms.memory.
    pipeline_plan``) for the default budget on this machine now, or
    ``memory_budget_mb`` of the settings; users x items ~ customers x products."""
    sys.path.insert(0, str(ROOT))
    from recommender.algorithms import memory

    conf = _recommender_settings(opts)
    mb = conf.get("memory_budget_mb")
    fraction = float(conf.get("memory_budget_fraction", memory.DEFAULT_FRACTION))
    total = float(mb) * memory.MIB if mb else fraction * memory.available_bytes()
    for row in rows:
        if row.get("customers"):
            shape = (row["customers"], row["products"])
            plan = memory.pipeline_plan(shape, total)
            print(f"{row['k']}x memory plan: " + "; ".join(plan))


def _saved(workdir: Path, k: int) -> dict:
    path = workdir / f"result_x{k}.json"
    return json.loads(path.read_text()) if path.exists() else {"k": k}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--mix", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", default=str(ROOT / "var" / "scale"))
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "SCALE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/scale"
        ),
    )
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    parser.add_argument(
        "--report",
        action="store_true",
        help="print the table of the sizes' saved results (result_x<k>.json in "
        "--workdir, one per size, merged over runs of separate steps); run nothing",
    )
    parser.add_argument(
        "--recommender-settings",
        default=None,
        help="JSON for RECOMMENDER_SETTINGS of every command (default: the "
        "environment's, i.e. the product's defaults; precompute_after_promotion "
        "false unless given); printed with the table",
    )
    opts = parser.parse_args()
    rows = []
    workdir = Path(opts.workdir)
    for k in opts.sizes:
        if opts.report:
            rows.append(_saved(workdir, k))
            continue
        row = {**_saved(workdir, k), **run_size(k, opts)}
        (workdir / f"result_x{k}.json").write_text(json.dumps(row, indent=1))
        rows.append(row)
        print_table(rows)
    if opts.report:
        print_table(rows)
    _print_plans(rows, opts)
    print(
        "CPU s: the command's own process (user + system); the database server's "
        "work (import's COPY, the precompute's writes) is not in it."
    )
    print(f"RECOMMENDER_SETTINGS: {json.dumps(_recommender_settings(opts))}")
    print(
        "(one run per size on a shared 2-core machine; load average "
        f"{os.getloadavg()[0]:.1f} at the end)"
    )


if __name__ == "__main__":
    main()
