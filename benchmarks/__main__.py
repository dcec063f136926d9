"""``python -m benchmarks [--case NAME ...] [--quick] [--all-wells] [--sizes N,N,...]``: one JSON object per line
per case."""
import argparse
import importlib
import sys
import traceback

from . import CASES
from .common import emit, ensure_importable


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("--case", action="append", choices=CASES, help="run only this case (repeatable)")
    p.add_argument("--quick", action="store_true", help="small versions of every case (a smoke test)")
    p.add_argument("--all-wells", action="store_true",
                   help="speed: compare on all 28 Swiss wells, not 6 (about 45 min on 2 cores)")
    p.add_argument("--sizes", help="scale: the network sizes, comma-separated (default 24,96,384)")
    args = p.parse_args(argv)
    ensure_importable()
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    failed = False
    for case in args.case or CASES:
        mod = importlib.import_module(f".{case}", __package__)
        try:
            extra = {"wells": None} if args.all_wells and case == "speed" else {}
            if args.sizes and case == "scale":
                extra = {"sizes": [int(n) for n in args.sizes.split(",") if n.strip()]}
            result = mod.run(quick=args.quick, **extra)
            for line in (result if isinstance(result, list) else [result]):
                emit(line)
        except Exception as exc:  # a broken case reports itself and the others still run
            traceback.print_exc(file=sys.stderr)
            emit({"case": case, "error": f"{type(exc).__name__}: {exc}", "wells": 0, "seconds": None,
                  "median_nse_test": None, "share_nse_test_gt_0_7": None})
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
