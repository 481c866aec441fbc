"""MTFSim's offline learners beside d3rlpy's, on one logged dataset, judged in the simulator on held-out users.

1. ``mtfsim simulate`` logs a mixture behaviour policy (BatchRL-MTF's 50/50 uniform-box and Gaussian exploration
   around the baseline weights) on world ``--seed``: ``--sessions`` sessions, which reach only the first user ids
   (checked: no held-out user is in the log).
2. The log is exported to a d3rlpy ``MDPDataset`` (``mtfsim.export.to_d3rlpy``: the logged observations, raw
   actions, rewards, churn as terminals, the horizon as timeouts).
3. For every training seed, TD3+BC (Fujimoto & Gu, NeurIPS 2021) and CQL (Kumar et al., NeurIPS 2020; SAC-based,
   fixed α = 5, 10 sampled actions) are trained by d3rlpy and by ``mtfsim train-offline`` at the same network sizes
   (256 × 256), batch (256), learning rates, γ (0.95 per request) and gradient steps, each on one core.
4. Every policy is evaluated by :func:`mtfsim.evaluation.held_out_value`: the same ``--eval-episodes`` episodes of
   the held-out users (the last 20% of user ids) of that world, through the C ABI, with the streams of
   ``train-offline``'s own evaluation: d3rlpy's policies through ``predict``, MTFSim's checkpoints and the
   baseline and behaviour natively. Learners: mean over seeds with a 95% t-interval over seeds; single policies:
   the interval over episodes. Δ is paired, episode by episode, against the baseline.

Speed is gradient steps per second of training alone (d3rlpy: ``fit``'s wall time without evaluation or logging;
MTFSim: ``train-offline``'s clock at its last step, which includes a 2-episode evaluation, under 1%), with torch and
OpenBLAS on one thread each, the two run back to back per seed.

    make side-by-side      # or: python python/examples/d3rlpy_side_by_side.py --cli .build/release/mtfsim
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

import mtfsim.export
from mtfsim._native import NativeEnvironment
from mtfsim.evaluation import HeldOutValue, held_out_value, t_interval
from mtfsim.log import open_log

BEHAVIOUR = "mixture:0.25,0.5"
HIDDEN = [256, 256]
BATCH = 256
GAMMA = 0.95


@dataclass
class LearnerRun:
    """One learner, one library, one seed."""

    library: str
    learner: str
    seed: int
    steps: int
    train_seconds: float
    value: float
    paired_vs_baseline: float

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.train_seconds


@dataclass
class Results:
    environment: str
    world_seed: int
    sessions: int
    transitions: int
    eval_episodes: int
    single: dict[str, dict[str, float]] = field(default_factory=dict)
    runs: list[LearnerRun] = field(default_factory=list)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cli", default=".build/release/mtfsim", help="the mtfsim command (a release build)")
    parser.add_argument("--env", default="short-video", help="environment preset or file")
    parser.add_argument("--seed", type=int, default=1, help="world seed of the log and of the held-out evaluation")
    parser.add_argument("--sessions", type=int, default=20_000, help="sessions of the behaviour log")
    parser.add_argument("--seeds", type=int, default=3, help="training seeds (1 … N)")
    parser.add_argument("--td3bc-steps", type=int, default=10_000, help="TD3+BC gradient steps")
    parser.add_argument("--cql-steps", type=int, default=500, help="CQL gradient steps (0: skip CQL)")
    parser.add_argument("--eval-episodes", type=int, default=256, help="held-out episodes per evaluation")
    parser.add_argument("--out", default="logs/d3rlpy-side-by-side", help="folder for the log, checkpoints and results")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of tables")
    args = parser.parse_args(argv)

    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    import d3rlpy  # noqa: F401  (imported after the thread settings)
    import structlog
    import torch

    torch.set_num_threads(1)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # d3rlpy's logs off stdout
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = out / f"{args.env}-seed{args.seed}-{BEHAVIOUR.replace(':', '-').replace(',', '_')}-{args.sessions}.sqlite"
    if log.exists():
        note(f"reusing the behaviour log {log}")
    else:
        note(f"logging {args.sessions} sessions of {BEHAVIOUR} on {args.env}, world {args.seed} → {log}")
        run([args.cli, "simulate", "--env", args.env, "--seed", str(args.seed), "--policy", BEHAVIOUR,
             "--sessions", str(args.sessions), "--threads", "2", "--log", str(log), "--json"])
    dataset, transitions, box = load_dataset(log, args.env, args.seed)
    results = Results(args.env, args.seed, args.sessions, transitions, args.eval_episodes)

    def evaluate(policy: Any) -> HeldOutValue:
        return held_out_value(policy, args.env, seed=args.seed, episodes=args.eval_episodes, threads=2)

    baseline = evaluate("baseline")
    for name, value in (("baseline", baseline), ("behaviour " + BEHAVIOUR, evaluate(BEHAVIOUR))):
        d = value.paired_difference(baseline)
        results.single[name] = {"mean": value.mean, "lower": value.lower, "upper": value.upper,
                                "delta": d[0], "delta_lower": d[1], "delta_upper": d[2]}
    learners = [("td3bc", args.td3bc_steps)] + ([("cql", args.cql_steps)] if args.cql_steps > 0 else [])
    for seed in range(1, args.seeds + 1):
        for learner, steps in learners:
            checkpoint = out / f"mtfsim-{learner}-seed{seed}.ckpt"
            seconds = train_mtfsim(args.cli, log, learner, steps, seed, checkpoint)
            value = evaluate(checkpoint)
            results.runs.append(LearnerRun("MTFSim", learner, seed, steps, seconds, value.mean,
                                           value.paired_difference(baseline)[0]))
            note(f"seed {seed} MTFSim {learner}: {value.mean:.1f} ({steps / seconds:.1f} steps/s)")
            algo, seconds = train_d3rlpy(dataset, learner, steps, seed, box)
            value = evaluate(lambda observations: algo.predict(observations))
            results.runs.append(LearnerRun("d3rlpy", learner, seed, steps, seconds, value.mean,
                                           value.paired_difference(baseline)[0]))
            note(f"seed {seed} d3rlpy {learner}: {value.mean:.1f} ({steps / seconds:.1f} steps/s)")
    (out / "results.json").write_text(json.dumps(as_json(results), indent=2))
    if args.json:
        print(json.dumps(as_json(results), indent=2))
    else:
        print(table(results))
    return 0


def load_dataset(log: Path, environment: str, seed: int) -> tuple[Any, int, tuple[np.ndarray, np.ndarray]]:
    """The log as a d3rlpy dataset (and its transitions and weight box), after checking that no held-out user is in
    it."""
    held_out = NativeEnvironment(environment, seed=seed, users="held-out")
    held_out_low = int(held_out.description["users_low"])
    held_out.close()
    with open_log(log) as episode_log:
        if int(np.max(episode_log.sessions().user_id)) >= held_out_low:
            raise SystemExit(f"{log}: the log reaches held-out user ids (≥ {held_out_low}); log fewer sessions")
        logged = episode_log.run()
        box = np.asarray(logged.action_low, np.float32), np.asarray(logged.action_high, np.float32)
    dataset = mtfsim.export.to_d3rlpy(log)
    return dataset, int(dataset.transition_count), box


def train_mtfsim(cli: str, log: Path, learner: str, steps: int, seed: int, checkpoint: Path) -> float:
    """`mtfsim train-offline` on one thread; the training's wall seconds."""
    checkpoint.unlink(missing_ok=True)
    Path(str(checkpoint) + ".curve.csv").unlink(missing_ok=True)
    report = json.loads(run([cli, "train-offline", "--agent", learner, "--log", str(log), "--steps", str(steps),
                             "--seed", str(seed), "--threads", "1", "--hidden", ",".join(map(str, HIDDEN)),
                             "--batch-size", str(BATCH), "--discount", str(GAMMA), "--eval-interval", str(steps),
                             "--eval-episodes", "2", "--json", "--out", str(checkpoint)]))
    return float(report["curve"][-1]["wallSeconds"])


