"""rdfia-tui report: the HTML and Markdown reports of real (short) runs and a sweep, read back and checked against the
run records; the console's `w` on the runs screen."""

from __future__ import annotations

import json
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from helpers import rdfia, run_folder_from
from PIL import Image
from textual.app import App
from textual.widgets import DataTable
from tui_fakes import wait_for

from rdfia_tui.cli.main import main
from rdfia_tui.engine.report import figures, write
from rdfia_tui.engine.report.build import build_document
from rdfia_tui.engine.report.document import LinePlot, MatrixPlot, Series
from rdfia_tui.engine.report.gather import gather
from rdfia_tui.tui.screens.runs import RunsScreen

HOSTILE = "<img src=x onerror=alert(1)>"
LESSON = """
[lesson]
lab = "4-5"
questions = ["Q17"]
question = "Does the MLP <script>alert('q')</script> learn digits & why?"
watch = "The test accuracy | after two epochs."
show = ["parameters", "accuracy"]

[lesson.claims]
params = 4800

[[lesson.errata]]
question = "Q17"
report = "The net has <b>4,800</b> parameters."
correct = "64·64 + 64 + 10·64 + 10 = 4,810."
"""


# ---- real run folders, made once for the module -------------------------------------------------------------------
@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A circles sweep (lr 0.1 and 0.5), then two digits runs that differ in optim.lr only; each 2 epochs, on the CPU."""
    root = tmp_path_factory.mktemp("report")
    runs = root / "runs"
    common = ("--runs-dir", str(runs), "--set", "train.epochs=2", "--set", "train.device=cpu")
    sweep = rdfia("sweep", "circles-mlp", "--grid", "optim.lr=0.1,0.5", "--set", "data.n_samples=300", *common, cwd=root)
    assert sweep.returncode == 0, sweep.stderr
    found = {"root": root, "runs": runs, "sweep": next(runs.glob("sweep-*"))}
    for name, lr in (("a", "0.1"), ("b", "0.05")):
        result = rdfia("run", "digits-mlp", "--set", f"optim.lr={lr}", *common, cwd=root)
        assert result.returncode == 0, result.stderr
        found[name] = run_folder_from(result)
    return found


def summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def report(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``rdfia-tui report ARGS`` in this process: exit status, stdout, stderr."""
    code = main(["report", *args])
    out, err = capsys.readouterr()
    return code, out, err


# ---- reading a page back ------------------------------------------------------------------------------------------
class Page(HTMLParser):
    """An HTML report parsed: its start tags with their attributes, its tables (rows of cell texts), headings and text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.tables: list[list[list[str]]] = []
        self.headings: list[str] = []
        self.text: list[str] = []
        self._cell: list[str] | None = None
        self._heading: list[str] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag in ("h1", "h2", "h3", "h4"):
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag in ("h1", "h2", "h3", "h4") and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for sink in (self._cell, self._heading):
            if sink is not None:
                sink.append(data)

    def count(self, tag: str) -> int:
        return sum(1 for t, _ in self.tags if t == tag)

    def table_with(self, header: str) -> list[list[str]]:
        """The first table whose header row holds ``header``."""
        return next(t for t in self.tables if t and header in t[0])

    def column(self, table: list[list[str]], row_header: str) -> list[str]:
        """A key/value table's cells right of ``row_header``."""
        return next(row[1:] for row in table if row[0] == row_header)


def pct(fraction: float) -> str:
    return f"{100 * fraction:.2f}%"


def assert_self_contained(text: str, page: Page) -> None:
    """No script, stylesheet link, frame, font or address outside the file: it opens offline."""
    assert "http://" not in text and "https://" not in text and "@import" not in text and "@font-face" not in text
    assert not {t for t, _ in page.tags} & {"script", "link", "iframe", "object", "embed"}
    for _, attrs in page.tags:
        for name in ("src", "href", "xlink:href"):
            target = attrs.get(name)
            assert target is None or target.startswith(("#", "data:image/png;base64,")), (name, target)


