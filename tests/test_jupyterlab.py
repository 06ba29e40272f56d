"""Run every notebook of the book in real JupyterLab (headless Chromium), as a learner would.

One JupyterLab serves the repository root for the whole module; each notebook is opened, run
with Run > Run All Cells, checked, and its kernel shut down before the next one. A notebook fails
on:

- an error: an ``error`` output, or a traceback on stderr / in any text output (cells tagged
  ``raises-exception`` are meant to fail and are skipped);
- a widget output with nothing rendered in it (the widget manager did not display it);
- MyST that jupyterlab-myst left as raw text (``{eq}```, ``:label:``, ...) or marked with a
  warning icon (a citation or cross-reference it cannot resolve), or maths KaTeX could not set;
- a cell whose metadata says ``jupyter.source_hidden`` (hidden checks, exercise solutions; see
  ``book/_ext/lab_compat.py``) shown expanded instead of as the collapsed placeholder when the
  notebook opens, or a code cell's source expanded after Run All (running a cell shows its
  output, and running a markdown cell shows it rendered: JupyterLab does that by design);
- a demo whose picture does not change within 5 s after its first slider moves, or after its
  Play button is pressed (demos without Play skip that part).

Screenshots go to ``_build/screenshots/lab/``. Marked ``lab``: ``pytest -m lab``. Set
``NNMATH_LAB_ROOT`` to a directory holding a copy of ``book/`` to run against the copy.
JupyterLab's autosave is off, so nothing is written into the notebooks.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import chromium, skip_or_fail

REPO = Path(__file__).resolve().parents[1]
ROOT = Path(os.environ.get("NNMATH_LAB_ROOT", REPO)).resolve()
SHOTS = REPO / "_build" / "screenshots" / "lab"
RUN_TIMEOUT_S = 240          # one notebook, all cells (they take 5-20 s)
PICTURE_TIMEOUT_MS = 5_000   # a demo's picture must change this soon after a slider or Play
pytestmark = pytest.mark.lab

NOTEBOOKS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "book").rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)

# JupyterLab user settings for the run: every cell in the DOM (no windowing, so every markdown
# cell is rendered and checked), no autosave (the notebooks under test stay untouched), no news.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
}
RAW_MYST = ["{eq}`", "{term}`", "{cite}`", "{cite:", "{doc}`", "{numref}`", "{ref}`", "```{",
            ":::{", "{exercise}", "{solution-", ":label:", ":class:"]


def _labels_by_page() -> dict[str, set[str]]:
    """Equation and exercise labels defined on each page of the book."""
    labels: dict[str, set[str]] = {}
    for p in (ROOT / "book").rglob("*"):
        if p.suffix not in {".ipynb", ".md"} or ".ipynb_checkpoints" in p.parts:
            continue
        text = p.read_text()
        if p.suffix == ".ipynb":
            text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
        labels[str(p.relative_to(ROOT))] = set(
            re.findall(r"\$\$\s*\(([\w.:-]+)\)", text) + re.findall(r":label:\s*(\S+)", text))
    return labels


def figure_names() -> set[str]:
    """The names of the book's figures: ``mystnb.figure.name`` in a code cell's metadata."""
    names = set()
    for p in (ROOT / "book").rglob("*.ipynb"):
        for c in json.loads(p.read_text())["cells"]:
            name = c.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("name")
            if name:
                names.add(name)
    return names


def known_limitation(nb: str, warning: dict, labels: dict[str, set[str]]) -> bool:
    """A reference jupyterlab-myst cannot resolve, which the HTML book links:

    - an {eq} of an equation on another page (see book/_ext/lab_compat.py for why it is not
      rewritten);
    - a {numref} of a figure: the figure is a code cell's output, numbered and captioned by
      MyST-NB from the cell's metadata, which jupyterlab-myst (rendering markdown cells only)
      does not read. The figure itself is right there in the notebook.
    """
    if warning["title"] != "Cross Reference Not Found":
        return False
    if warning["text"] in figure_names():
        return True
    return (warning["text"] not in labels.get(nb, set())
            and any(warning["text"] in v for k, v in labels.items() if k != nb))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab_url():
    jupyter = Path(sys.executable).with_name("jupyter")
    if not jupyter.exists():
        skip_or_fail("JupyterLab is not installed in this environment (pip install jupyterlab)")
    if not (ROOT / "book").is_dir():
        pytest.fail(f"NNMATH_LAB_ROOT={ROOT} holds no book/")
    tmp = Path(tempfile.mkdtemp(prefix="nnmath-lab-"))
    for rel, value in SETTINGS.items():
        f = tmp / "settings" / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(value))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp / "config"),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYDEVD_DISABLE_FILE_VALIDATION="1")
    port = _free_port()
    cmd = [str(jupyter), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--ServerApp.port_retries=0", "--ServerApp.token=", "--ServerApp.password=",
           f"--ServerApp.root_dir={ROOT}", "--LabApp.expose_app_in_browser=True"]
    if os.getuid() == 0:
        cmd.append("--allow-root")
    log = open(tmp / "server.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url + "/api/status", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    tail = (tmp / "server.log").read_text()[-3000:]
                    pytest.fail(f"JupyterLab did not start:\n{tail}")
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def lab(lab_url):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"{lab_url}/lab?reset", wait_until="load")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started",
                               timeout=120_000)
        page.evaluate("() => window.jupyterapp.started")
        yield page


OPEN_JS = """
async (path) => {
  const app = window.jupyterapp;
  const w = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  await w.context.ready;
  await w.sessionContext.ready;
  app.shell.activateById(w.id);
  window.__nb = w;
  return w.id;
}
"""

RENDERED_JS = """
() => {
  const w = window.__nb;
  const md = w.content.widgets.filter(c => c.model.type === 'markdown' && !c.inputHidden);
  return md.length > 0 &&
         md.every(c => c.rendered && c.node.querySelector('.myst, .jp-RenderedMarkdown'));
}
"""

# Problems visible before running: raw MyST, warning icons, maths not set, hidden cells shown.
STATIC_JS = """
(raw) => {
  const w = window.__nb, out = [];
  w.content.widgets.forEach((cell, i) => {
    const jup = cell.model.getMetadata('jupyter') || {};
    const placeholder = cell.node.querySelector('.jp-InputPlaceholder, .jp-Placeholder');
    if (jup.source_hidden && (!cell.inputHidden || !placeholder))
      out.push(`cell ${i}: metadata says source_hidden, but the cell is shown expanded`);
    if (cell.model.type !== 'markdown' || cell.inputHidden) return;
    const r = cell.node.querySelector('.myst, .jp-RenderedMarkdown');
    if (!r) { out.push(`cell ${i}: markdown not rendered`); return; }
    const clone = r.cloneNode(true);
    clone.querySelectorAll('pre, code, .katex').forEach(e => e.remove());
    const text = clone.innerText;
    for (const p of raw) {
      const k = text.indexOf(p);
      if (k >= 0) out.push(`cell ${i}: raw MyST ${JSON.stringify(p)}: ` +
                           `...${text.slice(Math.max(0, k - 30), k + 50)}...`);
    }
    r.querySelectorAll('[title$="Not Found"], [title^="Unknown"], .text-yellow-600[title]')
      .forEach(e => out.push({cell: i, title: e.getAttribute('title'),
                              text: e.innerText.trim().slice(0, 60)}));
    r.querySelectorAll('.katex-error').forEach(e => out.push(
      `cell ${i}: maths not typeset: ${(e.getAttribute('title') || e.innerText).slice(0, 100)}`));
  });
  return out;
}
"""

RUN_JS = """
async () => {
  const app = window.jupyterapp, w = window.__nb;
  app.shell.activateById(w.id);
  await app.commands.execute('notebook:run-all-cells');
  return true;
}
"""

# Done when the kernel is idle, no cell waits to run, and the run reached the last code cell or
# stopped at an error.
DONE_JS = """
() => {
  const w = window.__nb, k = w.sessionContext.session && w.sessionContext.session.kernel;
  if (!k || k.status !== 'idle') return false;
  const code = w.content.widgets.filter(c => c.model.type === 'code');
  if (code.some(c => c.node.querySelector('.jp-InputPrompt') &&
                     c.node.querySelector('.jp-InputPrompt').innerText.includes('*'))) return false;
  const last = code[code.length - 1];
  const stopped = code.some(c => c.model.outputs.toJSON().some(o => o.output_type === 'error') &&
      !((c.model.getMetadata('tags') || []).includes('raises-exception')));
  return stopped || !last || last.model.executionCount !== null;
}
"""

RESULT_JS = """
() => {
  const w = window.__nb, out = [], WIDGET = 'application/vnd.jupyter.widget-view+json';
  let widgets = 0;
  w.content.widgets.forEach((cell, i) => {
    if (cell.model.type !== 'code') return;
    const tags = cell.model.getMetadata('tags') || [];
    const expectError = tags.includes('raises-exception');
    const jup = cell.model.getMetadata('jupyter') || {};
    // Running a cell unfolds its output (and a markdown cell's source): JupyterLab does that
    // by design, so after Run All only a code cell's source must still be folded.
    if (jup.source_hidden && (!cell.inputHidden || !cell.node.querySelector('.jp-Placeholder')))
      out.push(`cell ${i}: metadata says source_hidden, but after running it is expanded`);
    if (cell.model.executionCount === null)
      out.push(`cell ${i}: not run`);
    for (const o of cell.model.outputs.toJSON()) {
      if (o.output_type === 'error' && !expectError)
        out.push(`cell ${i}: ${o.ename}: ${String(o.evalue).slice(0, 200)}`);
      const text = o.output_type === 'stream' ? [].concat(o.text).join('') :
                   (o.data && o.data['text/plain']) ? [].concat(o.data['text/plain']).join('') : '';
      if (!expectError && /Traceback \\(most recent call last\\)/.test(text))
        out.push(`cell ${i}: a traceback in its output: ${text.slice(0, 200)}`);
    }
    // Only a traceback: the book prints caught errors on purpose ("ValueError: ..." as the
    // message a learner sees, the overflow a naive formula raises), so "Error" alone is no fault.
    if (!expectError) cell.node.querySelectorAll('.jp-RenderedText').forEach(t => {
      const s = t.innerText;
      if (/Traceback/.test(s)) out.push(`cell ${i}: a traceback in an output: ${s.slice(0, 200)}`);
    });
    const views = cell.model.outputs.toJSON().filter(o => o.data && o.data[WIDGET]).length;
    widgets += views;
    if (views && !cell.node.querySelector('.jp-OutputArea-output .jupyter-widgets'))
      out.push(`cell ${i}: a widget output with no widget displayed`);
  });
  return {problems: out, widgets};
}
"""

# The demos: widget outputs holding a picture (an <img>), with their first slider and Play.
DEMOS_JS = """
() => {
  const w = window.__nb, demos = [];
  w.content.widgets.forEach((cell, i) => {
    if (cell.model.type !== 'code' || cell.outputHidden) return;
    cell.node.querySelectorAll('.jp-OutputArea-output').forEach((o, j) => {
      if (!o.querySelector('.jupyter-widgets') || !o.querySelector('img')) return;
      const play = Array.from(o.querySelectorAll('button')).find(b =>
        ['Play', '▶'].includes(b.innerText.trim()) || b.title === 'Play');
      demos.push({cell: i, index: j, slider: !!o.querySelector('.noUi-handle, input[type=range]'),
                  play: !!play});
    });
  });
  return demos;
}
"""

PICTURE_JS = """
([cell, j]) => {
  const o = window.__nb.content.widgets[cell].node.querySelectorAll('.jp-OutputArea-output')[j];
  const imgs = Array.from(o.querySelectorAll('img'));
  const canvases = Array.from(o.querySelectorAll('canvas')).map(c => {
    try { const d = c.toDataURL(); return d.length + d.slice(-64); } catch (e) { return ''; } });
  return imgs.map(i => i.src).join('|') + canvases.join('|');
}
"""


def _demo_output(page, cell: int, j: int):
    cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")
    return cells.nth(cell).locator(".jp-OutputArea-output").nth(j)


def _wait_picture_change(page, cell: int, j: int, before: str) -> bool:
    try:
        page.wait_for_function(f"(b) => ({PICTURE_JS})([{cell}, {j}]) !== b", arg=before,
                               timeout=PICTURE_TIMEOUT_MS)
        return True
    except Exception:
        return False


def _wait_picture_settled(page, cell: int, j: int, quiet_ms: int = 700,
                          limit_ms: int = 5_000) -> None:
    """Wait until the picture has not changed for ``quiet_ms`` (late updates of a slider)."""
    last, stable, waited = page.evaluate(PICTURE_JS, [cell, j]), 0, 0
    while stable < quiet_ms and waited < limit_ms:
        page.wait_for_timeout(100)
        waited += 100
        now = page.evaluate(PICTURE_JS, [cell, j])
        stable = stable + 100 if now == last else 0
        last = now


def check_demos(page, name: str, expected: int) -> list[str]:
    problems = []
    demos = page.evaluate(DEMOS_JS)
    if len(demos) < expected:
        problems.append(f"{expected} demo cells (nm.widgets....), but {len(demos)} demos "
                        "displayed a picture")
    for k, demo in enumerate(demos):
        cell, j = demo["cell"], demo["index"]
        out = _demo_output(page, cell, j)
        out.scroll_into_view_if_needed()
        where = f"cell {cell}: demo"
        if demo["slider"]:
            handle = out.locator(".noUi-handle, input[type=range]").first
            at_max = handle.evaluate(
                "h => h.getAttribute('aria-valuenow') !== null && "
                "h.getAttribute('aria-valuenow') === h.getAttribute('aria-valuemax')")
            before = page.evaluate(PICTURE_JS, [cell, j])
            handle.focus()
            page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
            if not _wait_picture_change(page, cell, j, before):
                problems.append(f"{where}: the picture did not change within 5 s after its "
                                "first slider moved")
        if demo["play"]:
            # From the untrained start (Reset), so Play has epochs left to train.
            reset = out.locator("button").filter(has_text="Reset")
            if reset.count():
                before = page.evaluate(PICTURE_JS, [cell, j])
                reset.first.click()
                _wait_picture_change(page, cell, j, before)
            _wait_picture_settled(page, cell, j)
            # a handle, not a text locator: while playing the button reads "Pause"
            button = out.locator("button").filter(has_text="Play").first.element_handle()
            before = page.evaluate(PICTURE_JS, [cell, j])
            button.click()
            if not _wait_picture_change(page, cell, j, before):
                problems.append(f"{where}: the picture did not change within 5 s after Play")
            if button.evaluate("b => b.classList.contains('mod-active')"):
                button.click()           # pause it again
        out.screenshot(path=str(SHOTS / f"{name}-demo{k}.png"))
    return problems


@pytest.mark.parametrize("nb", NOTEBOOKS)
def test_notebook_runs_in_jupyterlab(lab, nb):
    page = lab
    name = Path(nb).stem
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate(OPEN_JS, nb)
    try:
        page.wait_for_function(RENDERED_JS, timeout=120_000)
        page.wait_for_timeout(500)
        labels = _labels_by_page()
        problems = [p if isinstance(p, str) else
                    f"cell {p['cell']}: warning icon {p['title']!r}: {p['text']}"
                    for p in page.evaluate(STATIC_JS, RAW_MYST)
                    if isinstance(p, str) or not known_limitation(nb, p, labels)]
        page.screenshot(path=str(SHOTS / f"{name}-top.png"))
        page.evaluate(RUN_JS)
        page.wait_for_function(DONE_JS, timeout=RUN_TIMEOUT_S * 1000, polling=500)
        page.wait_for_timeout(1500)      # let widget views finish rendering
        result = page.evaluate(RESULT_JS)
        problems += result["problems"]
        cells = json.loads((ROOT / nb).read_text())["cells"]
        expected = sum(1 for c in cells if c["cell_type"] == "code"
                       and re.search(r"^nm\.widgets\.\w+\(", "".join(c["source"]), re.M)
                       and "remove-cell" not in c.get("metadata", {}).get("tags", []))
        problems += check_demos(page, name, expected)
        page.screenshot(path=str(SHOTS / f"{name}-end.png"))
    finally:
        page.evaluate("""async () => { const w = window.__nb; if (!w) return;
            try { await w.sessionContext.shutdown(); } catch (e) {}
            w.context.model.dirty = false; w.dispose(); window.__nb = null; }""")
    assert not problems, f"{nb}:\n  " + "\n  ".join(problems[:40])
