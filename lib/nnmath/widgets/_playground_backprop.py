"""The backprop view of the MLP playground: for one weight, the numbers of the last update
(upstream gradient, local derivative, the step) next to the chapter's equations, and the
readout under the figure. A mixin of :class:`~nnmath.widgets.playground.MLPPlayground`.
"""

from __future__ import annotations

import html

import numpy as np

from . import _problems as problems
from ._base import _error_html
from ._playground_parts import (
    _DERIVATIVES,
)


class BackpropMixin:
    """The readout and the backprop view of the playground."""

    def readout_text(self) -> str:
        """Epoch, losses and scores of the state on screen, as one line of text."""
        r = self.result
        if not r:
            return ""
        what = "accuracy" if r["task"] == "classification" else "R\u00b2"
        loss = "cross-entropy" if r["task"] == "classification" else "squared error"
        text = f"epoch {r['epochs']} of network {r['sizes']}: "
        if r["epochs"]:
            text += f"{loss} train {r['train_loss']:.3g}, test {r['test_loss']:.3g}; "
        return text + f"{what} train {r['train_acc']:.2f}, test {r['test_acc']:.2f}"

    def _show_readout(self):
        if hasattr(self, "readout"):
            self.readout.value = f"<b>{html.escape(self.readout_text())}</b>"

    # -- the backprop view ---------------------------------------------------------------------
    def _draw_backprop(self, s, c, k):
        j = self.values["backprop_from"]
        if not j:
            self.backprop.value = ""
            return
        try:
            self.backprop.value = self._backprop_html(s, c, k, j - 1)
        except Exception as exc:  # the view never breaks the demo
            self.backprop.value = _error_html(exc)

    def _backprop_html(self, s, c, k, j):
        run, model = s["run"], s["model"]
        L = len(model.layer_sizes) - 1
        if c == 0:
            return ("<i>Backprop view: select a hidden unit or the output under <b>show "
                    "neuron</b>; its incoming weights are shown.</i>")
        l = c  # weight layer l goes into column c
        if l == L:
            k = 1 if model.task == "classification" else 0
        fan_in = model.layer_sizes[l - 1]
        if j >= fan_in:
            return (f"<i>Backprop view: layer {l - 1 if l > 1 else 'input'} has {fan_in} "
                    f"unit(s); choose a unit from 1 to {fan_in}.</i>")
        snap = run["snapshots"][s["epochs"]]
        src = (problems.FEATURES[run["features"][j]][0] if l == 1 else f"unit {j + 1} of layer "
               f"{l - 1}")
        dst = ("the output (logit z\u2081 of class 1)" if l == L and model.task ==
               "classification" else "the output" if l == L else f"unit {k + 1} of layer {l}")
        w_now = model.params[f"W{l}"][j, k]
        rows = [f"<b>Backprop view</b>: the weight \\(w = (W_{{{l}}})_{{{j + 1},{k + 1}}}\\) "
                f"from {html.escape(src)} to {html.escape(dst)}; now \\(w = {w_now:.4g}\\)."]
        last = snap["last"]
        if last is None:
            rows.append("No update yet: train a step (Step or Play).")
        else:
            g = last["grads"][f"W{l}"][j, k]
            before = last["before"][f"W{l}"][j, k]
            step = w_now - before
            B = run["batch_size"] or run["data"][0].shape[0]
            lr = run["settings"]["lr"]
            rule = {"sgd": "\\(\\Delta w = -\\eta\\,\\partial\\mathcal L/\\partial w\\)",
                    "momentum": "momentum: \\(\\Delta w = -\\eta\\,v\\), "
                                "\\(v\\) a running sum of gradients",
                    "rmsprop": "RMSProp: the gradient divided by its running RMS",
                    "adam": "Adam: \\(-\\eta\\,\\hat m/(\\sqrt{\\hat v}+\\epsilon)\\)"}[
                run["settings"]["optimizer"]]
            rows.append(
                f"Last update (number {last['t']}, a batch of {min(B, run['data'][0].shape[0])} "
                f"points): gradient \\(\\partial\\mathcal L/\\partial w = (dW_{{{l}}})_{{{j + 1},"
                f"{k + 1}}} = (A_{{{l - 1}}}^\\top dZ_{{{l}}})_{{{j + 1},{k + 1}}}"
                f"{' + ' + chr(92) + 'text{penalty}' if model.l1 or model.l2 else ''}"
                f" = {g:.4g}\\); step \\(\\Delta w = {step:.4g}\\) with \\(\\eta = {lr:g}\\) "
                f"({rule}).")
        # one training point, at the weights on screen: the chain rule's factors
        Xtr, ytr = run["data"][0][:1], run["data"][1][:1]
        _, cache = model.forward(Xtr, return_cache=True)
        _, grads = model.loss_and_grads(Xtr, ytr, training=False)
        delta = grads[f"b{l}"][k]  # for one point db_l = dZ_l (equation mlp-db)
        a = (cache[f"A{l - 1}"] if l > 1 else Xtr)[0, j]
        pen = model.l2 * w_now + model.l1 * np.sign(w_now)
        line = (f"For the first training point \\(x^{{(1)}}\\) alone (\\(n = 1\\)), at the "
                f"weights on screen: upstream gradient \\((dZ_{{{l}}})_{{1,{k + 1}}} = {delta:.4g}"
                f"\\), local derivative \\(\\partial z_{{{k + 1}}}/\\partial w = "
                f"(A_{{{l - 1}}})_{{1,{j + 1}}} = {a:.4g}\\), product \\({a * delta:.4g}\\)")
        if pen:
            line += f", plus the penalty's \\({pen:.4g}\\)"
        gw = grads[f"W{l}"][j, k]
        line += f"; the gradient \\((dW_{{{l}}})_{{{j + 1},{k + 1}}} = {gw:.4g}\\)."
        rows.append(line)
        if l < L and not model.batch_norm:
            dA = float(model.params[f"W{l + 1}"][k] @ grads[f"b{l + 1}"])
            z, act = cache[f"Z{l}"][0, k], cache[f"A{l}"][0, k]
            fprime = _DERIVATIVES[model.activation](z, act)
            rows.append(f"That upstream gradient is \\(dZ_{{{l}}} = dA_{{{l}}} \\odot "
                        f"f'(Z_{{{l}}})\\): \\((dA_{{{l}}})_{{1,{k + 1}}} = (dZ_{{{l + 1}}} "
                        f"W_{{{l + 1}}}^\\top)_{{1,{k + 1}}} = {dA:.4g}\\) times "
                        f"\\(f'(z) = {fprime:.4g}\\) at \\(z = {z:.4g}\\).")
        return "<br>".join(rows)

    # -- the HTML twin ---------------------------------------------------------------------