def train_d3rlpy(dataset: Any, learner: str, steps: int, seed: int,
                 box: tuple[np.ndarray, np.ndarray]) -> tuple[Any, float]:
    """d3rlpy's learner at MTFSim's settings; the fitted algorithm and the wall seconds of `fit`."""
    import d3rlpy
    from d3rlpy.models.encoders import VectorEncoderFactory
    from d3rlpy.preprocessing import MinMaxActionScaler, StandardObservationScaler

    low, high = box
    common: dict[str, Any] = dict(
        observation_scaler=StandardObservationScaler(),
        action_scaler=MinMaxActionScaler(minimum=low, maximum=high),
        actor_encoder_factory=VectorEncoderFactory(hidden_units=HIDDEN),
        critic_encoder_factory=VectorEncoderFactory(hidden_units=HIDDEN),
        batch_size=BATCH, gamma=GAMMA)
    if learner == "td3bc":
        config: Any = d3rlpy.algos.TD3PlusBCConfig(alpha=2.5, actor_learning_rate=3e-4, critic_learning_rate=3e-4,
                                                   **common)
    else:
        # Fixed conservative weight (MTFSim's default): no Lagrange dual; α·5·(gap − τ) has the gradient of 5·gap.
        config = d3rlpy.algos.CQLConfig(conservative_weight=5.0, alpha_learning_rate=0.0, initial_alpha=1.0,
                                        n_action_samples=10, actor_learning_rate=1e-4, critic_learning_rate=3e-4,
                                        temp_learning_rate=1e-4, **common)
    d3rlpy.seed(seed)
    algo = config.create(device="cpu:0")
    algo.build_with_dataset(dataset)
    start = time.perf_counter()
    algo.fit(dataset, n_steps=steps, n_steps_per_epoch=steps, show_progress=False, save_interval=steps + 1,
             logger_adapter=d3rlpy.logging.NoopAdapterFactory())
    return algo, time.perf_counter() - start


