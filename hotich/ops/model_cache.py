"""Train the Rasa model only when its inputs changed.

The model file is named after a SHA-256 of everything that shapes it: config.yml, domain.yml,
the training data under nlu_data/, the custom NLU components and the text normaliser they use,
and the Rasa version. Same inputs → same file → no retraining.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
from pathlib import Path

from hotich.config import ROOT

RASA_VENV = Path(os.environ.get("RASA_VENV", ROOT / ".venv-rasa"))
MODELS_DIR = Path(os.environ.get("MODELS_DIR", ROOT / "models"))
MODEL_INPUTS = ("config.yml", "domain.yml", "nlu_data", "rasa_components", "hotich/text/normalize.py", "hotich/text/shape.py",
                "hotich/procedures.py")


def rasa_bin() -> Path:
    return RASA_VENV / "bin" / "rasa"


def rasa_python() -> Path:
    return RASA_VENV / "bin" / "python"


def _files(root: Path) -> list[Path]:
    out: list[Path] = []
    for name in MODEL_INPUTS:
        p = root / name
        if p.is_dir():
            out += [f for f in p.rglob("*") if f.is_file() and "__pycache__" not in f.parts]
        elif p.is_file():
            out.append(p)
    return sorted(out)


def inputs_hash(root: Path = ROOT) -> str:
    h = hashlib.sha256()
    h.update(b"rasa==3.6.21\n")
    for f in _files(root):
        h.update(str(f.relative_to(root)).encode() + b"\0")
        h.update(f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def model_path(root: Path = ROOT) -> Path:
    return MODELS_DIR / f"hotich-{inputs_hash(root)}.tar.gz"


def ensure_model(root: Path = ROOT, quiet: bool = False) -> Path:
    """Return the trained model for the current inputs, training it first if needed."""
    target = model_path(root)
    if target.exists():
        if not quiet:
            print(f"[model] up to date: {target.name}", flush=True)
        return target
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    # Test processes and `make run` may ask at once: one trains, the others wait for its file.
    with open(MODELS_DIR / ".train.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():
            return target
        print(f"[model] inputs changed → training {target.name} (a few minutes on 2 cores)…", flush=True)
        tmp_name = f"tmp-{os.getpid()}-{target.name[: -len('.tar.gz')]}"
        cmd = [str(rasa_bin()), "train", "--config", "config.yml", "--domain", "domain.yml",
               "--data", "nlu_data", "--out", str(MODELS_DIR), "--fixed-model-name", tmp_name]
        subprocess.run(cmd, cwd=root, check=True, env={**os.environ, "PYTHONPATH": str(root)},
                       stdout=None if not quiet else subprocess.DEVNULL)
        produced = MODELS_DIR / f"{tmp_name}.tar.gz"
        if not produced.exists():
            raise RuntimeError(f"rasa train did not produce {produced}")
        produced.rename(target)   # atomic: a half-written model never carries the final name
        _prune(keep=target)
    return target


def _prune(keep: Path, how_many: int = 3) -> None:
    """Keep the newest few models (switching branches back and forth stays cheap), drop the rest."""
    models = sorted(MODELS_DIR.glob("hotich-*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in models[how_many:]:
        if old != keep:
            old.unlink(missing_ok=True)


if __name__ == "__main__":
    print(ensure_model())
    sys.exit(0)
