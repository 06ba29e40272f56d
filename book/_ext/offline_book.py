"""Sphinx extension: keep the HTML book self-contained, lean, and its console clean.

- Jupyter Book 1 always loads sphinx-thebe, even with ``launch_buttons.thebe: false``. Its inline
  script is registered twice (a redeclared ``const``: an error in every page's console) and it
  names a CDN URL. The book runs no live code in the browser, so its scripts are dropped.
- MyST-NB embeds the saved ipywidgets state of executed notebooks so that a CDN-loaded widget
  manager could redraw the widgets. The book loads no widget JavaScript (``nb_ipywidgets_js: {}``)
  and shows each demo's static twin instead, so that state is dead weight and is dropped too.
"""

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _keep(script) -> bool:
    attributes = getattr(script, "attributes", {}) or {}
    return ("sphinx-thebe" not in str(script)
            and "THEBE_JS_URL" not in str(attributes.get("body", ""))
            and attributes.get("type") != WIDGET_STATE)


def _clean_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if scripts:
        context["script_files"] = [s for s in scripts if _keep(s)]


def setup(app):
    app.connect("html-page-context", _clean_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
