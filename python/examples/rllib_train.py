"""Online RL on Ray RLlib over MTFSim's vector environment, judged like ``mtfsim compare`` on held-out users.

Every RLlib env runner steps ``--envs-per-runner`` simulated users in one native call: the runner's environment is
``mtfsim.VectorEnv`` (RLlib's ``gym_env_vectorize_mode="vector_entry_point"``), whose next-step autoreset RLlib's
single-agent runner follows. Runners start disjoint episode numbers (runner ``i`` from ``i · 10⁷``), so they meet
other users and streams; all of them draw from the training users (the first 80% of user ids) of world ``--seed``.

What the policy sees and does, fixed before training (``FusionScaling``): observations standardised with the mean and
standard deviation of the baseline's requests on training users (clipped to ±10), actions in [−1, 1]⁷ mapped
affinely onto the environment's weight box, and rewards multiplied by ``--reward-scale`` (value targets of order 1;
the evaluation counts raw rewards).

After training, the policy's deterministic action (the Gaussian's mean; SAC: the squashed mean) is evaluated by
:func:`mtfsim.evaluation.held_out_value` on the same held-out episodes as MTFSim's own rows: the baseline weights,
uniformly random weights, and CEM's weights from ``mtfsim train --agent cem`` (its checkpoint, acted natively).
Δ is paired against the baseline, episode by episode. The RLlib checkpoint and the scaling are saved under --out.

    python python/examples/rllib_train.py --algo ppo --env-runners 2 --envs-per-runner 64 --iterations 20
    python python/examples/rllib_train.py --address auto ...        # a running cluster (ray start --head / ray up)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from mtfsim.evaluation import HeldOutValue, held_out_value
from mtfsim.vector_env import VectorEnv

ENV_NAME = "mtfsim-fusion"
#: Episode numbers of runner i start at i · RUNNER_EPISODE_STRIDE (disjoint users and streams per runner).
RUNNER_EPISODE_STRIDE = 10_000_000


class FusionScaling(gym.vector.VectorWrapper):
    """Standardised observations, actions in [−1, 1] per weight, scaled rewards (all fixed, not learned)."""

    def __init__(self, env: gym.vector.VectorEnv, mean: np.ndarray, std: np.ndarray, reward_scale: float) -> None:
        super().__init__(env)
        self.mean, self.std = np.asarray(mean, np.float32), np.asarray(std, np.float32)
        space = env.single_action_space
        self.low, self.high = space.low.astype(np.float32), space.high.astype(np.float32)
        self.reward_scale = reward_scale
        self.single_observation_space = gym.spaces.Box(-10, 10, self.mean.shape, np.float32)
        self.single_action_space = gym.spaces.Box(-1, 1, self.low.shape, np.float32)
        self.observation_space = gym.vector.utils.batch_space(self.single_observation_space, env.num_envs)
        self.action_space = gym.vector.utils.batch_space(self.single_action_space, env.num_envs)

    def observe(self, observations: np.ndarray) -> np.ndarray:
        return np.clip((observations - self.mean) / self.std, -10, 10).astype(np.float32)

    def weights(self, actions: np.ndarray) -> np.ndarray:
        a = np.clip(np.asarray(actions, np.float32), -1, 1)
        return self.low + (a + 1) * 0.5 * (self.high - self.low)

    def reset(self, **kwargs: Any) -> tuple[np.ndarray, dict[str, Any]]:
        observations, infos = self.env.reset(**kwargs)
        return self.observe(observations), infos

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        observations, rewards, terminated, truncated, infos = self.env.step(self.weights(actions))
        return self.observe(observations), rewards * self.reward_scale, terminated, truncated, infos


def make_env(context: Any) -> gym.vector.VectorEnv:
    """RLlib's env creator: `context` is the env_config (with `num_envs` added by the vector entry point)."""
    config = dict(context)
    worker = int(getattr(context, "worker_index", 0))
    env = VectorEnv(int(config.get("num_envs", 1)), config["environment"], seed=int(config["seed"]), users="training",
                    first_episode=worker * RUNNER_EPISODE_STRIDE)
    return FusionScaling(env, np.array(config["obs_mean"]), np.array(config["obs_std"]), float(config["reward_scale"]))


