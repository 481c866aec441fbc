"""`python -m mtfsim export LOG --to minari|d3rlpy|parquet OUT [--run N] [--dataset-id ID] [--incomplete truncate|drop]`.

Bad input (a missing or foreign file, a newer schema, an ambiguous run, a missing optional package) ends with one
line on standard error and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn, Sequence

EXPORT_HELP = """\
Formats:
  minari   a Minari dataset (offline RL with Gymnasium spaces). OUT is the datasets root: the dataset goes
           to OUT/<dataset id>/ and loads with MINARI_DATASETS_PATH=OUT and minari.load_dataset(ID).
           --dataset-id defaults to mtfsim/<environment>/<policy>-v0.
  d3rlpy   a d3rlpy MDPDataset saved with d3rlpy's dump (HDF5) to OUT (e.g. data.h5), and beside it
           OUT.time.npz (data.time.npz) with the elapsed times and session/request indices of every transition,
           which an MDPDataset cannot hold. Needs d3rlpy (and torch).
  parquet  one Parquet file OUT, one row per step, with RLlib's offline columns (eps_id, obs, actions, rewards,
           new_obs, terminateds, truncateds, t, action_logp) then session_index, request_index, elapsed_minutes,
           transition_minutes, time_minutes, reward_components; for ray.data, DuckDB, Polars, pandas.

Conventions: one exported episode per log episode (one user over the horizon); terminated = churn, truncated =
the horizon; the next observation of an episode's last step is a copy of its state. An episode the log stops
before its end (a run stopped at its session count, or interrupted) is exported truncated
(--incomplete truncate) or left out (--incomplete drop).
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m mtfsim", description="MTFSim from Python: export episode logs.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    export = commands.add_parser(
        "export", help="export an episode log to Minari, d3rlpy or Parquet",
        description="Export one run of an MTFSim episode log for offline-RL tools.", epilog=EXPORT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    export.add_argument("log", help="the episode log (SQLite)")
    export.add_argument("--to", required=True, choices=["minari", "d3rlpy", "parquet"], dest="format",
                        help="the format")
    export.add_argument("out", help="where to write (see Formats)")
    export.add_argument("--run", type=int, default=None, help="the run id (needed when the log holds several)")
    export.add_argument("--dataset-id", default=None, help="Minari dataset id, namespace/name-vN")
    export.add_argument("--incomplete", choices=["truncate", "drop"], default="truncate",
                        help="episodes the log stops before their end: export truncated (default) or drop")
    return parser


def _fail(message: str) -> int:
    print(f"mtfsim export: error: {message}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command != "export":  # pragma: no cover - argparse enforces the choice
        return _fail(f"unknown command {args.command}")
    if args.dataset_id is not None and args.format != "minari":
        return _fail("--dataset-id applies to --to minari only")

    from . import export
    from .log import LogError, open_log

    try:
        with open_log(args.log) as log:
            if args.format == "minari":
                dataset = export.to_minari(log, args.out, dataset_id=args.dataset_id, run=args.run,
                                           incomplete=args.incomplete)
                print(f"{args.log}: {dataset.total_episodes} episodes, {dataset.total_steps} steps → Minari dataset "
                      f"{dataset.spec.dataset_id} in {os.path.abspath(args.out)} "
                      f"(MINARI_DATASETS_PATH={os.path.abspath(args.out)})")
            elif args.format == "d3rlpy":
                try:
                    import d3rlpy  # noqa: F401
                except ImportError:
                    return _fail("--to d3rlpy needs d3rlpy: pip install 'mtfsim[d3rlpy]' (or pip install d3rlpy)")
                mdp = export.save_d3rlpy(log, args.out, run=args.run, incomplete=args.incomplete)
                print(f"{args.log}: {mdp.size()} episodes, {mdp.transition_count} steps → d3rlpy {args.out} "
                      f"and {export.time_path(args.out)}")
            else:
                rows = export.to_parquet(log, args.out, run=args.run, incomplete=args.incomplete)
                print(f"{args.log}: {rows} steps → Parquet {args.out}")
    except FileNotFoundError as e:
        return _fail(str(e.strerror if e.filename == args.log and e.strerror else e))
    except (LogError, ValueError) as e:
        return _fail(str(e))
    except ImportError as e:
        extra = {"minari": "minari", "d3rlpy": "d3rlpy", "parquet": "parquet"}[args.format]
        return _fail(f"--to {args.format} needs {e.name or e}: pip install 'mtfsim[{extra}]'")
    except OSError as e:
        return _fail(f"{args.out}: {e.strerror or e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
