"""classifier.modelio: model files are written atomically and checked before use.

The older format tests (other format / scikit-learn version, truncated and garbage files, wrong
payloads) are in test_model.py; these cover the sha256 records, the remaining damaged-file
cases, interrupted writes and the optional skops format.
"""

import hashlib
import pickle
import shutil
import sys

import joblib
import numpy as np
import pytest
import sklearn

from classifier import modelio
from classifier.model import LineClassifier
from classifier.modelio import (FORMAT_VERSION, SKOPS_TYPES, ModelError, file_sha256, load_bundled, load_model,
                                read_model_file, save_model, write_sha256)

PAGE = ["Home", "Ferry crews wait out the flood", "",
        "The river rose overnight and the ferry crews waited at the quay until the water fell.", "Share"]


def _payload(model, **changes):
    payload = {"format_version": FORMAT_VERSION, "sklearn_version": sklearn.__version__, "model": model}
    payload.update(changes)
    return payload


@pytest.fixture
def fake_bundled(tmp_path, trained_model_file, monkeypatch):
    """A models/ folder holding the session model as default.joblib with its sha256 recorded,
    made the bundled one."""
    folder = tmp_path / "models"
    folder.mkdir()
    path = folder / "default.joblib"
    shutil.copy(trained_model_file, path)
    write_sha256(path)
    monkeypatch.setattr(modelio, "bundled_file", lambda where, name: folder / name if where == "models" else None)
    return path


# ----- the bundled model's sha256 ------------------------------------------------------------------

def test_the_bundled_model_matches_its_recorded_sha256():
    path = modelio.bundled_model_path()
    record = path.with_name(path.name + ".sha256").read_text(encoding="utf-8")
    assert record == f"{file_sha256(path)}  default.joblib\n"


def test_load_bundled_loads_a_model_whose_sha256_matches(fake_bundled):
    assert isinstance(load_bundled(), LineClassifier)


def test_load_bundled_refuses_a_changed_model_file(fake_bundled):
    data = bytearray(fake_bundled.read_bytes())
    data[-10] ^= 0xFF
    fake_bundled.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match its recorded sha256"):
        load_bundled()


def test_load_bundled_checks_the_sha256_before_unpickling(fake_bundled, monkeypatch):
    fake_bundled.write_bytes(fake_bundled.read_bytes() + b"\0")
    monkeypatch.setattr(joblib, "load", lambda *a, **k: pytest.fail("unpickled a file that failed its check"))
    with pytest.raises(ModelError, match="sha256"):
        load_bundled()


def test_load_bundled_refuses_a_model_without_a_recorded_sha256(fake_bundled):
    fake_bundled.with_name("default.joblib.sha256").unlink()
    with pytest.raises(ModelError, match="no readable recorded sha256"):
        load_bundled()


def test_write_sha256_writes_a_sha256sum_line(trained_model_file):
    record = write_sha256(trained_model_file)
    digest = hashlib.sha256(trained_model_file.read_bytes()).hexdigest()
    assert record.read_text(encoding="utf-8") == f"{digest}  {trained_model_file.name}\n"


# ----- loading other files ---------------------------------------------------------------------------

def test_load_model_checks_a_given_sha256(trained_model_file):
    assert isinstance(load_model(trained_model_file, sha256=file_sha256(trained_model_file).upper()), LineClassifier)
    with pytest.raises(ModelError, match="does not match its expected sha256"):
        load_model(trained_model_file, sha256="0" * 64)


@pytest.mark.parametrize("path", [None, 3])
def test_load_model_needs_an_explicit_path(path):
    with pytest.raises(TypeError, match="model path must be a str or path"):
        load_model(path)


def test_a_directory_is_not_a_model_file(tmp_path):
    with pytest.raises(ModelError, match="is a directory"):
        load_model(tmp_path)


def test_an_empty_file_is_not_a_model_file(tmp_path):
    (tmp_path / "empty.joblib").write_bytes(b"")
    with pytest.raises(ModelError, match="empty.joblib is empty"):
        load_model(tmp_path / "empty.joblib")


def test_a_corrupted_model_file_raises_model_error(trained_model_file, tmp_path):
    data = bytearray(trained_model_file.read_bytes())
    for k in range(len(data) // 3, len(data) // 3 + 64):
        data[k] ^= 0x5A
    path = tmp_path / "flipped.joblib"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="flipped.joblib is damaged"):
        load_model(path)


def test_a_text_file_is_not_a_model_file(tmp_path):
    path = tmp_path / "notes.joblib"
    path.write_text("model weights: see the wiki\n", encoding="utf-8")
    with pytest.raises(ModelError, match="notes.joblib"):
        load_model(path)


def test_an_untrained_classifier_raises_model_error(tmp_path):
    joblib.dump(_payload(LineClassifier()), tmp_path / "untrained.joblib")
    with pytest.raises(ModelError, match="never trained"):
        load_model(tmp_path / "untrained.joblib")


