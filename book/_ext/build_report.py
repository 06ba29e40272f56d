"""Sphinx extension: a failing notebook fails the build, but never costs the reader the book.

With ``nb_execution_raise_on_error: false`` MyST-NB reports a failing cell as a warning (an error
under ``-W``) and goes on: every other page is built, and so is the failing page, with the outputs
its cells produced before the failure. This extension makes that outcome plain:

- the failing page opens with a warning box saying that its checks failed and which cell;
- at the end of the build a summary lists each failing notebook, the cell (its index and first
  line) and the error message (for a hidden assertion, its message), so ``make book`` and CI logs
  say at once what is wrong;
- the build's exit status stays non-zero (the warning does that under ``-W --keep-going``).

It also wires the optional repository button: the book links to a repository only when one is
configured with the environment variable ``BOOK_REPOSITORY_URL``; otherwise no header link points
anywhere outside the book.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

_CELL = re.compile(r"An error occurred while executing the following cell:\n-+\n(.*?)\n-+\n",
                   re.S)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _failures(env) -> list[dict]:
    """One record per notebook whose execution failed in this build."""
    failures = []
    for docname, data in sorted(getattr(env, "nb_metadata", {}).items()):
        exec_data = data.get("exec_data") or {}
        if exec_data.get("succeeded", True):
            continue
        failures.append(describe(env.doc2path(docname), exec_data.get("traceback") or "",
                                 exec_data.get("error") or "error"))
        failures[-1]["docname"] = docname
    return failures


def describe(path, traceback: str, error: str) -> dict:
    """Locate the failing cell of notebook ``path`` from nbclient's ``traceback`` text."""
    text = _ANSI.sub("", traceback)
    source = (_CELL.search(text).group(1) if _CELL.search(text) else "").strip()
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    message = lines[-1].strip() if lines else error
    index = None
    try:
        cells = json.loads(Path(path).read_text(encoding="utf8"))["cells"]
        for i, cell in enumerate(cells):
            src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            if source and src.strip() == source:
                index = i
                break
    except (OSError, ValueError, KeyError):
        pass
    first = next((ln for ln in source.splitlines() if ln.strip()), "")
    return {"path": str(path), "cell": index, "first_line": first, "message": message}


def _banner(app, pagename, templatename, context, doctree):
    for f in getattr(app.env, "_book_failures", []):
        if f["docname"] == pagename and "body" in context:
            cell = f"cell {f['cell']}" if f["cell"] is not None else "a cell"
            context["body"] = (
                '<div class="admonition warning book-build-failure" role="alert">'
                '<p class="admonition-title">A check on this page failed</p>'
                f"<p>While this page was built, {cell} stopped with "
                f"<code>{html.escape(f['message'])}</code>. The outputs below stop there; "
                "the text is complete.</p></div>" + context["body"])


def _collect(app, env):
    env._book_failures = _failures(env)
    return []


def _summary(app, exception):
    failures = getattr(app.env, "_book_failures", []) if app.env else []
    if not failures:
        return
    lines = [f"{len(failures)} notebook(s) failed; every page was built anyway:"]
    for f in failures:
        cell = f"cell {f['cell']}" if f["cell"] is not None else "cell ?"
        lines.append(f"  {f['path']}, {cell} ({f['first_line'][:60]}): {f['message']}")
    text = "\n".join(lines)
    (Path(app.outdir) / "reports").mkdir(parents=True, exist_ok=True)
    (Path(app.outdir) / "reports" / "summary.txt").write_text(text + "\n", encoding="utf8")
    # Printed last so that it is the first thing a reader of the log sees at its end.
    print("\nBOOK BUILD: " + text, flush=True)


def _repository(app, config):
    url = os.environ.get("BOOK_REPOSITORY_URL", "").strip()
    options = dict(config.html_theme_options or {})
    if url:
        options.update(repository_url=url, use_repository_button=True)
    else:
        options.update(use_repository_button=False, use_issues_button=False,
                       use_edit_page_button=False)
        options.pop("repository_url", None)
    config.html_theme_options = options


def setup(app):
    app.connect("config-inited", _repository, priority=900)
    app.connect("env-updated", _collect)
    app.connect("html-page-context", _banner)
    app.connect("build-finished", _summary)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
