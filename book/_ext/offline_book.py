"""Sphinx extension: keep the HTML book self-contained and its console clean.

Jupyter Book 1 always loads sphinx-thebe, even with ``launch_buttons.thebe: false``. Its inline
script is registered twice (a redeclared ``const``, an error in every page's console) and it
names a CDN URL. The book runs no live code in the browser, so this extension drops sphinx-thebe's
scripts from every page.
"""


def _drop_thebe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    context["script_files"] = [
        s for s in scripts
        if "sphinx-thebe" not in str(s) and "THEBE_JS_URL" not in str(getattr(s, "attributes", {}))
    ]


def setup(app):
    app.connect("html-page-context", _drop_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
