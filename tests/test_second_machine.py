"""The "second machine" of `make test` computes differently, and respects the environment."""

from __future__ import annotations

import os

from tests.second_machine import probe, second_machine_env


def _clean_env():
    return {k: v for k, v in os.environ.items()
            if k not in {"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "NPY_DISABLE_CPU_FEATURES"}}


def test_second_machine_differs_and_asks_only_for_what_the_cpu_has():
    here = probe(_clean_env())
    env, description = second_machine_env(_clean_env())
    there = probe(env)
    changed_blas = here["openblas"] is not None and there["openblas"] != here["openblas"]
    changed_simd = set(there["enabled"]) < set(here["enabled"])
    extra = [f for f in here["dispatch"] if f in here["enabled"] and f not in here["baseline"]]
    assert changed_blas or changed_simd or not extra, description
    if "NPY_DISABLE_CPU_FEATURES" in env:
        asked = env["NPY_DISABLE_CPU_FEATURES"].split(",")
        assert set(asked) <= set(here["enabled"]), "only features this CPU has are disabled"
        assert not set(asked) & set(there["enabled"]), description
        assert set(here["baseline"]) <= set(there["enabled"]), "the baseline stays"


def test_an_openblas_setting_in_the_environment_is_left_alone():
    for key, value in (("OPENBLAS_CORETYPE", "Haswell"), ("OPENBLAS_L2_SIZE", "1048576")):
        environ = _clean_env() | {key: value}
        env, description = second_machine_env(environ)
        assert env[key] == value and "left as the environment sets it" in description
        other = "OPENBLAS_L2_SIZE" if key == "OPENBLAS_CORETYPE" else "OPENBLAS_CORETYPE"
        assert other not in env, f"{other} must not be added when {key} is set"