# ---- the HTML report ----------------------------------------------------------------------------------------------
def test_html_report_of_one_run_holds_its_numbers_layers_curves_and_confusion(records, tmp_path, capsys) -> None:
    run, out = records["a"], tmp_path / "one.html"
    code, printed, err = report(capsys, str(run), "--out", str(out))
    assert (code, err) == (0, "") and printed == f"wrote {out}\n"
    text = out.read_text(encoding="utf-8")
    page, s = Page(text), summary(run)
    assert_self_contained(text, page)
    assert len(text) < 250_000  # text, not glyph outlines
    labels = [attrs.get("aria-label") for tag, attrs in page.tags if tag == "figure"]
    assert page.count("svg") == 3 and labels == [f"{run.name}: {what}" for what in ("loss", "accuracy", "test confusion matrix, epoch 2")]
    results = page.table_with(run.name)
    assert page.column(results, "final test accuracy") == [pct(s["final_test_acc"])]
    assert page.column(results, "best test accuracy") == [f"{pct(s['best_test_acc'])} (epoch {s['best_epoch']})"]
    assert page.column(results, "status") == ["completed"] and page.column(results, "epochs trained") == ["2 of 2"]
    assert page.column(results, "final test loss") == [f"{s['epochs'][-1]['test_loss']:.4f}"]
    per_class = page.table_with("most often taken for")
    assert {row[0]: row[3] for row in per_class[1:]} == {k: pct(v) for k, v in s["per_class_test_acc"].items()}
    layers = page.table_with("receptive field")
    assert [row[0] for row in layers[1:]] == [r["name"] for r in s["layers"]["rows"]] + ["total"]
    assert layers[-1][3] == f"{s['params']:,}" == "4,810"
    config = page.table_with("settings")
    assert "lr = 0.1" in page.column(config, "optim")[0].replace("\u00a0", " ")
    assert "conv_channels" not in text  # an MLP's config: only the keys it uses
    assert "Config differences" not in page.headings


def test_several_runs_show_only_the_config_keys_that_differ_and_their_curves_together(records, tmp_path, capsys) -> None:
    a, b, out = records["a"], records["b"], tmp_path / "two.html"
    assert report(capsys, str(a), str(b), "--out", str(out))[0] == 0
    page = Page(out.read_text(encoding="utf-8"))
    differences = page.table_with("key")
    assert differences == [["key", a.name, b.name], ["optim.lr", "0.1", "0.05"]]
    results = page.table_with(b.name)
    assert page.column(results, "final test accuracy") == [pct(summary(a)["final_test_acc"]), pct(summary(b)["final_test_acc"])]
    assert "Config" not in page.headings and f"Run {a.name}" in page.headings and f"Run {b.name}" in page.headings
    assert page.count("svg") == 2 + 2 * 3  # the compared curves, then each run's own three
    ids = [attrs["id"] for _, attrs in page.tags if attrs.get("id")]
    assert len(ids) > 100 and len(ids) == len(set(ids))  # each figure's ids are its own: no clip path or marker is shared


def test_a_sweep_folder_gives_its_grid_and_every_points_curves(records, tmp_path, capsys) -> None:
    sweep, out = records["sweep"], tmp_path / "sweep.html"
    assert report(capsys, str(sweep), "--out", str(out))[0] == 0
    text = out.read_text(encoding="utf-8")
    page, doc = Page(text), json.loads((sweep / "sweep.json").read_text(encoding="utf-8"))
    grid = page.table_with("optim.lr")
    assert grid[0] == ["point", "optim.lr", "seed", "status", "epochs", "final test", "best test", "time"]
    expected = [[str(p["index"]), p["labels"]["optim.lr"], "completed", pct(p["final_test_acc"])] for p in doc["points"]]
    assert [[row[0], row[1], row[3], row[5]] for row in grid[1:]] == expected
    assert page.count("svg") == 2 and ">lr=0.1<" in text and ">lr=0.5<" in text  # one labelled line per point


# ---- Markdown -----------------------------------------------------------------------------------------------------
def test_markdown_report_links_valid_png_files_beside_it(records, tmp_path, capsys) -> None:
    out = tmp_path / "hand out.md"
    assert report(capsys, str(records["a"]), str(records["sweep"]), "--out", str(out))[0] == 0
    text = out.read_text(encoding="utf-8")
    links = [line.split("](", 1)[1].rstrip(")") for line in text.splitlines() if line.startswith("![")]
    assert len(links) == 5 and all(link.startswith("hand%20out_files/rdfia-tui-") for link in links)
    for link in links:
        png = out.parent / "hand out_files" / link.split("/", 1)[1]
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        with Image.open(png) as image:
            image.verify()
            assert image.size[0] > 300
    assert f"| final test accuracy | {pct(summary(records['a'])['final_test_acc'])} |" in text


# ---- every text inside its figure ---------------------------------------------------------------------------------
LONG_NAME = "20261201-110410-" + "a-run-name-much-longer-than-any-figure-" * 4 + "circles-mlp-3"


