"""Offline RL on Ray RLlib (BC, CQL) from MTFSim's Parquet export, judged beside MTFSim's own offline learners.

1. A behaviour log: ``--log LOG``, or ``--sessions N`` sessions of the mixture policy (BatchRL-MTF's 50/50 uniform-box
   and Gaussian exploration around the baseline weights) logged by ``mtfsim simulate`` on world ``--seed``.
2. The log is exported with the package's exporter (``mtfsim.export.to_parquet``, as ``mtfsim export LOG --to parquet
   OUT``), one row per step, RLlib's offline column names. RLlib reads that file through Ray Data
   (``ray.data.read_parquet``) as it is: no rewritten copy, no schema patch. The mapping from RLlib's
   ``Columns`` to the export's columns is committed below (:data:`READ_SCHEMA`, RLlib's ``input_read_schema``), and
   only those columns are read (:func:`read_columns`): the export's ``action_logp`` (the behaviour's log density of
   the *raw* weights) and MTFSim's own columns (time, session indices, reward components) are left on disk, since
   RLlib's ``OfflinePreLearner`` would otherwise carry every unmapped column along as an extra model output.
3. Scaling, fixed before training and stated (``OfflineScaling``), applied to each Ray Data batch by a subclass of
   RLlib's ``OfflinePreLearner`` (its documented hook, ``offline_data(prelearner_class=…)``) before RLlib maps rows to
   episodes, and by the evaluated policy:

   - observations standardised with the mean and standard deviation of the logged observations (std floored at
     10⁻³, clipped to ±10), as d3rlpy's ``StandardObservationScaler`` does;
   - actions: the export holds the raw fusion weights. RLlib's CQL (SAC's squashed Gaussian, tanh into [−1, 1]) and
     its random actions for the conservative penalty assume the unit box, and RLlib does not normalise *recorded*
     actions (``normalize_actions`` acts only on env runners' outputs), so the weights are mapped affinely from the
     environment's box (the export's metadata ``action_low``/``action_high``) onto [−1, 1] (clipped to ±(1 − 10⁻⁴)
     so that the squashed Gaussian's log-likelihood stays finite). BC uses the same mapping (its Gaussian is
     unbounded; the mean is clipped to [−1, 1] when acting). RLlib is told the spaces
     ``Box(−10, 10, S)`` and ``Box(−1, 1, A)``;
   - rewards as logged (order 1 per request).

4. RLlib trains ``--iterations`` iterations of ``--updates-per-iteration`` gradient steps (mini-batches of 256), with
   MTFSim's network sizes (256 × 256), γ = 0.95 per request, and CQL with RLlib's defaults except no BC warm start
   (``bc_iters=0``, like MTFSim's CQL; RLlib's default 20,000 would make a short run pure BC). MTFSim's learners are
   ``mtfsim train-offline --agent X`` on the same log at the same sizes (``--mtfsim-steps`` gradient steps each).
5. Every policy is evaluated by :func:`mtfsim.evaluation.held_out_value`: the same ``--eval-episodes`` episodes of the
   held-out users of the log's world, with the streams of ``train-offline``'s own evaluation: RLlib's modules by their
   deterministic action (BC: the Gaussian's mean; CQL: tanh of the squashed Gaussian's mean), MTFSim's checkpoints,
   the baseline and the behaviour natively. Δ is paired, episode by episode, against the baseline.

    python python/examples/rllib_offline.py --sessions 5000 --cli .build/release/mtfsim --iterations 20
    python python/examples/rllib_offline.py --log logs/mixture.sqlite --address auto     # a running Ray cluster

On a cluster, the Parquet file (``--out``) must be readable at the same path on every node (a shared file system),
as the environment file is for ``rllib_train.py``.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

import mtfsim.export
from mtfsim._native import NativeEnvironment
from mtfsim.evaluation import HeldOutValue, held_out_value
from mtfsim.log import open_log

BEHAVIOUR = "mixture:0.25,0.5"
HIDDEN = [256, 256]
BATCH = 256
GAMMA = 0.95
#: Recorded actions are mapped into [−1 + ε, 1 − ε] (finite log-likelihood under a tanh-squashed Gaussian).
ACTION_MARGIN = 1e-4

#: RLlib's ``input_read_schema``: ``ray.rllib.core.columns.Columns`` name → the export's column. The export uses
#: RLlib's own names, so the mapping is the identity, written out so that it is committed and checked (a renamed
#: export column would fail here and in the test, not silently). RLlib merges it over its default
#: ``OfflinePreLearner`` ``SCHEMA``.
READ_SCHEMA = {
    "eps_id": "eps_id",            # Columns.EPS_ID: the log's episode number, as a string
    "obs": "obs",                  # Columns.OBS: the request's state, float32[S]
    "actions": "actions",          # Columns.ACTIONS: the logged raw fusion weights, float32[A]
    "rewards": "rewards",          # Columns.REWARDS: float64
    "new_obs": "new_obs",          # Columns.NEXT_OBS: the next request's state (a copy at an episode's end)
    "terminateds": "terminateds",  # Columns.TERMINATEDS: churn
    "truncateds": "truncateds",    # Columns.TRUNCATEDS: the horizon, or the log's end
    "t": "t",                      # Columns.T: step index within the episode
}


def read_columns() -> list[str]:
    """The export's columns RLlib reads (``ray.data.read_parquet(columns=…)``)."""
    return list(READ_SCHEMA.values())