def observation_statistics(environment: str, seed: int, users: int = 64, steps: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation (floored at 10⁻³) of the baseline's requests on training users."""
    env = VectorEnv(users, environment, seed=seed, users="training", first_episode=5 * RUNNER_EPISODE_STRIDE)
    observations, _ = env.reset()
    seen = [observations]
    for _ in range(steps):
        observations, *_ = env.step(np.tile(env.baseline, (users, 1)))
        seen.append(observations)
    env.close()
    x = np.concatenate(seen).astype(np.float64)
    return x.mean(0).astype(np.float32), np.maximum(x.std(0), 1e-3).astype(np.float32)


def algorithm_config(args: argparse.Namespace, env_config: dict[str, Any]) -> Any:
    """RLlib's config for --algo, on the new API stack (torch), 64 × 64 networks."""
    if args.algo == "ppo":
        from ray.rllib.algorithms.ppo import PPOConfig

        config = PPOConfig().training(lr=3e-4, gamma=args.gamma, lambda_=0.95, train_batch_size_per_learner=args.batch,
                                      minibatch_size=min(1024, args.batch), num_epochs=8, clip_param=0.2,
                                      vf_clip_param=100.0, entropy_coeff=0.0)
    elif args.algo == "appo":
        from ray.rllib.algorithms.appo import APPOConfig

        config = APPOConfig().training(lr=3e-4, gamma=args.gamma, lambda_=0.95, train_batch_size_per_learner=args.batch,
                                       vf_loss_coeff=0.5, entropy_coeff=0.0)
    else:
        from ray.rllib.algorithms.sac import SACConfig

        config = SACConfig().training(gamma=args.gamma, actor_lr=3e-4, critic_lr=3e-4, alpha_lr=3e-4,
                                      train_batch_size_per_learner=256, num_steps_sampled_before_learning_starts=2_000)
    return (config.environment(ENV_NAME, env_config=env_config)
            .framework("torch")
            .env_runners(num_env_runners=args.env_runners, num_envs_per_env_runner=args.envs_per_runner,
                         gym_env_vectorize_mode="vector_entry_point", num_cpus_per_env_runner=1)
            .rl_module(model_config={"fcnet_hiddens": [64, 64], "fcnet_activation": "tanh" if args.algo != "sac" else "relu"})
            .debugging(seed=args.seed))


def deterministic_policy(algo: Any, name: str, scaling: FusionScaling) -> Any:
    """Raw observations → raw weights: the module's mean action (SAC: tanh of it), through the fixed scaling."""
    import torch

    module = algo.get_module()
    dimension = scaling.low.shape[0]

    def act(observations: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            out = module.forward_inference({"obs": torch.from_numpy(scaling.observe(observations))})
        mean = out["action_dist_inputs"][:, :dimension].numpy()
        return scaling.weights(np.tanh(mean) if name == "sac" else mean)

    return act


def cem_checkpoint(cli: str, environment: str, seed: int, out: Path) -> Path:
    """MTFSim's CEM over fixed weights (its defaults), trained on the training users of world `seed`."""
    path = out / f"cem-{Path(environment).stem}-seed{seed}.ckpt"
    if not path.exists():
        done = subprocess.run([cli, "train", "--env", environment, "--seed", str(seed), "--agent", "cem", "--json",
                               "--out", str(path)], capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"mtfsim train --agent cem failed: {done.stderr.strip()}")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--algo", choices=["ppo", "sac", "appo"], default="ppo")
    parser.add_argument("--env-runners", type=int, default=2, help="RLlib env runners (Ray actors, 1 CPU each)")
    parser.add_argument("--envs-per-runner", type=int, default=64, help="users each runner steps in one native call")
    parser.add_argument("--address", help="Ray cluster to join (auto, ray://head:10001); default: a local Ray")
    parser.add_argument("--env", default="short-video", help="environment preset or file (the same path on every node)")
    parser.add_argument("--seed", type=int, default=1, help="world seed (training and held-out users) and RLlib's seed")
    parser.add_argument("--iterations", type=int, default=20, help="training iterations")
    parser.add_argument("--time-budget", type=float, default=0, help="stop after this many seconds (0: no limit)")
    parser.add_argument("--batch", type=int, default=8192, help="PPO/APPO: environment steps per training batch")
    parser.add_argument("--gamma", type=float, default=0.99, help="discount per request")
    parser.add_argument("--reward-scale", type=float, default=0.01, help="rewards × this during training")
    parser.add_argument("--eval-episodes", type=int, default=256, help="held-out episodes per evaluated policy")
    parser.add_argument("--cli", help="the mtfsim command, for the CEM row (omit to leave CEM out)")
    parser.add_argument("--out", default="logs/rllib", help="folder for the RLlib checkpoint and results.json")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    import ray
    from ray.tune.registry import register_env

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    mean, std = observation_statistics(args.env, args.seed)
    env_config = {"environment": args.env, "seed": args.seed, "obs_mean": mean.tolist(), "obs_std": std.tolist(),
                  "reward_scale": args.reward_scale}
    if args.address:
        # With --json, stdout is the JSON document alone: the workers' and raylets' log lines stay out of it.
        ray.init(address=args.address, logging_level="warning", log_to_driver=not args.json)
    else:
        ray.init(num_cpus=max(2, args.env_runners), logging_level="warning", log_to_driver=not args.json,
                 include_dashboard=False)
    register_env(ENV_NAME, make_env)
    algo = algorithm_config(args, env_config).build_algo()
    curve: list[dict[str, float]] = []
    start = time.perf_counter()
    try:
        for iteration in range(1, args.iterations + 1):
            result = algo.train()
            runners = result.get("env_runners", {})
            point = {"iteration": iteration, "seconds": time.perf_counter() - start,
                     "env_steps": int(result.get("num_env_steps_sampled_lifetime", 0)),
                     "episode_return_mean": float(runners.get("episode_return_mean", float("nan")))}
            curve.append(point)
            note(f"iteration {iteration}: {point['env_steps']} env steps, {point['seconds']:.0f} s, "
                 f"mean return (scaled) {point['episode_return_mean']:.2f}")
            if args.time_budget and point["seconds"] >= args.time_budget:
                break
        checkpoint = algo.save_to_path(str(out / f"{args.algo}-checkpoint"))
        (out / "scaling.json").write_text(json.dumps({**env_config, "algo": args.algo}))
        scaling = make_env({**env_config, "num_envs": 1})
        policy = deterministic_policy(algo, args.algo, scaling)
        scaling.close()
    finally:
        algo.stop()
        ray.shutdown()

    elapsed = curve[-1]["seconds"]
    steps = curve[-1]["env_steps"]

    def evaluate(p: Any) -> HeldOutValue:
        return held_out_value(p, args.env, seed=args.seed, episodes=args.eval_episodes, threads=2)

    baseline = evaluate("baseline")
    rng = np.random.default_rng(args.seed)
    rows: dict[str, HeldOutValue] = {"baseline": baseline,
                                     "uniformly random weights": evaluate(lambda o: rng.uniform(scaling.low, scaling.high,
                                                                                                (len(o), scaling.low.size)))}
    if args.cli:
        rows["CEM (mtfsim train --agent cem)"] = evaluate(cem_checkpoint(args.cli, args.env, args.seed, out))
    rows[f"RLlib {args.algo.upper()} ({args.env_runners} runners × {args.envs_per_runner} users, {steps} steps)"] = \
        evaluate(policy)
    results = {
        "algo": args.algo, "env_runners": args.env_runners, "envs_per_runner": args.envs_per_runner,
        "iterations": len(curve), "env_steps": steps, "train_seconds": elapsed,
        "env_steps_per_second": steps / elapsed, "checkpoint": str(checkpoint), "curve": curve,
        "eval_episodes": args.eval_episodes,
        "policies": {name: {"mean": v.mean, "lower": v.lower, "upper": v.upper,
                            "delta_vs_baseline": v.paired_difference(baseline),
                            "delta_vs_random": v.paired_difference(rows["uniformly random weights"])}
                     for name, v in rows.items()}}
    (out / "results.json").write_text(json.dumps(results, indent=2))
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"{args.algo.upper()}: {len(curve)} iterations, {steps} env steps in {elapsed:.0f} s "
              f"({steps / elapsed:.0f} env steps/s); {args.eval_episodes} held-out episodes of world {args.seed}")
        print("| policy | reward / user-day | paired Δ vs baseline | paired Δ vs random |\n|---|---:|---:|---:|")
        for name, r in results["policies"].items():
            d, e = r["delta_vs_baseline"], r["delta_vs_random"]
            print(f"| {name} | {r['mean']:.1f} [{r['lower']:.1f}, {r['upper']:.1f}] | {d[0]:+.1f} [{d[1]:+.1f}, {d[2]:+.1f}] | "
                  f"{e[0]:+.1f} [{e[1]:+.1f}, {e[2]:+.1f}] |")
    return 0


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