def test_a_classifier_with_broken_internals_fails_before_use(trained_model, tmp_path):
    broken = pickle.loads(pickle.dumps(trained_model))
    broken.line_model_ = "not an estimator"
    joblib.dump(_payload(broken), tmp_path / "broken.joblib")
    with pytest.raises(ModelError, match="fails on a test page"):
        load_model(tmp_path / "broken.joblib")


def test_a_model_with_other_labels_raises_model_error(trained_model, tmp_path):
    joblib.dump(_payload(trained_model, labels=["keep", "drop"]), tmp_path / "labels.joblib")
    with pytest.raises(ModelError, match="predicts labels"):
        load_model(tmp_path / "labels.joblib")


def test_a_model_without_a_sklearn_version_raises_model_error(trained_model, tmp_path):
    joblib.dump({"format_version": FORMAT_VERSION, "model": trained_model}, tmp_path / "nover.joblib")
    with pytest.raises(ModelError, match="made with scikit-learn None"):
        load_model(tmp_path / "nover.joblib")


# ----- atomic writes -----------------------------------------------------------------------------------

def test_an_interrupted_save_leaves_the_old_file_intact(trained_model, tmp_path, monkeypatch):
    path = tmp_path / "m.joblib"
    path.write_bytes(b"the previous model")

    def dump_half_then_stop(payload, fh, **kwargs):
        fh.write(b"half a model")
        raise KeyboardInterrupt

    monkeypatch.setattr(joblib, "dump", dump_half_then_stop)
    with pytest.raises(KeyboardInterrupt):
        save_model(trained_model, path)
    assert path.read_bytes() == b"the previous model"
    assert [p.name for p in tmp_path.iterdir()] == ["m.joblib"]


def test_a_failed_save_leaves_no_file_behind(trained_model, tmp_path, monkeypatch):
    monkeypatch.setattr(joblib, "dump", lambda *a, **k: (_ for _ in ()).throw(OSError(28, "No space left")))
    with pytest.raises(OSError):
        save_model(trained_model, tmp_path / "m.joblib")
    assert list(tmp_path.iterdir()) == []


def test_save_model_rejects_an_unknown_format(trained_model, tmp_path):
    with pytest.raises(ValueError, match="format must be"):
        save_model(trained_model, tmp_path / "m.bin", format="pickle")


# ----- skops --------------------------------------------------------------------------------------------

class Stranger:
    """A type no model file of ours holds."""


def test_a_file_named_skops_is_never_unpickled(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "shared.skops"
    path.write_bytes(pickle.dumps(_Opens(str(marker))))
    with pytest.raises(ModelError, match="named .skops but is not a skops file"):
        load_model(path)
    assert not marker.exists()


class _Opens:
    """Unpickling this creates a file: stands for code a malicious pickle would run."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_reading_skops_without_skops_installed_names_the_extra(trained_model_file, tmp_path, monkeypatch):
    path = tmp_path / "m.skops"
    path.write_bytes(b"PK\x03\x04 rest of a zip file")
    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)
    with pytest.raises(ModelError, match=r"linesift\[skops\]"):
        load_model(path)


@pytest.fixture(scope="module")
def skops_file(trained_model, tmp_path_factory):
    pytest.importorskip("skops")
    return save_model(trained_model, tmp_path_factory.mktemp("skops") / "small.skops", provenance="tests")


def test_a_skops_file_gives_the_same_probabilities(skops_file, trained_model):
    loaded = load_model(skops_file)
    np.testing.assert_array_equal(loaded.predict_proba(PAGE), trained_model.predict_proba(PAGE))
    assert loaded.metadata_["provenance"] == "tests"
    assert loaded.metadata_["format_version"] == FORMAT_VERSION


def test_a_skops_file_holds_only_allowed_types(skops_file):
    import skops.io as sio

    assert set(sio.get_untrusted_types(file=skops_file)) <= set(SKOPS_TYPES)


def test_a_skops_file_with_another_type_is_refused(trained_model, tmp_path):
    sio = pytest.importorskip("skops.io")
    path = tmp_path / "odd.skops"
    sio.dump(_payload(trained_model, extra=Stranger()), path)
    with pytest.raises(ModelError, match=r"holds types this package does not load: .*Stranger"):
        load_model(path)


def test_a_truncated_skops_file_raises_model_error(skops_file, tmp_path):
    path = tmp_path / "cut.skops"
    path.write_bytes(skops_file.read_bytes()[:4096])
    with pytest.raises(ModelError, match="cut.skops is damaged"):
        load_model(path)


def test_a_skops_file_of_another_format_version_raises_model_error(trained_model, tmp_path):
    sio = pytest.importorskip("skops.io")
    path = tmp_path / "old.skops"
    sio.dump(_payload(trained_model, format_version=FORMAT_VERSION + 1), path)
    with pytest.raises(ModelError, match=rf"model format {FORMAT_VERSION + 1}"):
        read_model_file(path)
