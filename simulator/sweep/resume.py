"""Whether a job's folder holds the complete, unaltered outputs of the job's own config.

A finished run writes, after its results and summary, a record ``done.json``: the
sha256 of the config (as stored in the files' ``config_yaml``) and of every output file
(:func:`write_record`).  A folder is complete (:func:`is_complete`) when the record is
there, names exactly the outputs the config asks for, every file still has its recorded
sha256, and the results file opens with the job's config and patient count.  So a job
killed between ``results.nc`` and ``summary.nc`` (no record), a file altered afterwards
(another checksum) or a record from another config all rerun.  Any change of a value,
seed or cohort reruns the job.  The code version is not compared: after changing the
model, use a new sweep folder.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..results import open_results
from ..results.dataset import config_yaml
from ..results.io import write_bytes

#: the record of a finished run, written last
DONE_FILE = "done.json"
RECORD_VERSION = 1


def output_names(cfg: dict) -> list[str]:
    """File names a run of the validated config ``cfg`` writes into its folder."""
    output = cfg["output"]
    names = [output["filename"]] if output["per_patient"] else []
    n = int(cfg["cohort"]["n_patients"])
    if not cfg["grid"] and (n > 1 or not output["per_patient"]):
        names.append(output["summary_filename"])
    if cfg.get("plan") is not None:
        names.append(cfg["plan"]["filename"])
    return names


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _config_sha256(cfg: dict) -> str:
    return hashlib.sha256(config_yaml(cfg).encode()).hexdigest()


def write_record(folder: str | Path, cfg: dict) -> Path:
    """Write ``done.json`` for the outputs of ``cfg`` in ``folder`` (after writing them)."""
    folder = Path(folder)
    record = {"version": RECORD_VERSION, "config_sha256": _config_sha256(cfg),
              "files": {name: sha256_file(folder / name) for name in output_names(cfg)}}
    return write_bytes((json.dumps(record, indent=1, sort_keys=True) + "\n").encode(),
                       folder / DONE_FILE)


def is_complete(folder: str | Path, cfg: dict) -> bool:
    """True when ``folder`` holds the complete, unaltered outputs of the validated ``cfg``."""
    folder = Path(folder)
    try:
        record = json.loads((folder / DONE_FILE).read_text())
        names = output_names(cfg)
        if (not isinstance(record, dict) or record.get("version") != RECORD_VERSION
                or record.get("config_sha256") != _config_sha256(cfg)
                or not isinstance(record.get("files"), dict)
                or sorted(record["files"]) != sorted(names)):
            return False
        if any(sha256_file(folder / name) != record["files"][name] for name in names):
            return False
        with open_results(folder / names[0]) as ds:
            return (ds.attrs.get("config_yaml") == config_yaml(cfg)
                    and (not cfg["output"]["per_patient"]
                         or ds.sizes.get("patient") == int(cfg["cohort"]["n_patients"])))
    except (OSError, ValueError, KeyError, IndexError):
        return False