def overflow(fig) -> list[float]:
    """How far (inches) the drawn texts reach past each edge of ``fig`` (left, bottom, right, top): all <= 0 when
    every title, label, tick label and legend entry is inside it."""
    box, (width, height) = fig.get_tightbbox(figures.laid_out(fig)), fig.get_size_inches()
    return [-box.x0, -box.y0, box.x1 - width, box.y1 - height]


@pytest.fixture
def long_named(records, tmp_path: Path) -> dict[str, Path]:
    """Runs a and b and the 2-class sweep, copied under folder names longer than a figure is wide."""
    copies = {}
    for key in ("a", "b", "sweep"):
        copies[key] = tmp_path / f"{LONG_NAME}-{key}"
        shutil.copytree(records[key], copies[key])
    return copies


def test_figure_titles_say_what_they_show_and_no_text_leaves_its_figure(long_named) -> None:
    doc = build_document(gather([long_named["a"], long_named["b"], long_named["sweep"]]))
    found = doc.figures()
    titles = [f.plot.title for f in found]
    assert titles == ["test accuracy of each run", "test loss of each run", *["loss", "accuracy", "test confusion matrix, epoch 2"] * 2,
                      "test accuracy of each point", "test loss of each point"]  # fmt: skip
    assert all(f.description.startswith(LONG_NAME) or f.description.startswith("runs compared") for f in found)
    for figure in found:
        fig = figures.draw(figure.plot)
        assert max(overflow(fig)) <= 0, (figure.slug, overflow(fig))
        assert "\n" not in fig.axes[0].get_title(), figure.slug  # short enough for one line
    compared = figures.draw(found[0].plot)
    legend = [t.get_text() for t in compared.legends[0].get_texts()]
    assert all("\n" in text for text in legend)  # each run's name wrapped onto lines, whole
    assert [text.replace("\n", "") for text in legend] == [long_named["a"].name, long_named["b"].name]


def test_a_two_class_confusion_matrix_keeps_its_title_inside(records) -> None:
    run = gather([next(p for p in records["sweep"].iterdir() if p.is_dir())]).runs[0]
    assert len(run.class_names) == 2
    matrix = next(f.plot for f in build_document(gather([run.folder])).figures() if isinstance(f.plot, MatrixPlot))
    fig = figures.draw(matrix)
    assert matrix.title == "test confusion matrix, epoch 2" and fig.axes[0].get_title() == matrix.title
    assert max(overflow(fig)) <= 0


SWEPT = "momentum=0.9, weight_decay=0.0005, dropout=0.5, optim=sgd, schedule=time-decay"  # a sweep point of many keys


@pytest.mark.parametrize("plot", [
    LinePlot("a title " * 40, "epoch", "loss", (Series("train", (0.0, 1.0), (1.0, 0.5)),)),
    LinePlot("loss", "epoch", "loss", (Series("x" * 300, (0.0, 1.0), (1.0, 0.5)),), ((1.0, "best test (epoch 1)"),)),
    LinePlot("loss", "epoch", "loss", tuple(Series(f"lr={i}, batch_size={2**i}, {SWEPT}, seed={i}", (0.0,), (i,)) for i in range(12))),
    MatrixPlot("a-long-title-" * 12, ("0", "1"), ((3, 1), (1, 3))),
], ids=["title", "label-without-spaces", "many-points", "matrix-title"])  # fmt: skip
def test_a_title_or_legend_wider_than_its_figure_is_wrapped_inside_it(plot) -> None:
    fig = figures.draw(plot)
    assert max(overflow(fig)) <= 0
    texts = [fig.axes[0].get_title(), *(t.get_text() for legend in fig.legends for t in legend.get_texts())]
    assert any("\n" in text for text in texts)  # something was too wide: wrapped, every word still there
    assert "".join(texts).replace("\n", "").replace(" ", "") == "".join(
        [plot.title, *(s.label for s in getattr(plot, "series", ())), *(m for _, m in getattr(plot, "marks", ()))]
    ).replace(" ", "")


def test_a_legend_too_wide_for_its_columns_takes_fewer_before_wrapping() -> None:
    wide = tuple(Series(f"{'W' * 38}{i}", (0.0,), (float(i),)) for i in range(4))  # 39 characters: two columns by count, but wide ones
    assert figures.legend_shape([s.label for s in wide]) == (2, 2)
    fig = figures.draw(LinePlot("loss", "epoch", "loss", wide))
    renderer, texts = figures.laid_out(fig), fig.legends[0].get_texts()
    assert max(overflow(fig)) <= 0 and not any("\n" in t.get_text() for t in texts)
    assert len({round(t.get_window_extent(renderer).x0) for t in texts}) == 1  # one column


