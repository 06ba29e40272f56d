"""Run a command as if on another machine: another OpenBLAS kernel and NumPy's baseline SIMD only.

``make test`` runs the unit tests and every notebook twice: once as this machine computes, and once
through this script (the notebooks in the clean build of the book), so that an assertion which
holds only for one CPU's rounding fails here and not on a reader's machine. Usage::

    python tests/second_machine.py [--print] [-- command args...]

What changes (chosen from what this CPU supports, so no instruction set it lacks is requested):

- ``OPENBLAS_CORETYPE``: the oldest kernel of the architecture (``Prescott`` on x86-64,
  ``ARMV8`` on arm64), or the next one when OpenBLAS already runs that kernel here. When the
  environment already sets ``OPENBLAS_CORETYPE`` or ``OPENBLAS_L2_SIZE`` (done on processors where
  older OpenBLAS builds misbehave), both are left exactly as they are.
- ``NPY_DISABLE_CPU_FEATURES``: every SIMD level NumPy would dispatch to on this CPU beyond its
  compiled baseline, so NumPy runs its baseline loops only.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

# Oldest first. An alternative is used when OpenBLAS already runs the first one here.
CORETYPES = {
    "x86_64": ["Prescott", "Sandybridge"],
    "amd64": ["Prescott", "Sandybridge"],
    "aarch64": ["ARMV8", "CortexA57"],
    "arm64": ["ARMV8", "CortexA57"],
}
# Names OpenBLAS reports (threadpoolctl's "architecture") for the core types above.
REPORTED = {"prescott": {"prescott", "katmai"}}

PROBE = r"""
import json
import numpy as np
from numpy._core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
try:
    import threadpoolctl
    arch = [i.get("architecture") for i in threadpoolctl.threadpool_info()
            if i.get("internal_api") == "openblas"]
except Exception:
    arch = []
print(json.dumps({"baseline": list(__cpu_baseline__), "dispatch": list(__cpu_dispatch__),
                  "enabled": [k for k, v in __cpu_features__.items() if v],
                  "openblas": arch[0] if arch else None}))
"""


def probe(env: dict[str, str] | None = None) -> dict:
    """What NumPy and OpenBLAS run under ``env`` (a fresh interpreter, as the tests would)."""
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def second_machine_env(environ: dict[str, str] | None = None) -> tuple[dict[str, str], str]:
    """Return (environment for the second run, a one-line description of what changed)."""
    environ = dict(os.environ if environ is None else environ)
    here = probe(environ)
    env = dict(environ)
    said = []

    if "OPENBLAS_CORETYPE" in environ or "OPENBLAS_L2_SIZE" in environ:
        said.append("OpenBLAS kernel left as the environment sets it "
                    f"(OPENBLAS_CORETYPE={environ.get('OPENBLAS_CORETYPE', '')!r}, "
                    f"OPENBLAS_L2_SIZE={environ.get('OPENBLAS_L2_SIZE', '')!r})")
    else:
        current = (here["openblas"] or "").lower()
        for core in CORETYPES.get(platform.machine().lower(), []):
            if current not in REPORTED.get(core.lower(), {core.lower()}):
                env["OPENBLAS_CORETYPE"] = core
                said.append(f"OpenBLAS kernel {here['openblas']} -> {core}")
                break
        else:
            said.append(f"OpenBLAS kernel unchanged ({here['openblas']}: no other known here)")

    extra = [f for f in here["dispatch"] if f in here["enabled"] and f not in here["baseline"]]
    if extra:
        env["NPY_DISABLE_CPU_FEATURES"] = ",".join(extra)
        said.append(f"NumPy SIMD {'+'.join(extra)} disabled "
                    f"(baseline {'+'.join(here['baseline'])})")
    else:
        said.append("NumPy already runs its baseline only")

    there = probe(env)
    left = [f for f in extra if f in there["enabled"]]
    if left:
        raise RuntimeError(f"NPY_DISABLE_CPU_FEATURES did not disable {left}")
    return env, "; ".join(said) + f" (now: OpenBLAS {there['openblas']})"


def main(argv: list[str]) -> int:
    env, description = second_machine_env()
    print(f"second machine: {description}", flush=True)
    if "--" not in argv:
        return 0
    command = argv[argv.index("--") + 1:]
    return subprocess.call(command, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
