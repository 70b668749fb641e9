"""The bad-input matrix (tests/error_cases.py): one line, the documented message, the right exit code,
no traceback; and the same message under the field in the console's form."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from tui_fakes import ScriptedEngine, wait_for

from rdfia_tui.tui.app import create_app
from rdfia_tui.tui.options import AppOptions
from tests.error_cases import CASES, DOC, PLACEHOLDER, Case, documented_messages, make_bad_files, run_case

DOCUMENTED = documented_messages(DOC.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_bad_files(tmp_path_factory.mktemp("bad-input"))


def test_the_matrix_is_large_and_documented() -> None:
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)
    assert set(DOCUMENTED) == {c.id for c in CASES}, "regenerate docs/errors.md with: python tests/error_cases.py"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_mistake_gets_its_documented_line(case: Case, bad_files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if case.needs_no_gpu and torch.cuda.is_available():
        pytest.skip("this machine has a GPU, so device=cuda is not a mistake here")
    monkeypatch.setenv("RDFIA_TUI_DATA", str(bad_files / "no-data"))
    monkeypatch.setenv("RDFIA_TUI_RUNS", str(bad_files / "runs"))
    code, out, err = run_case(case, bad_files)
    assert code == case.code
    assert "Traceback" not in out + err
    if case.code == 0:
        line = next(line for line in out.splitlines() if line.startswith("note:"))
        assert err == ""
    else:
        assert err.count("\n") == 1 and err.startswith("rdfia-tui: error: "), err
        line = err.strip()
    assert case.expect in line
    assert line.replace(str(bad_files), PLACEHOLDER) == DOCUMENTED[case.id], "regenerate docs/errors.md: python tests/error_cases.py"


FIELD_CASES = [c for c in CASES if c.field]


@pytest.mark.parametrize("case", FIELD_CASES, ids=[c.id for c in FIELD_CASES])
async def test_the_form_shows_the_same_message_at_the_field(case: Case, tmp_path: Path) -> None:
    key, text = case.field
    app = create_app(AppOptions(runs_dir=tmp_path / "runs"), engine=ScriptedEngine())
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.main.form.config is not None)
        app.main.form.set_value(key, text)
        await wait_for(pilot, lambda: key in app.main.form.errors)
        assert "rdfia-tui: error: " + app.main.form.errors[key] == DOCUMENTED[case.id]
        assert app.main.form.config is None  # start is refused
        await pilot.press("s")
        await pilot.pause(0.05)
        assert not app.running