def check_schema() -> None:
    """The mapping's keys are RLlib's column names, and its values are columns of MTFSim's export."""
    from ray.rllib.core.columns import Columns

    expected = {Columns.EPS_ID, Columns.OBS, Columns.ACTIONS, Columns.REWARDS, Columns.NEXT_OBS, Columns.TERMINATEDS,
                Columns.TRUNCATEDS, Columns.T}
    if set(READ_SCHEMA) != expected:
        raise SystemExit(f"READ_SCHEMA keys {sorted(READ_SCHEMA)} are not RLlib's Columns {sorted(expected)}")


@dataclass(frozen=True)
class OfflineScaling:
    """Fixed observation standardisation and the affine map between the weight box and [−1, 1]."""

    mean: np.ndarray
    std: np.ndarray
    low: np.ndarray
    high: np.ndarray

    def observe(self, observations: np.ndarray) -> np.ndarray:
        return np.clip((np.asarray(observations, np.float32) - self.mean) / self.std, -10, 10).astype(np.float32)

    def unit(self, weights: np.ndarray) -> np.ndarray:
        a = 2 * (np.asarray(weights, np.float32) - self.low) / (self.high - self.low) - 1
        return np.clip(a, -1 + ACTION_MARGIN, 1 - ACTION_MARGIN).astype(np.float32)

    def weights(self, actions: np.ndarray) -> np.ndarray:
        a = np.clip(np.asarray(actions, np.float32), -1, 1)
        return (self.low + (a + 1) * 0.5 * (self.high - self.low)).astype(np.float32)

    def as_json(self) -> dict[str, list[float]]:
        return {k: getattr(self, k).tolist() for k in ("mean", "std", "low", "high")}


def fit_scaling(parquet: Path) -> OfflineScaling:
    """Observation statistics of the logged states, and the action box from the export's metadata."""
    import pyarrow.parquet as pq

    table = pq.read_table(parquet, columns=[READ_SCHEMA["obs"]])
    meta = json.loads(table.schema.metadata[b"mtfsim"])
    column = table.column(0).combine_chunks()
    obs = column.flatten().to_numpy().reshape(len(column), -1).astype(np.float64)
    return OfflineScaling(obs.mean(0).astype(np.float32), np.maximum(obs.std(0), 1e-3).astype(np.float32),
                          np.asarray(meta["action_low"], np.float32), np.asarray(meta["action_high"], np.float32))


def _matrix(column: Any) -> np.ndarray:
    """A Ray Data numpy column of fixed-size lists as an n × d float32 matrix."""
    array = np.asarray(column)
    if array.dtype == object:
        array = np.stack([np.asarray(x, np.float32) for x in array]) if len(array) else array.astype(np.float32)
    return array.astype(np.float32, copy=False)


def prelearner_class(scaling: OfflineScaling) -> type:
    """RLlib's ``OfflinePreLearner`` with the fixed scaling applied to each batch's columns first. Defined in a
    function so that Ray ships it (and ``scaling``) to the Ray Data workers by value."""
    from ray.rllib.offline.offline_prelearner import OfflinePreLearner

    obs, next_obs, actions = READ_SCHEMA["obs"], READ_SCHEMA["new_obs"], READ_SCHEMA["actions"]

    class FusionPreLearner(OfflinePreLearner):
        def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            scaled = dict(batch)
            scaled[obs] = scaling.observe(_matrix(batch[obs]))
            scaled[next_obs] = scaling.observe(_matrix(batch[next_obs]))
            scaled[actions] = scaling.unit(_matrix(batch[actions]))
            return super().__call__(scaled)

    return FusionPreLearner


