"""The C header against the library: a C program built from mtfsim.h steps the same episode as mtfsim.Env."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import mtfsim
from mtfsim import _native

HEADER = Path(mtfsim.__file__).resolve().parent / "include" / "mtfsim.h"

PROGRAM = r"""
#include <stdio.h>
#include <stdlib.h>
#include "mtfsim.h"

int main(void) {
    if (mtfsim_abi_version() != MTFSIM_ABI_VERSION) { puts("abi mismatch"); return 1; }
    char error[256];
    if (mtfsim_env_create("no-such-world", NULL, NULL, 1, 1, "all", 0, 0, 1, error, sizeof error) != NULL) return 2;
    printf("error %s\n", error);
    mtfsim_env *env = mtfsim_env_create("tiny", NULL, NULL, 3, 1, "all", 0, 0, 1, error, sizeof error);
    if (!env) { printf("create failed: %s\n", error); return 3; }
    int32_t count, s, a, k;
    mtfsim_env_sizes(env, &count, &s, &a, &k);
    float *obs = malloc(sizeof(float) * s), *comp = malloc(sizeof(float) * k), *act = calloc(a, sizeof(float));
    double reward, minutes; uint8_t term, trunc, end;
    int64_t episode = 2;
    if (mtfsim_env_reset(env, 0, 0, &episode, obs) != MTFSIM_OK) return 4;
    for (int i = 0; i < a; i++) act[i] = 0.5f;
    for (int t = 0; t < 5; t++) {
        if (mtfsim_env_step(env, act, a, obs, &reward, comp, &term, &trunc, &end, &minutes) != MTFSIM_OK) return 5;
        printf("step %a %a\n", reward, (double)obs[0] + obs[s - 1]);
    }
    act[0] = 0.0f / 0.0f;
    int status = mtfsim_env_step(env, act, a, obs, &reward, comp, &term, &trunc, &end, &minutes);
    printf("nan %d %s\n", status, mtfsim_env_last_error(env));
    mtfsim_env_free(env);
    return 0;
}
"""


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
def test_a_c_program_built_from_the_header_matches_the_python_environment(tmp_path: Path) -> None:
    _native.library()
    library = next(p for p in _native._candidates() if p.is_file())
    source = tmp_path / "step.c"
    source.write_text(PROGRAM)
    binary = tmp_path / "step"
    subprocess.run(["cc", "-std=c11", "-I", str(HEADER.parent), str(source), str(library),
                    f"-Wl,-rpath,{library.parent}", "-o", str(binary)], check=True)
    out = subprocess.run([str(binary)], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0].startswith("error ") and "not a preset" in out[0]
    assert out[-1].startswith(f"nan {_native.INVALID_ACTION} ") and "not a finite number" in out[-1]

    env = mtfsim.Env("tiny", seed=3)
    env.reset(options={"episode": 2})
    action = np.full(env.action_space.shape, 0.5, np.float32)
    for line in out[1:6]:
        observation, reward, *_ = env.step(action)
        _, c_reward, c_check = line.split()
        assert float.fromhex(c_reward) == reward
        assert float.fromhex(c_check) == float(observation[0]) + float(observation[-1])