def as_json(results: Results) -> dict[str, Any]:
    data = asdict(results)
    data["summary"] = summary(results)
    return data


def summary(results: Results) -> dict[str, dict[str, Any]]:
    """Per library and learner: value, Δ vs baseline and steps/s over seeds (mean, 95% t-interval), and MTFSim
    against d3rlpy: the paired value difference and the speed ratio, seed by seed."""
    out: dict[str, dict[str, Any]] = {}
    by = {(r.library, r.learner, r.seed): r for r in results.runs}
    for library, learner in sorted({(r.library, r.learner) for r in results.runs}):
        runs = [r for r in results.runs if (r.library, r.learner) == (library, learner)]
        out[f"{library} {learner}"] = {
            "steps": runs[0].steps, "seeds": len(runs),
            "value": t_interval(np.array([r.value for r in runs])),
            "delta": t_interval(np.array([r.paired_vs_baseline for r in runs])),
            "steps_per_second": t_interval(np.array([r.steps_per_second for r in runs]))}
    for learner in sorted({r.learner for r in results.runs}):
        seeds = [s for (lib, ln, s) in by if lib == "MTFSim" and ln == learner and ("d3rlpy", learner, s) in by]
        if len(seeds) < 2:
            continue
        m = [by[("MTFSim", learner, s)] for s in seeds]
        d = [by[("d3rlpy", learner, s)] for s in seeds]
        out[f"MTFSim vs d3rlpy {learner}"] = {
            "value_difference": t_interval(np.array([a.value - b.value for a, b in zip(m, d)])),
            "speed_ratio": t_interval(np.array([a.steps_per_second / b.steps_per_second for a, b in zip(m, d)]))}
    return out


def table(results: Results) -> str:
    def ci(v: tuple[float, float, float], digits: int = 1) -> str:
        return f"{v[0]:.{digits}f} [{v[1]:.{digits}f}, {v[2]:.{digits}f}]"

    s = summary(results)
    lines = [f"{results.environment}, world {results.world_seed}: {results.sessions} logged sessions "
             f"({results.transitions} transitions); {results.eval_episodes} held-out episodes per policy",
             "", "| policy | reward / user-day | paired Δ vs baseline | gradient steps/s |", "|---|---:|---:|---:|"]
    for name, v in results.single.items():
        lines.append(f"| {name} | {ci((v['mean'], v['lower'], v['upper']))} | "
                     f"{ci((v['delta'], v['delta_lower'], v['delta_upper']))} | — |")
    for name, v in s.items():
        if "vs" in name:
            continue
        lines.append(f"| {name} ({v['steps']} steps, {v['seeds']} seeds) | {ci(v['value'])} | {ci(v['delta'])} | "
                     f"{ci(v['steps_per_second'])} |")
    for name, v in s.items():
        if "vs" in name:
            lines.append(f"\n{name}: value difference {ci(v['value_difference'])}, speed ratio "
                         f"{ci(v['speed_ratio'], 2)}×")
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