def algorithm_config(algo: str, parquet: Path, scaling: OfflineScaling, args: argparse.Namespace) -> Any:
    """RLlib's BC or CQL config (new API stack, torch) reading the export through Ray Data."""
    import gymnasium as gym

    if algo == "bc":
        from ray.rllib.algorithms.bc import BCConfig

        config: Any = BCConfig().training(lr=args.lr, train_batch_size_per_learner=BATCH)
    elif algo == "cql":
        from ray.rllib.algorithms.cql import CQLConfig

        # CQLConfig's own default lr=3e-4 fails its new-stack validation ("set config.lr to None"): cleared here.
        config = CQLConfig().training(lr=None, gamma=GAMMA, actor_lr=1e-4, critic_lr=3e-4, alpha_lr=1e-4, bc_iters=0,
                                      min_q_weight=5.0, num_actions=10, twin_q=True,
                                      train_batch_size_per_learner=BATCH)
        # CQLConfig, unlike MARWILConfig (and BC), does not mark itself offline in ray 2.60: the Algorithm then builds
        # an EnvRunnerGroup, which forces a local env runner when there are no remote ones, and that runner needs an
        # env (`create_local_env_runner=False` is overridden). MARWILConfig.__init__ sets this same flag.
        config._is_online = False
    elif algo == "marwil":
        from ray.rllib.algorithms.marwil import MARWILConfig

        config = MARWILConfig().training(lr=args.lr, gamma=GAMMA, beta=1.0, train_batch_size_per_learner=BATCH)
    else:
        raise SystemExit(f"unknown RLlib algorithm {algo!r}: bc, cql or marwil")
    S, A = scaling.mean.size, scaling.low.size
    return (config
            .environment(observation_space=gym.spaces.Box(-10, 10, (S,), np.float32),
                         action_space=gym.spaces.Box(-1, 1, (A,), np.float32))
            .framework("torch")
            .offline_data(input_=[str(parquet)], input_read_method="read_parquet",
                          input_read_method_kwargs={"columns": read_columns()},
                          input_read_schema=dict(READ_SCHEMA), input_compress_columns=[],
                          prelearner_class=prelearner_class(scaling),
                          dataset_num_iters_per_learner=args.updates_per_iteration,
                          map_batches_kwargs={"concurrency": 1}, iter_batches_kwargs={"prefetch_batches": 1})
            .learners(num_learners=0)
            .rl_module(model_config={"fcnet_hiddens": HIDDEN, "fcnet_activation": "relu"})
            .reporting(min_time_s_per_iteration=0)
            .evaluation(evaluation_interval=None)
            .debugging(seed=args.seed))


