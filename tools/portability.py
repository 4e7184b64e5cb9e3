"""Run a command again under other numeric kernels, after showing that they change low bits.

Usage: ``python tools/portability.py [--probe] [-- COMMAND ...]`` (``make test-portable``).

The last bits of ``exp``, ``tanh``, ``log`` and of a matrix product differ between CPUs, SIMD
kernels and BLAS builds (AVX-512 against AVX2, Intel against AMD, Apple Silicon).  A stored
notebook output or a golden comparison that depends on them passes on the machine that wrote
it and fails on a learner's.  This script makes such a machine out of this one:

- NumPy's SIMD dispatch is narrowed with ``NPY_DISABLE_CPU_FEATURES`` (the kernels NumPy
  would pick on an older CPU), and
- OpenBLAS is forced to an older kernel with ``OPENBLAS_CORETYPE``.

The settings are chosen from what the machine reports (NumPy's CPU features, threadpoolctl's
BLAS architecture).  On an AVX-512 x86 machine there are two: "like AVX2" (the AVX-512
kernels off, OpenBLAS Haswell) and "baseline" (every dispatched kernel off, OpenBLAS
Sandybridge); elsewhere only "baseline".  For each, a probe in a fresh process hashes
``np.exp``, ``np.tanh`` and ``np.log`` of fixed vectors and fixed matrix products, and the
script fails unless the elementwise functions *and* a matrix product differ from the default
configuration in at least one element.  Then COMMAND runs under each configuration; the
script exits non-zero if the probe or any run failed.

An ``OPENBLAS_CORETYPE`` already set in the environment is kept: some machines need it to
compute correctly.  The matrix-product check is then reported and not required, as it is
where NumPy's BLAS is not OpenBLAS (Accelerate on macOS).
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

# OpenBLAS core types, oldest first, per architecture family
OLDER_BLAS = {"x86": ("Prescott", "Sandybridge", "Haswell"), "arm": ("ARMV8",)}


def probe() -> dict:
    """Hashes of fixed elementwise results and matrix products, and what the machine reports."""
    import hashlib

    import numpy as np
    try:
        import threadpoolctl
        blas = [(i.get("internal_api"), i.get("architecture")) for i in threadpoolctl.threadpool_info()
                if i.get("user_api") == "blas"]
    except ImportError:
        blas = []
    x = np.linspace(-4.0, 4.0, 20001)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((200, 200))
    results = {
        "exp float64": np.exp(x), "exp float32": np.exp(x.astype(np.float32)),
        "tanh float64": np.tanh(x), "tanh float32": np.tanh(x.astype(np.float32)),
        "log float64": np.log(np.abs(x) + 0.5), "log float32": np.log(np.abs(x).astype(np.float32) + 0.5),
        "matmul float64": a @ a, "matmul float32": a.astype(np.float32) @ a.astype(np.float32),
    }
    return {"hashes": {k: [hashlib.sha1(v[i:i + 500].tobytes()).hexdigest() for i in range(0, v.size, 500)]
                       for k, v in ((k, v.ravel()) for k, v in results.items())},
            "features": _cpu_features(), "blas": blas}


def _cpu_features() -> dict:
    try:
        from numpy._core import _multiarray_umath as m  # NumPy 2
    except ImportError:  # pragma: no cover - NumPy 1.26
        from numpy.core import _multiarray_umath as m
    return {"present": [k for k, v in m.__cpu_features__.items() if v],
            "dispatch": list(m.__cpu_dispatch__), "baseline": list(m.__cpu_baseline__)}


def _run_probe(env: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, "--probe"], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def configurations(default: dict) -> list[tuple[str, dict]]:
    """The other numeric configurations this machine can run: (name, environment variables)."""
    feats = default["features"]
    dispatched = [f for f in feats["dispatch"] if f in feats["present"]]
    arch = next((a for api, a in default["blas"] if api == "openblas"), None)
    family = "arm" if platform.machine().lower() in ("arm64", "aarch64") else "x86"
    keep_blas = "OPENBLAS_CORETYPE" in os.environ or arch is None

    def blas(core: str) -> dict:
        return {} if keep_blas or (arch or "").lower() == core.lower() else {"OPENBLAS_CORETYPE": core}

    configs = []
    wide = [f for f in dispatched if f.startswith("AVX512") or f == "X86_V4"]
    if family == "x86" and wide and len(wide) < len(dispatched):
        configs.append(("like AVX2", {"NPY_DISABLE_CPU_FEATURES": " ".join(wide), **blas("Haswell")}))
    older = OLDER_BLAS[family]
    core = older[1] if family == "x86" and (arch or "").lower() != "sandybridge" else older[0]
    if dispatched:
        configs.append(("baseline", {"NPY_DISABLE_CPU_FEATURES": " ".join(dispatched), **blas(core)}))
    elif not keep_blas:
        configs.append(("older BLAS", blas(core)))
    return configs


def _differs(a: dict, b: dict, key: str) -> int:
    return sum(x != y for x, y in zip(a["hashes"][key], b["hashes"][key]))


def check_bits(default: dict, name: str, changed: dict) -> list[str]:
    """Print which results change under the configuration; return what should have and did not."""
    problems = []
    print(f"\n{name}: " + " ".join(f"{k}={v!r}" for k, v in changed["env"].items()))
    print(f"  BLAS kernel: {default['blas']} -> {changed['blas']}")
    for key in default["hashes"]:
        n = _differs(default, changed, key)
        print(f"  {key:<15} {'differs in ' + str(n) + ' of ' + str(len(default['hashes'][key])) + ' blocks' if n else 'the same bits'}")
    if not any(_differs(default, changed, k) for k in default["hashes"] if not k.startswith("matmul")):
        problems.append(f"{name}: exp, tanh and log give the same bits as the default configuration")
    if not any(_differs(default, changed, k) for k in default["hashes"] if k.startswith("matmul")):
        if "OPENBLAS_CORETYPE" in changed["env"]:
            problems.append(f"{name}: the matrix products give the same bits as the default configuration")
        else:
            print("  (the BLAS kernel is left as it is here, so matrix products are not required to change)")
    return problems


def main(argv: list[str]) -> int:
    if argv[:1] == ["--probe"]:
        print(json.dumps(probe()))
        return 0
    command = argv[argv.index("--") + 1:] if "--" in argv else []
    base = {k: v for k, v in os.environ.items() if k != "NPY_DISABLE_CPU_FEATURES"}
    default = _run_probe(base)
    print(f"default configuration: NumPy kernels up to {default['features']['dispatch']} "
          f"(present: {[f for f in default['features']['dispatch'] if f in default['features']['present']]}), "
          f"BLAS {default['blas']}")
    configs = configurations(default)
    if not configs:
        print("FAILED: this machine offers no other numeric configuration to test")
        return 1
    problems = []
    for name, env in configs:
        changed = _run_probe({**base, **env})
        changed["env"] = env
        problems += check_bits(default, name, changed)
    if problems:
        print("\nFAILED: " + "\n        ".join(problems))
        return 1
    failed = []
    for name, env in configs:
        if not command:
            break
        print(f"\n=== {name}: {' '.join(f'{k}={v!r}' for k, v in env.items())} {' '.join(command)}", flush=True)
        if subprocess.run(command, env={**base, **env}).returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nFAILED under: {', '.join(failed)}")
        return 1
    print(f"\nportability: {len(configs)} other configuration(s) change low bits"
          + (", and the command passed under each" if command else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
