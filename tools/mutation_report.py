"""Score a `make mutation` run: per file, how many mutants the tests killed, and which survived.

mutmut (run by `make mutation`) leaves one ``mutants/<file>.meta`` per mutated file, holding each
mutant's exit code.  This prints, per file and in total:

* killed -- a test failed (or the mutant hung and hit mutmut's CPU-time limit: also detected);
* survived -- every test that reaches the mutated function passed: a gap in the tests, or an
  *equivalent* mutant (one that cannot change any result, such as ``x * 1`` -> ``x / 1``);
* equivalent -- survivors listed, with the reason, in ``tools/mutation_equivalent.txt``;
* no tests -- no unit test reaches the function (not counted in the score).

The score is killed / (killed + survived - equivalent): the issue's target is 95 %.  With
``--survivors`` it lists the surviving mutants; ``.venv/bin/mutmut show NAME`` prints one's diff.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KILLED = {1, 3, 24, -24, 152, 255, 36}  # a failing test, pytest's internal error, or mutmut's timeouts
SURVIVED = {0}
NO_TESTS = {5, 33}


def equivalent(path: Path = ROOT / "tools" / "mutation_equivalent.txt") -> dict[str, str]:
    """Mutant name -> why it cannot change a result (lines ``name  # reason``)."""
    out = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, _, why = line.partition("#")
            if name.strip():
                out[name.strip()] = why.strip()
    return out


def classify(code) -> str:
    if code in KILLED:
        return "killed"
    if code in SURVIVED:
        return "survived"
    if code in NO_TESTS:
        return "no tests"
    return "not run" if code is None else "other"


def report(mutants: Path, show_survivors: bool = False) -> int:
    metas = sorted(mutants.rglob("*.py.meta"))
    if not metas:
        print(f"no mutation results under {mutants}: run `make mutation` first")
        return 2
    known = equivalent()
    total = Counter()
    survivors = []
    print(f"{'file':44s} {'killed':>7s} {'survived':>9s} {'equiv.':>7s} {'no tests':>9s} {'not run':>8s} {'score':>7s}")
    for meta in metas:
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        if not codes:
            continue
        c = Counter()
        for name, code in codes.items():
            kind = classify(code)
            if kind == "survived" and name in known:
                kind = "equivalent"
            c[kind] += 1
            if kind == "survived":
                survivors.append(name)
        total += c
        scored = c["killed"] + c["survived"]
        score = f"{100 * c['killed'] / scored:6.1f}%" if scored else "     -"
        print(f"{str(meta.relative_to(mutants))[:-5]:44s} {c['killed']:7d} {c['survived']:9d} {c['equivalent']:7d} "
              f"{c['no tests']:9d} {c['not run'] + c['other']:8d} {score:>7s}")
    scored = total["killed"] + total["survived"]
    score = f"{100 * total['killed'] / scored:6.1f}%" if scored else "     -"
    print(f"{'total':44s} {total['killed']:7d} {total['survived']:9d} {total['equivalent']:7d} "
          f"{total['no tests']:9d} {total['not run'] + total['other']:8d} {score:>7s}")
    if show_survivors:
        for name in survivors:
            print("survived:", name)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=Path, default=Path("mutants"), help="mutmut's folder (default ./mutants)")
    parser.add_argument("--survivors", action="store_true", help="list the surviving mutants")
    args = parser.parse_args(argv)
    return report(args.mutants, args.survivors)


if __name__ == "__main__":
    sys.exit(main())