# ---- escaping -----------------------------------------------------------------------------------------------------
@pytest.fixture
def hostile_run(records, tmp_path: Path) -> Path:
    """Run a, copied to a folder named like an HTML tag, with a lesson whose text holds markup."""
    folder = tmp_path / HOSTILE
    shutil.copytree(records["a"], folder)
    config = folder / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").split("[lesson]")[0] + LESSON, encoding="utf-8")  # instead of the preset's
    return folder


def test_a_hostile_run_name_and_lesson_text_are_shown_as_text(hostile_run, tmp_path, capsys) -> None:
    out = tmp_path / "hostile.html"
    assert report(capsys, str(hostile_run), "--out", str(out))[:3:2] == (0, "")
    text = out.read_text(encoding="utf-8")
    page = Page(text)
    assert not {t for t, _ in page.tags} & {"img", "script", "b"}
    assert f"Run {HOSTILE}" in page.headings and "Lesson: Labs 4-5, Q17" in page.headings
    words = "".join(page.text)
    assert "Does the MLP <script>alert('q')</script> learn digits & why?" in words and "The net has <b>4,800</b> parameters." in words
    assert page.table_with("the report says")[1] == ["Q17", "The net has <b>4,800</b> parameters.", "64·64 + 64 + 10·64 + 10 = 4,810."]
    assert 'class="problems"' in text and "4,800" in text.split('class="problems"', 1)[1]  # the wrong count is flagged
    markdown = tmp_path / "hostile.md"
    assert report(capsys, str(hostile_run), "--out", str(markdown))[0] == 0
    md = markdown.read_text(encoding="utf-8")
    assert "<script" not in md and "<img" not in md and "<b>" not in md and "&lt;script>" in md


# ---- mistakes and missing pieces ----------------------------------------------------------------------------------
def test_without_matplotlib_one_line_says_what_to_install(records, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    out = tmp_path / "none.html"
    code, printed, err = report(capsys, str(records["a"]), "--out", str(out))
    assert (code, printed) == (2, "") and err == 'rdfia-tui report needs matplotlib: pip install -e ".[report]" in the rdfia-tui clone\n'
    assert not out.exists()


def test_an_out_file_of_another_kind_is_refused_in_one_line(records, tmp_path, capsys) -> None:
    code, _, err = report(capsys, str(records["a"]), "--out", str(tmp_path / "report.pdf"))
    assert code == 2 and err.count("\n") == 1 and ".html, .htm or .md" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where, said", [
    ("missing/dir/r.html", "the folder {tmp}/missing/dir does not exist; make it first (mkdir -p {tmp}/missing/dir)"),
    ("a-file/r.html", "{tmp}/a-file is not a folder"),
    ("a-folder.html", "is a folder; give a file name in it"),
    ("r.md", "the figures go into {tmp}/r_files, but {tmp}/r_files is not a folder"),
])  # fmt: skip
def test_an_out_that_cannot_be_written_is_refused_before_any_run_is_read(tmp_path, capsys, where, said) -> None:
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    (tmp_path / "a-folder.html").mkdir()
    (tmp_path / "r_files").write_text("x", encoding="utf-8")
    before = sorted(tmp_path.rglob("*"))
    code, printed, err = report(capsys, "no-such-run", "--out", str(tmp_path / where))  # the run is not even looked for
    assert (code, printed) == (2, "") and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"rdfia-tui: error: --out {tmp_path / where}: ") and said.format(tmp=tmp_path) in err
    assert sorted(tmp_path.rglob("*")) == before


