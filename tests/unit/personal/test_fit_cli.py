"""prrt-sim-fit: a bad file exits 2 with one line before any compute; a run writes the
Datasets and the figure."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulator.config import config_dir
from simulator.personal import cli
from simulator.results import open_results

EXAMPLE = Path(__file__).resolve().parents[3] / "experiments" / "personal" / \
    "example_synthetic" / "patient.yaml"


def test_bad_file_exits_2_with_one_line(tmp_path, capsys):
    data = yaml.safe_load(EXAMPLE.read_text())
    data["lesions"][1]["volume_ml"] = -6.0
    for name in ("activities.csv", "doses.csv", "volumes.csv"):
        (tmp_path / name).write_text((EXAMPLE.parent / name).read_text())
    path = tmp_path / "patient.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(SystemExit) as info:
        cli.main([str(path), "--out", str(tmp_path / "out")])
    assert info.value.code == cli.EXIT_INPUT_ERROR
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["prrt-sim-fit: Invalid patient file: patient.yaml lesions row 2: volume_ml "
                   "= -6.0; cannot be negative; allowed range is 0 < volume_ml <= 5000 mL."]
    assert not (tmp_path / "out").exists()


@pytest.mark.slow   # a small fit of the example patient (~1 min on 2 busy cores)
def test_fit_writes_datasets_and_figure(tmp_path, capsys):
    settings = yaml.safe_load((config_dir() / "personal.yaml").read_text())
    settings["sampler"].update(n_twins=200, pilot_twins=100, laplace_starts=1, min_ess=5)
    (tmp_path / "settings.yaml").write_text(yaml.safe_dump(settings))
    out = tmp_path / "out"
    cli.main([str(EXAMPLE), "--settings", str(tmp_path / "settings.yaml"), "--out", str(out),
              "--planned-activity-gbq", "5.55", "9.25"])
    printed = capsys.readouterr().out
    assert "kidney BED over the course" in printed
    post, pred = open_results(out / "posterior.nc"), open_results(out / "prediction.nc")
    assert post.sizes["twin"] == 200 and abs(float(post.weight.sum()) - 1.0) < 1e-9
    assert pred.sizes["lesion"] == 2 and (out / "prediction.png").stat().st_size > 10_000
    alt = open_results(out / "alternatives.nc")
    kidney = alt.kidney_bed_planned_gy.sel(quantile=0.5).values
    assert kidney[1] > kidney[0]     # 9.25 GBq cycles give the kidneys more than 5.55 GBq


@pytest.mark.slow   # a small fit in a kernel (~1-2 min)
def test_notebook_runs(tmp_path, monkeypatch):
    import nbclient
    import nbformat

    root = Path(__file__).resolve().parents[3]
    nb = nbformat.read(root / "experiments" / "notebooks" / "personal_prediction.ipynb",
                       as_version=4)
    monkeypatch.setenv("PYTHONPATH", str(root))
    work = root / "experiments" / "notebooks"
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(work)}}).execute()
    assert "kidney BED over the course" in nb.cells[1].outputs[0]["text"]
    (work / "personal_prediction.png").unlink(missing_ok=True)
