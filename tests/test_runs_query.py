"""The runs filter language and sort (engine.runs.query, engine.runs.fields) and `rdfia-tui runs --where/--sort`."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_fakes import write_run

from rdfia_tui.engine.runs.fields import QueryError, sort_runs
from rdfia_tui.engine.runs.listing import list_runs
from rdfia_tui.engine.runs.query import parse_query


def summary(name: str, acc: float | None, *, optim: str = "sgd", lr: float = 0.1, status: str = "completed", hidden=(4,)) -> dict:
    return {
        "run_dir": f"/runs/{name}",
        "status": status,
        "preset": "circles-mlp",
        "final_test_acc": acc,
        "epochs_completed": 3,
        "started_at": f"2026-11-{name[-2:]}T10:00:00+0000",
        "config": {"optim": {"name": optim, "lr": lr}, "model": {"hidden": list(hidden)}},
    }


RUNS = [
    summary("run-20", 0.9, optim="adam", lr=0.001),
    summary("run-21", 0.6, optim="adam", lr=0.01, hidden=(8, 8)),
    summary("run-22", 0.75, optim="sgd", lr=0.1, status="stopped"),
    summary("run-23", None, optim="sgd", lr=1.0, status="diverged"),
]


def names(expr: str) -> list[str]:
    query = parse_query(expr)
    return [r["run_dir"].rsplit("/", 1)[-1] for r in RUNS if query.matches(r)]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("optim.name=adam", ["run-20", "run-21"]),
        ("optim.name=adam test_acc>0.7", ["run-20"]),
        ("optim.name=ADAM, test_acc > 0.7", ["run-20"]),  # commas and spaces are AND; text ignores case
        ("test_acc>=75%", ["run-20", "run-22"]),  # percent with the sign
        ("test_acc<0.7", ["run-21"]),  # a run without a test accuracy matches no clause on it
        ("status!=completed", ["run-22", "run-23"]),
        ("optim.lr<=0.01 optim.lr>0.001", ["run-21"]),
        ("optim.lr=0.1", ["run-22"]),
        ("model.hidden=[8,8]", ["run-21"]),
        ("model.hidden~8", ["run-21"]),
        ("run~2", ["run-20", "run-21", "run-22", "run-23"]),
        ("started>2026-11-21", ["run-22", "run-23"]),  # a day means the whole day
        ("started=2026-11-21", ["run-21"]),
        ("started>=2024-02-29", ["run-20", "run-21", "run-22", "run-23"]),  # a leap day is a real date
        ("status~stop", ["run-22"]),
        ('preset="circles-mlp"', ["run-20", "run-21", "run-22", "run-23"]),
        ("optim.momentum=0", ["run-20", "run-21", "run-22", "run-23"]),  # a key a run did not record reads as its default
        ("", ["run-20", "run-21", "run-22", "run-23"]),
    ],
)
def test_filters_keep_the_runs_that_match_every_clause(expr: str, expected: list[str]) -> None:
    assert names(expr) == expected
    unreadable = {"run_dir": "/runs/broken", "status": "unreadable", "preset": "?"}
    # an unreadable run has a status but no config and no accuracy: a clause on those never holds for it
    assert parse_query(expr).matches(unreadable) == (expr in ("", "status!=completed"))


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("optim.nam=adam", "unknown key 'optim.nam'; did you mean 'optim.name'?"),
        ("tset_acc>0.5", "did you mean 'test_acc'?"),
        ("test_acc>70", "test_acc>70: accuracies are 0-1 fractions; write test_acc>0.7 or test_acc>70%"),
        ("test_acc>high", "test_acc is an accuracy (a 0-1 fraction such as 0.7, or 70%); 'high' is not one"),
        ("test_acc>150%", "an accuracy is between 0 and 1"),
        ("optim.lr>fast", "optim.lr>fast: optim.lr is a number; 'fast' is not one"),
        ("optim.name>adam", "optim.name is text; use = != ~"),
        ("status=complete", "no status 'complete'; did you mean 'completed'?"),
        ("optim.name=adma", "did you mean 'adam'?"),
        ("train.compile=maybe", "train.compile is true or false"),
        ("started>yesterday", "started is a date; write it as 2026, 2026-11, 2026-11-27"),
        # the pattern of a date is not enough: every part must be one a calendar and a clock have
        ("started>=2026-13-45", "started>=2026-13-45: '2026-13-45' is not a real date or time; write it as 2026, 2026-11"),
        ("started<2026-13", "'2026-13' is not a real date"),
        ("started=2026-02-30", "'2026-02-30' is not a real date"),
        ("started>=2026-11-27T24:00", "'2026-11-27T24:00' is not a real date or time"),
        ("started>=2026-11-27T10:61", "is not a real date or time"),
        ("status~banana", "status~banana: no status contains 'banana'; one of running, completed"),
        ("optim.name adam", "cannot read 'optim.name'; write KEY OP VALUE"),
        ("test_acc>0.5 and", "cannot read 'and'"),
    ],
)
def test_bad_expressions_are_one_line_that_says_what_to_write(expr: str, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(expr)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_sort_by_any_column_or_config_key_with_missing_values_last() -> None:
    def order(column: str, descending: bool = False) -> list[str]:
        return [r["run_dir"][-2:] for r in sort_runs(RUNS, column, descending=descending)]

    assert order("test_acc") == ["21", "22", "20", "23"]
    assert order("test_acc", descending=True) == ["20", "22", "21", "23"]  # no accuracy: last either way
    assert order("final_test_acc", descending=True) == order("test_acc", descending=True)  # summary.json's name too
    assert order("optim.lr") == ["20", "21", "22", "23"]
    assert order("optim.name") == ["20", "21", "22", "23"]
    assert order("status") == ["20", "21", "23", "22"]
    with pytest.raises(QueryError, match=r"did you mean 'optim\.lr'"):
        sort_runs(RUNS, "optim.lrr")


def test_a_listed_run_is_filtered_on_its_real_records(tmp_path: Path) -> None:
    write_run(tmp_path, "20261120-100000-circles-mlp", 0.3, [0.5, 0.8, 0.95])
    write_run(tmp_path, "20261120-110000-circles-mlp", 0.05, [0.5, 0.6, 0.7], status="stopped")
    listed = list_runs(tmp_path)
    assert [r["final_test_acc"] for r in listed if parse_query("optim.lr>=0.1 optim.name=sgd").matches(r)] == [0.95]
    assert [r["final_test_acc"] for r in listed if parse_query("train.epochs=30").matches(r)] == [0.95, 0.7]


def test_cli_runs_where_and_sort(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from rdfia_tui.cli.main import main

    write_run(tmp_path, "20261120-100000-circles-mlp", 0.3, [0.5, 0.8, 0.95])
    write_run(tmp_path, "20261120-110000-circles-mlp", 0.05, [0.5, 0.6, 0.7], status="stopped")
    write_run(tmp_path, "20261120-120000-circles-mlp", 1.0, [0.5, 0.9, 0.85])
    assert main(["runs", "--runs-dir", str(tmp_path), "--where", "test_acc>80%", "--sort", "test_acc"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "2 of 3 runs match 'test_acc>80%'"
    assert out[1].startswith("run (by test_acc, lowest first)")
    rows = [line.split()[0] for line in out[3:5]]
    assert rows == ["20261120-120000-circles-mlp", "20261120-100000-circles-mlp"]
    assert main(["runs", "--runs-dir", str(tmp_path), "--sort", "optim.lr", "--desc"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0][9:15] for line in out[2:5]] == ["120000", "100000", "110000"]
    assert main(["runs", "--runs-dir", str(tmp_path), "--where", "test_acc>80%", "--where", "optim.lr<0.5"]) == 0  # ANDed
    assert capsys.readouterr().out.splitlines()[0] == "1 of 3 runs match 'test_acc>80% optim.lr<0.5'"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--where", "optim.nam=adam"], "rdfia-tui: error: --where: unknown key 'optim.nam'; did you mean 'optim.name'?"),
        (["--where", "test_acc>70"], "rdfia-tui: error: --where: test_acc>70: accuracies are 0-1 fractions; write test_acc>0.7 or"),
        (["--where", "started>=2026-13-45"], "rdfia-tui: error: --where: started>=2026-13-45: '2026-13-45' is not a real date"),
        (["--where", "test_acc>inf"], "rdfia-tui: error: --where: test_acc>inf: an accuracy is a finite fraction"),
        (["--where", "test_acc>1e309%"], "rdfia-tui: error: --where: test_acc>1e309%: an accuracy is a finite fraction"),
        (["--sort", "acc"], "rdfia-tui: error: --sort: unknown key 'acc'"),
        (["--desc"], "rdfia-tui: error: --desc reverses --sort; give the column too"),
    ],
)
def test_cli_runs_mistakes_exit_2_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture, args: list[str], message: str) -> None:
    from rdfia_tui.cli.main import main

    assert main(["runs", "--runs-dir", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
