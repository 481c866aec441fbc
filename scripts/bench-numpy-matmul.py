#!/usr/bin/env python3
"""NumPy float32 matmul GFLOP/s for the GEMM shapes of `mtfsim bench numerics`, timed the same way
(warm-up, then the median over 7 blocks of about SECONDS/7 each), so the two are comparable.

Usage:
    OPENBLAS_NUM_THREADS=1 python3 scripts/bench-numpy-matmul.py [--json] [--seconds 0.5]
    python3 scripts/bench-numpy-matmul.py            # NumPy's default thread count

Prints NumPy's BLAS library, kernel (core type) and threads via threadpoolctl when it is installed
(`pip install threadpoolctl`).
"""
import argparse
import json
import statistics
import time

import numpy as np

SHAPES = [(256, 128, 256), (1024, 64, 512), (64, 256, 64), (1, 128, 128)]


def blas_info():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return {"note": "pip install threadpoolctl to see NumPy's BLAS"}
    for pool in threadpool_info():
        if pool.get("user_api") == "blas":
            return {
                "library": pool.get("internal_api"),
                "version": pool.get("version"),
                "core": pool.get("architecture"),
                "threads": pool.get("num_threads"),
                "path": pool.get("filepath"),
            }
    return {}


def seconds_per_op(body, seconds, blocks=7, warmup=0.05):
    iterations = 0
    start = time.perf_counter()
    while True:
        body()
        iterations += 1
        elapsed = time.perf_counter() - start
        if elapsed >= warmup and iterations >= 2:
            break
    per_block = max(1, int(seconds / blocks / (elapsed / iterations)))
    samples = []
    for _ in range(blocks):
        t0 = time.perf_counter()
        for _ in range(per_block):
            body()
        samples.append((time.perf_counter() - t0) / per_block)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--seconds", type=float, default=0.5, help="seconds of timing per shape")
    args = parser.parse_args()

    rng = np.random.default_rng(1)
    results = []
    for m, k, n in SHAPES:
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        c = np.empty((m, n), dtype=np.float32)
        t = seconds_per_op(lambda: np.matmul(a, b, out=c), args.seconds)
        results.append({"m": m, "k": k, "n": n, "gflops": 2 * m * n * k / t / 1e9, "microseconds": t * 1e6})

    report = {"numpy": np.__version__, "blas": blas_info(), "gemm": results}
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
        return
    blas = report["blas"]
    print(f"NumPy {np.__version__}, {blas.get('library', '?')} {blas.get('version', '')} "
          f"core {blas.get('core', '?')}, {blas.get('threads', '?')} thread(s)")
    print("float32 matmul C = A·B      GFLOP/s    µs/product")
    for r in results:
        shape = f"({r['m']}, {r['k']}, {r['n']})"
        print(f"  {shape:<22}{r['gflops']:>10.1f}{r['microseconds']:>14.2f}")


if __name__ == "__main__":
    main()
