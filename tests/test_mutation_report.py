"""tools/mutation_report.py scores mutmut's results as its docstring says (on made-up results)."""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import mutation_report  # noqa: E402


def _meta(folder: Path, name: str, codes: dict) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"exit_code_by_key": codes}))


def test_score_counts_timeouts_as_killed_and_skips_untested(tmp_path, capsys, monkeypatch):
    _meta(tmp_path, "course/optim/sgd.py.meta", {"a__mutmut_1": 1, "a__mutmut_2": 36, "a__mutmut_3": 0,
                                                  "a__mutmut_4": 5, "a__mutmut_5": None})
    monkeypatch.setattr(mutation_report, "equivalent", lambda: {})
    assert mutation_report.report(tmp_path, show_survivors=True) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("course/optim/sgd.py"))
    assert row.split()[1:] == ["2", "1", "0", "1", "1", "66.7%"]
    assert "survived: a__mutmut_3" in out


def test_equivalent_mutants_leave_the_score(tmp_path, capsys, monkeypatch):
    _meta(tmp_path, "course/tensor.py.meta", {"t__mutmut_1": 1, "t__mutmut_2": 0})
    monkeypatch.setattr(mutation_report, "equivalent", lambda: {"t__mutmut_2": "x*1 -> x/1"})
    mutation_report.report(tmp_path, show_survivors=True)
    out = capsys.readouterr().out
    assert "100.0%" in out and "survived:" not in out


def test_no_results_is_an_error(tmp_path, capsys):
    assert mutation_report.report(tmp_path) == 2
    assert "make mutation" in capsys.readouterr().out


def test_equivalent_file_format(tmp_path):
    f = tmp_path / "eq.txt"
    f.write_text("# a comment line\ncourse.optim.sgd.x_f__mutmut_3  # 1.0 * x == x\n\n")
    assert mutation_report.equivalent(f) == {"course.optim.sgd.x_f__mutmut_3": "1.0 * x == x"}
