"""Model files: writing them atomically, and reading them back only after checks.

Two formats:

- joblib (``*.joblib``, the default and the bundled model's format) is a pickle: loading one
  runs code from the file, so load only files you trust. The bundled model's sha256 is recorded
  in ``models/default.joblib.sha256`` and checked before the file is unpickled.
- skops (``*.skops``, optional: ``pip install 'linesift[skops]'``), for sharing retrained
  models: loading rebuilds objects without running code from the file, and refuses any type
  outside an allow-list of this package's and scikit-learn's own types.

Both hold the same dict: format version, package / scikit-learn / Python versions, labels,
config and training metadata, and the LineClassifier under "model". Every failure to use a file
raises ModelError with one sentence naming the file.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import warnings
import zipfile
from dataclasses import asdict
from pathlib import Path

__all__ = ["ModelError", "FORMAT_VERSION", "save_model", "load_model", "read_model_file", "load_bundled",
           "bundled_model_path", "bundled_file", "file_sha256", "write_sha256", "SKOPS_TYPES"]

#: Bump when the saved dict or the estimator's attributes change incompatibly.
FORMAT_VERSION = 9  # 4: pass-1 line kinds (kind_coef_, kind_intercept_); 5: overlap_; 6:
# site_model_ (pass 2 with the site columns; older code would not know it); 7: 8 site columns
# instead of 5 (format-6 code would pass the site model too few); 8: overlap_copies_ (a line's
# copies no longer count in its overlap columns; older code would count them); 9: page_min_ (the
# page gate; older code would keep lines of pages it empties). The optional
# kind_first_ (word-only kinds) needs no new format: it only lets the kernel skip rows that are 0,
# so code that ignores it computes the same numbers.
#: Formats this package reads: formats 3-5 are models without site columns, 3 and 4 also
#: without the overlap columns, 3 also without line kinds; 6 reads 5 site columns; 3-7 count a
#: line's copies in its overlap columns; 3-8 have no page gate.
READABLE_FORMATS = (3, 4, 5, 6, 7, 8, 9)
BUNDLED = "default.joblib"
SKOPS_SUFFIX = ".skops"
#: Types a .skops model file may hold beyond the ones skops trusts by default (numpy, builtins,
#: scikit-learn estimators); anything else found in a file is refused before loading.
SKOPS_TYPES = (
    "classifier.model.LineClassifier",
    "classifier.config.Config",
    "classifier.model.Config",  # where Config lived in files saved before 2026-11-28's third rebuild
    "classifier.features.TextFeatures",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)
_ZIP_MAGIC = b"PK\x03\x04"
# A page every working model must score before load_model returns it.
_PROBE = ["Home", "The river rose overnight and the ferry crews waited at the quay.", ""]


class ModelError(ValueError):
    """A model file that cannot be used: missing, damaged, or made by an incompatible version."""


# ----- writing --------------------------------------------------------------------------------

def _atomic_write(path: Path, write) -> Path:
    """Call write(binary file) on a temp file beside `path`, fsync, then rename over `path`:
    an interrupted or failed write leaves the old file as it was and no temp file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a model file is ordinary data
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def save_model(model, path: str | os.PathLike, format: str | None = None, **metadata) -> Path:
    """Write the model and its metadata atomically (temp file in the same folder, then rename).

    ``format`` is "joblib" or "skops"; by default a path ending in .skops gets skops, any other
    joblib. Metadata keyword arguments are stored beside the model (``model.metadata_``).
    """
    import sklearn

    from . import __version__
    from .labels import LABELS

    path = Path(path)
    fmt = format or ("skops" if path.suffix == SKOPS_SUFFIX else "joblib")
    if fmt not in ("joblib", "skops"):
        raise ValueError(f"format must be 'joblib' or 'skops', got {format!r}")
    payload = {
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "sklearn_version": sklearn.__version__,
        "python_version": sys.version.split()[0],
        "labels": [str(lab) for lab in LABELS],
        "config": asdict(model.config),
        "random_state": model.config.random_state,
        **metadata,
        "model": model,
    }
    if fmt == "joblib":
        import joblib
        return _atomic_write(path, lambda fh: joblib.dump(payload, fh, compress=3))
    sio = _skops()
    data = sio.dumps(payload, compression=zipfile.ZIP_DEFLATED)
    return _atomic_write(path, lambda fh: fh.write(data))


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_sha256(path: str | os.PathLike) -> Path:
    """Record a model file's sha256 beside it as PATH.sha256 (`sha256sum -c` format)."""
    path = Path(path)
    line = f"{file_sha256(path)}  {path.name}\n".encode("utf-8")
    return _atomic_write(path.with_name(path.name + ".sha256"), lambda fh: fh.write(line))


# ----- reading --------------------------------------------------------------------------------

def _skops():
    try:
        import skops.io as sio
    except ImportError:
        raise ModelError("skops model files need the skops package: pip install 'linesift[skops]'") from None
    return sio


