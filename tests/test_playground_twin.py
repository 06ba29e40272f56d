"""The HTML twin of the MLP playground: recorded runs, their size, and the live state kept."""

import json
import re

import nnmath as nm
from nnmath.widgets._playground_twin import runs_player_html


def test_twin_records_every_run_under_the_size_limit():
    d = nm.widgets.mlp_playground()
    d.reset()
    d.step()
    state = d.state
    html = d.static_twin()
    assert len(html.encode()) < 4.5e6  # the page stays under 5 MB with the rest of it
    flat_labels = json.loads(re.search(r"var labels = (.*);", html).group(1))
    flat_frames = json.loads(re.search(r"var frames = (.*);", html).group(1))
    spans = json.loads(re.search(r"var runs = (.*);", html).group(1))
    assert len(flat_labels) == len(flat_frames) == spans[-1][1] + 1
    assert len(spans) == len(d.twin_runs()) >= 9
    assert all(b - a >= 2 for a, b in spans)  # 3 frames or more per run
    assert all(u.startswith("data:image/webp;base64,") for u in flat_frames)
    labels = [flat_labels[a:b + 1] for a, b in spans]
    text = " ".join(flat_labels)
    assert "epoch 110" in text and "Training diverged" in text
    # the overfitting run: test loss above the training loss by the end
    over = next(lab for lab in labels if lab[0].startswith("overfitting"))[-1]
    train, test = map(float, re.search(r"train ([\d.e+-]+), test ([\d.e+-]+);", over).groups())
    assert test > 5 * train
    assert d.state is state and d.values["epochs"] == 1  # the live demo is as it was
    d.step()
    assert d.result["epochs"] == 2


def test_user_data_twin_is_one_run():
    X, y = nm.data.make_circles(80, noise=0.05, random_state=0)
    d = nm.widgets.mlp_playground(X, y)
    runs = d.twin_runs()
    assert len(runs) == 1 and runs[0][1][0][1]["dataset"] == "your data"


def test_player_html_needs_frames():
    import pytest
    with pytest.raises(ValueError, match="at least one run"):
        runs_player_html([])
    page = runs_player_html([("a <run>", [b"x"], ["first"])], title="t")
    assert "a &lt;run&gt;" in page and "<select" in page