def test_the_default_folder_is_checked_before_any_run_is_read(records, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(write, "gather", lambda folders: pytest.fail("read the runs before checking where the report goes"))
    with pytest.raises(write.ReportError, match=f"the report goes into {tmp_path / 'gone'} by default, but the folder"):
        write.write_report([records["a"]], default_folder=tmp_path / "gone")


def test_writing_over_a_report_says_replaced(records, tmp_path, capsys) -> None:
    out = tmp_path / "r.html"
    assert report(capsys, str(records["a"]), "--out", str(out))[:2] == (0, f"wrote {out}\n")
    first = out.read_text(encoding="utf-8")
    assert report(capsys, str(records["b"]), "--out", str(out))[:2] == (0, f"replaced {out}\n")
    assert out.read_text(encoding="utf-8") != first and records["b"].name in out.read_text(encoding="utf-8")


def test_a_markdown_report_written_again_removes_only_its_own_old_figures(records, tmp_path, capsys) -> None:
    out, files = tmp_path / "r.md", tmp_path / "r_files"
    assert report(capsys, str(records["a"]), str(records["sweep"]), "--out", str(out))[0] == 0
    first = sorted(p.name for p in files.iterdir())
    assert len(first) == 5 and all(name.startswith("rdfia-tui-") for name in first)
    others = ["notes.png", "run-1-loss.png", "rdfia-tui-mine.txt", "rdfia-tui-folder.png"]  # not this tool's figure files
    for name in others[:3]:
        (files / name).write_text("the user's", encoding="utf-8")
    (files / others[3]).mkdir()
    code, printed, _ = report(capsys, str(records["a"]), "--out", str(out))
    assert (code, printed) == (0, f"replaced {out}; removed 2 figures of the previous report from {files}\n")
    linked = [line.split("](r_files/", 1)[1].rstrip(")") for line in out.read_text(encoding="utf-8").splitlines() if line.startswith("![")]
    assert len(linked) == 3 and sorted(p.name for p in files.iterdir()) == sorted([*linked, *others])
    assert report(capsys, str(records["a"]), "--out", str(out))[:2] == (0, f"replaced {out}\n")  # nothing left to remove


def test_an_unknown_run_is_one_line(records, tmp_path, capsys) -> None:
    code, _, err = report(capsys, "no-such-run", "--runs-dir", str(records["runs"]), "--out", str(tmp_path / "r.html"))
    assert code == 2 and err.count("\n") == 1 and "no-such-run does not exist" in err


def test_by_default_the_report_is_named_after_the_first_run_here(records, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, printed, _ = report(capsys, "latest", records["a"].name, "--runs-dir", str(records["runs"]))
    written = Path(printed.strip().removeprefix("wrote "))
    assert code == 0 and written == tmp_path / f"report-{records['b'].name}.html"  # latest: the newest run, b
    assert written.is_file()


def test_a_failure_while_drawing_leaves_no_file(records, tmp_path, capsys, monkeypatch) -> None:
    drawn = []

    def fails_on_the_second(plot, fmt):
        drawn.append(plot)
        if len(drawn) == 2:
            raise figures.MatplotlibMissing()
        return b"<svg></svg>"

    monkeypatch.setattr(figures, "render", fails_on_the_second)
    code, _, _ = report(capsys, str(records["a"]), "--out", str(tmp_path / "half.html"))
    assert code == 2 and len(drawn) == 2 and list(tmp_path.iterdir()) == []


# ---- the console --------------------------------------------------------------------------------------------------
class RunsHost(App):
    """Just the runs screen."""

    def __init__(self, runs_dir: Path) -> None:
        super().__init__()
        self.runs_dir = runs_dir

    def on_mount(self) -> None:
        self.push_screen(RunsScreen(self.runs_dir))


def notes(app: App) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_e_on_the_runs_screen_writes_the_report_of_the_selected_runs(records, tmp_path) -> None:
    runs = tmp_path / "runs"
    for name in ("a", "b"):
        shutil.copytree(records[name], runs / records[name].name)
    app = RunsHost(runs)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.query_one("#runs-table", DataTable).row_count == 2)
        await pilot.press("space", "down", "space", "e")  # newest first: b, then a
        written = runs / f"report-{records['b'].name}.html"
        await wait_for(pilot, lambda: any(n.startswith("report: wrote") for n in notes(app)))
        assert f"report: wrote {written}" in notes(app)
        page = Page(written.read_text(encoding="utf-8"))
        assert page.table_with("key")[0] == ["key", records["b"].name, records["a"].name]
        await pilot.press("e")  # the same runs again: the file is replaced, and the toast says so
        await wait_for(pilot, lambda: f"report: replaced {written}" in notes(app))


async def test_e_says_the_one_line_error_when_the_report_cannot_be_written(records, tmp_path, monkeypatch) -> None:
    runs = tmp_path / "runs"
    shutil.copytree(records["a"], runs / records["a"].name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    app = RunsHost(runs)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.query_one("#runs-table", DataTable).row_count == 1)
        await pilot.press("e")  # nothing selected: the highlighted run
        await wait_for(pilot, lambda: figures.INSTALL in notes(app))
        assert not list(runs.glob("report-*"))