def _brief(exc: Exception) -> str:
    """An exception as one short line, for a ModelError message."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:80]}" if text else type(exc).__name__


def _read_joblib(path: Path) -> object:
    import joblib
    from sklearn.exceptions import InconsistentVersionWarning

    with warnings.catch_warnings():
        # the payload's own sklearn_version check below gives the one clear sentence
        warnings.simplefilter("ignore", InconsistentVersionWarning)
        try:
            return joblib.load(path)
        except Exception as exc:  # joblib/pickle raise many types for damaged files
            raise ModelError(f"model file {path} is damaged, not a model file, or made by incompatible "
                             f"versions ({_brief(exc)})") from None


def _read_skops(path: Path) -> object:
    sio = _skops()
    try:
        data = path.read_bytes()
        found = sio.get_untrusted_types(data=data)
    except Exception as exc:
        raise ModelError(f"model file {path} is damaged or not a skops file ({type(exc).__name__})") from None
    refused = sorted(set(found) - set(SKOPS_TYPES))
    if refused:
        raise ModelError(f"model file {path} holds types this package does not load: {', '.join(refused)}")
    try:
        return sio.loads(data, trusted=list(found))
    except Exception as exc:
        raise ModelError(f"model file {path} is damaged or made by incompatible versions ({_brief(exc)})") from None


def _check_payload(payload: object, path: Path) -> dict:
    import sklearn

    from .labels import LABELS
    from .model import LineClassifier

    if not isinstance(payload, dict) or "model" not in payload or "format_version" not in payload:
        raise ModelError(f"{path} is not a model file of this package")
    if payload["format_version"] not in READABLE_FORMATS:
        raise ModelError(f"{path} has model format {payload['format_version']}, this package reads "
                         f"formats {', '.join(map(str, READABLE_FORMATS))}: retrain it with this version")
    made_with = str(payload.get("sklearn_version"))
    if made_with.split(".")[:2] != sklearn.__version__.split(".")[:2]:
        raise ModelError(f"{path} was made with scikit-learn {made_with}, but "
                         f"{sklearn.__version__} is installed: install that version or retrain")
    if payload.get("labels", [str(lab) for lab in LABELS]) != [str(lab) for lab in LABELS]:
        raise ModelError(f"{path} predicts labels {payload.get('labels')}, not {[str(lab) for lab in LABELS]}")
    model = payload["model"]
    if not isinstance(model, LineClassifier):
        raise ModelError(f"{path} does not hold a LineClassifier")
    if not hasattr(model, "context_model_"):
        raise ModelError(f"{path} holds a LineClassifier that was never trained")
    try:
        probes = [model.predict_proba(_PROBE)]
        if getattr(model, "site_model_", None) is not None:  # two pages of one site reach it
            probes += model.predict_proba_pages([_PROBE, _PROBE[:1] + _PROBE], sites=["probe", "probe"])
        ok = all(p.shape == (len(_PROBE) + (k == 2),) and bool(((p >= 0) & (p <= 1)).all())
                 for k, p in enumerate(probes))
    except Exception as exc:
        raise ModelError(f"{path} holds a model that fails on a test page ({type(exc).__name__})") from None
    if not ok:
        raise ModelError(f"{path} holds a model that gives invalid probabilities on a test page")
    return payload


def read_model_file(path: str | os.PathLike, sha256: str | None = None) -> dict:
    """Load a model file's dict, checking it before anything uses the estimator.

    With ``sha256``, the file's digest must match before it is read. A joblib file is a
    pickle and reading it runs code from it: only load files you trust.
    """
    if path is None or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"model path must be a str or path, got {type(path).__name__}")
    path = Path(path)
    if path.is_dir():
        raise ModelError(f"model file {path} is a directory")
    if not path.is_file():
        raise ModelError(f"model file {path} does not exist")
    if path.stat().st_size == 0:
        raise ModelError(f"model file {path} is empty")
    if sha256 is not None and file_sha256(path) != sha256.strip().lower():
        raise ModelError(f"model file {path} does not match its expected sha256: it was changed or damaged")
    with open(path, "rb") as fh:
        is_zip = fh.read(4) == _ZIP_MAGIC
    if path.suffix == SKOPS_SUFFIX and not is_zip:  # never unpickle a file that claims to be safe
        raise ModelError(f"model file {path} is named .skops but is not a skops file")
    payload = _read_skops(path) if is_zip else _read_joblib(path)
    return _check_payload(payload, path)


def load_model(path: str | os.PathLike, sha256: str | None = None):
    """Load a trained LineClassifier from a model file (metadata in ``model.metadata_``).

    The path is required: nothing is loaded from a default place except by load_bundled().
    joblib files are pickles and loading one runs code from it: load only files you trust;
    pass ``sha256`` (hex) to have the file's digest checked before it is read. ``.skops``
    files load without running code from the file (needs the skops extra). Raises ModelError
    with one sentence for a missing, empty, damaged, wrong-type or incompatible file.
    """
    payload = read_model_file(path, sha256)
    model = payload["model"]
    model.metadata_ = {k: v for k, v in payload.items() if k != "model"}
    return model


# ----- the bundled model ----------------------------------------------------------------------

def bundled_file(folder: str, name: str) -> Path | None:
    """A file shipped with the package: `folder/name` beside classifier/ in the source tree, or
    classifier/`folder`/`name` in an installed package (see package-dir in pyproject.toml)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / folder / name, here / folder / name):
        if candidate.exists():
            return candidate
    return None


def bundled_model_path() -> Path:
    """models/default.joblib in the source tree, or the copy installed as classifier/models."""
    found = bundled_file("models", BUNDLED)
    if found is not None:
        return found
    raise ModelError(f"the bundled model models/{BUNDLED} is missing; train one with "
                     f"'python -m classifier train ... -o models/{BUNDLED} --force'")


def load_bundled():
    """Load the model shipped with the package, after checking its recorded sha256."""
    path = bundled_model_path()
    record = path.with_name(path.name + ".sha256")
    try:
        expected = record.read_text(encoding="utf-8").split()[0]
    except (OSError, IndexError, UnicodeDecodeError):
        raise ModelError(f"the bundled model {path} has no readable recorded sha256 ({record.name})") from None
    if file_sha256(path) != expected:
        raise ModelError(f"the bundled model {path} does not match its recorded sha256 in {record.name}: "
                         f"it was changed or damaged; reinstall linesift, or rebuild it with "
                         f"'linesift train ... -o models/{BUNDLED} --force'")
    return load_model(path)
