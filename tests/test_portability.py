"""tools/portability.py: the numeric configurations it picks from what a machine reports."""
import importlib.util
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location("portability", Path(__file__).resolve().parents[1] / "tools" / "portability.py")
portability = importlib.util.module_from_spec(spec)
spec.loader.exec_module(portability)


def report(dispatch, present, blas="SkylakeX"):
    return {"features": {"dispatch": dispatch, "present": present, "baseline": []},
            "blas": [("openblas", blas)] if blas else [], "hashes": {}}


@pytest.fixture(autouse=True)
def no_preset_coretype(monkeypatch):
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)


def test_avx512_machine_gets_an_avx2_and_a_baseline_configuration(monkeypatch):
    monkeypatch.setattr(portability.platform, "machine", lambda: "x86_64")
    d = ["X86_V3", "X86_V4", "AVX512_ICL", "AVX512_SPR"]
    (n1, e1), (n2, e2) = portability.configurations(report(d, d))
    assert (n1, e1) == ("like AVX2", {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
                                      "OPENBLAS_CORETYPE": "Haswell"})
    assert (n2, e2) == ("baseline", {"NPY_DISABLE_CPU_FEATURES": " ".join(d), "OPENBLAS_CORETYPE": "Sandybridge"})


def test_avx2_machine_gets_only_the_baseline(monkeypatch):
    monkeypatch.setattr(portability.platform, "machine", lambda: "x86_64")
    configs = portability.configurations(report(["X86_V3", "X86_V4"], ["X86_V3"], blas="Zen"))
    assert configs == [("baseline", {"NPY_DISABLE_CPU_FEATURES": "X86_V3", "OPENBLAS_CORETYPE": "Sandybridge"})]


def test_arm_machine_and_a_preset_blas_kernel(monkeypatch):
    monkeypatch.setattr(portability.platform, "machine", lambda: "aarch64")
    configs = portability.configurations(report(["ASIMDHP", "ASIMDDP", "SVE"], ["ASIMDHP", "ASIMDDP"], blas="NeoverseN1"))
    assert configs == [("baseline", {"NPY_DISABLE_CPU_FEATURES": "ASIMDHP ASIMDDP", "OPENBLAS_CORETYPE": "ARMV8"})]
    monkeypatch.setenv("OPENBLAS_CORETYPE", "NEOVERSEN1")  # a machine that needs it keeps it
    assert portability.configurations(report(["ASIMDHP"], ["ASIMDHP"], blas="NeoverseN1")) == [
        ("baseline", {"NPY_DISABLE_CPU_FEATURES": "ASIMDHP"})]


def test_unchanged_bits_are_a_failure():
    same = {"hashes": {"exp float64": ["a"], "matmul float64": ["m"]}, "blas": []}
    other = {"hashes": {"exp float64": ["a"], "matmul float64": ["m"]}, "blas": [],
             "env": {"NPY_DISABLE_CPU_FEATURES": "X86_V4", "OPENBLAS_CORETYPE": "Haswell"}}
    problems = portability.check_bits(same, "like AVX2", other)
    assert len(problems) == 2 and "exp, tanh and log" in problems[0] and "matrix products" in problems[1]
    other["hashes"] = {"exp float64": ["b"], "matmul float64": ["n"]}
    assert portability.check_bits(same, "like AVX2", other) == []