def deterministic_policy(checkpoint: str, name: str, scaling: OfflineScaling) -> Callable[[np.ndarray], np.ndarray]:
    """Raw observations → raw weights: the module's mean action (CQL: tanh of it), through the fixed scaling.

    The module is restored from the saved algorithm (its learner's copy): an offline algorithm has no env runners,
    so ``Algorithm.get_module()`` fails in ray 2.60, and with remote learners the driver holds no module."""
    import torch
    from ray.rllib.core.rl_module.rl_module import RLModule

    module = RLModule.from_checkpoint(Path(checkpoint) / "learner_group" / "learner" / "rl_module" / "default_policy")
    module.eval()
    dimension = scaling.low.size

    def act(observations: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            out = module.forward_inference({"obs": torch.from_numpy(scaling.observe(observations))})
        mean = out["action_dist_inputs"][:, :dimension].numpy()
        return scaling.weights(np.tanh(mean) if name == "cql" else mean)

    return act


def train_rllib(algo: str, parquet: Path, scaling: OfflineScaling, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    """Builds, trains and saves one RLlib algorithm; its deterministic policy and training record."""
    algorithm = algorithm_config(algo, parquet, scaling, args).build_algo()
    curve: list[dict[str, float]] = []
    start = time.perf_counter()
    try:
        for iteration in range(1, args.iterations + 1):
            result = algorithm.train()
            learners = result.get("learners", {})
            losses = {k: float(v) for k, v in learners.get("default_policy", {}).items()
                      if isinstance(v, (int, float)) and ("loss" in k) and math.isfinite(float(v))}
            totals = learners.get("__all_modules__", {})
            point = {"iteration": iteration, "seconds": time.perf_counter() - start,
                     "updates": int(totals.get("dataset_num_iters_trained_lifetime", 0)),
                     "samples": int(totals.get("num_env_steps_trained_lifetime", 0)), **losses}
            curve.append(point)
            note(f"RLlib {algo} iteration {iteration}: {point['seconds']:.0f} s, {point['updates']} updates, "
                 + ", ".join(f"{k} {v:.4g}" for k, v in sorted(losses.items())))
        seconds = time.perf_counter() - start
        checkpoint = algorithm.save_to_path(str(out / f"rllib-{algo}-checkpoint"))
    finally:
        algorithm.stop()
        # Drop the Ray Data batch iterator now, while Ray is up (else its finaliser logs errors at exit).
        del algorithm
        gc.collect()
    policy = deterministic_policy(checkpoint, algo, scaling)
    return {"policy": policy, "seconds": seconds, "curve": curve, "checkpoint": str(checkpoint),
            "updates": curve[-1]["updates"] if curve else 0, "samples": curve[-1]["samples"] if curve else 0}


def train_mtfsim(cli: str, log: Path, learner: str, steps: int, seed: int, checkpoint: Path) -> float:
    """`mtfsim train-offline` at the same sizes; the training's wall seconds."""
    checkpoint.unlink(missing_ok=True)
    Path(str(checkpoint) + ".curve.csv").unlink(missing_ok=True)
    report = json.loads(run([cli, "train-offline", "--agent", learner, "--log", str(log), "--steps", str(steps),
                             "--seed", str(seed), "--threads", "1", "--hidden", ",".join(map(str, HIDDEN)),
                             "--batch-size", str(BATCH), "--discount", str(GAMMA), "--eval-interval", str(steps),
                             "--eval-episodes", "2", "--json", "--out", str(checkpoint)]))
    return float(report["curve"][-1]["wallSeconds"])


def behaviour_log(args: argparse.Namespace, out: Path) -> Path:
    if args.log:
        return Path(args.log).resolve()
    if not args.sessions or not args.cli:
        raise SystemExit("give --log LOG, or --sessions N with --cli PATH to make one")
    log = out / f"{Path(args.env).stem}-seed{args.seed}-{BEHAVIOUR.replace(':', '-').replace(',', '_')}-{args.sessions}.sqlite"
    if log.exists():
        note(f"reusing the behaviour log {log}")
    else:
        note(f"logging {args.sessions} sessions of {BEHAVIOUR} on {args.env}, world {args.seed} → {log}")
        run([args.cli, "simulate", "--env", args.env, "--seed", str(args.seed), "--policy", BEHAVIOUR,
             "--sessions", str(args.sessions), "--threads", "2", "--log", str(log), "--json"])
    return log


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--log", help="the behaviour log (an MTFSim episode log); its first run's world is evaluated")
    parser.add_argument("--sessions", type=int, help=f"without --log: log this many sessions of {BEHAVIOUR} (needs --cli)")
    parser.add_argument("--cli", help="the mtfsim command: makes the log and trains MTFSim's rows (omit: no MTFSim rows)")
    parser.add_argument("--env", default="short-video", help="environment preset or file for --sessions")
    parser.add_argument("--seed", type=int, default=1, help="world seed for --sessions; RLlib's and MTFSim's training seed")
    parser.add_argument("--algos", default="bc,cql", help="RLlib algorithms, comma-separated: bc, cql, marwil")
    parser.add_argument("--iterations", type=int, default=10, help="RLlib training iterations")
    parser.add_argument("--updates-per-iteration", type=int, default=100, help="RLlib gradient steps per iteration")
    parser.add_argument("--lr", type=float, default=3e-4, help="BC / MARWIL learning rate")
    parser.add_argument("--mtfsim-agents", default="td3bc,cql,bc", help="mtfsim train-offline learners ('' for none)")
    parser.add_argument("--mtfsim-steps", type=int, default=2000, help="gradient steps of each MTFSim learner")
    parser.add_argument("--eval-episodes", type=int, default=128, help="held-out episodes per evaluated policy")
    parser.add_argument("--address", help="Ray cluster to join (auto, ray://head:10001); default: a local Ray")
    parser.add_argument("--out", default="logs/rllib-offline", help="folder for the log, export, checkpoints, results")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    check_schema()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    log = behaviour_log(args, out)
    with open_log(log) as episode_log:
        logged = episode_log.run()
        environment, world = logged.environment_name, int(logged.seed)
        max_user = int(np.max(episode_log.sessions().user_id))
    if args.log is None:
        environment = args.env  # a file path, as given (the log stores the environment's name)
    held_out = NativeEnvironment(environment, seed=world, users="held-out")
    held_out_low = int(held_out.description["users_low"])
    held_out.close()
    if max_user >= held_out_low:
        raise SystemExit(f"{log}: the log reaches held-out user ids (≥ {held_out_low}); log fewer sessions")
    parquet = out / (log.stem + ".parquet")
    rows_exported = mtfsim.export.to_parquet(log, parquet)
    note(f"exported {rows_exported} steps → {parquet}")
    scaling = fit_scaling(parquet)

    import ray

    if args.address:
        # With --json, stdout is the JSON document alone: the workers' and raylets' log lines stay out of it.
        ray.init(address=args.address, logging_level="warning", log_to_driver=not args.json)
    else:
        ray.init(num_cpus=2, logging_level="warning", log_to_driver=not args.json, include_dashboard=False)
    algos = [a.strip() for a in args.algos.split(",") if a.strip()]
    trained: dict[str, dict[str, Any]] = {}
    try:
        import ray.data

        ray.data.DataContext.get_current().enable_progress_bars = False
        for algo in algos:
            trained[algo] = train_rllib(algo, parquet, scaling, args, out)
    finally:
        ray.shutdown()

    def evaluate(policy: Any) -> HeldOutValue:
        return held_out_value(policy, environment, seed=world, episodes=args.eval_episodes, threads=2)

    baseline = evaluate("baseline")
    rows: dict[str, tuple[HeldOutValue, dict[str, Any]]] = {
        "baseline": (baseline, {}), f"behaviour {logged.policy_spec}": (evaluate(logged.policy_spec), {})}
    agents = [a.strip() for a in args.mtfsim_agents.split(",") if a.strip()] if args.cli else []
    for agent in agents:
        checkpoint = out / f"mtfsim-{agent}-seed{args.seed}.ckpt"
        seconds = train_mtfsim(args.cli, log, agent, args.mtfsim_steps, args.seed, checkpoint)
        rows[f"MTFSim {agent} ({args.mtfsim_steps} steps)"] = (evaluate(checkpoint), {
            "library": "MTFSim", "learner": agent, "updates": args.mtfsim_steps, "train_seconds": seconds,
            "checkpoint": str(checkpoint)})
        note(f"MTFSim {agent}: {rows[f'MTFSim {agent} ({args.mtfsim_steps} steps)'][0].mean:.2f}")
    for algo, record in trained.items():
        name = f"RLlib {algo.upper()} ({record['updates']} steps)"
        rows[name] = (evaluate(record["policy"]), {
            "library": "RLlib", "learner": algo, "updates": record["updates"], "train_seconds": record["seconds"],
            "samples": record["samples"], "checkpoint": record["checkpoint"], "curve": record["curve"]})
        note(f"RLlib {algo}: {rows[name][0].mean:.2f}")

    results = {
        "log": str(log), "environment": environment, "world_seed": world, "behaviour": logged.policy_spec,
        "parquet": str(parquet), "transitions": rows_exported, "read_schema": dict(READ_SCHEMA),
        "read_columns": read_columns(), "scaling": scaling.as_json(), "eval_episodes": args.eval_episodes,
        "ray": ray.__version__, "batch": BATCH, "hidden": HIDDEN, "gamma": GAMMA,
        "policies": {name: {"mean": v.mean, "lower": v.lower, "upper": v.upper,
                            "delta_vs_baseline": list(v.paired_difference(baseline)), **extra}
                     for name, (v, extra) in rows.items()}}
    (out / "results.json").write_text(json.dumps(results, indent=2))
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(table(results))
    return 0


def table(results: dict[str, Any]) -> str:
    lines = [f"{results['environment']}, world {results['world_seed']}: {results['transitions']} logged steps of "
             f"{results['behaviour']}; {results['eval_episodes']} held-out episodes per policy (ray {results['ray']})",
             "", "| policy | reward / user-day | paired Δ vs baseline | train s |", "|---|---:|---:|---:|"]
    for name, r in results["policies"].items():
        d = r["delta_vs_baseline"]
        seconds = f"{r['train_seconds']:.0f}" if "train_seconds" in r else "—"
        lines.append(f"| {name} | {r['mean']:.2f} [{r['lower']:.2f}, {r['upper']:.2f}] | "
                     f"{d[0]:+.2f} [{d[1]:+.2f}, {d[2]:+.2f}] | {seconds} |")
    return "\n".join(lines)


def run(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
