"""Training settings: a frozen record that model files carry."""

import dataclasses
import pickle

import pytest

from classifier.config import Config


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Config().trees = 5


def test_a_config_pickled_under_its_old_module_still_loads():
    # model files saved before config.py existed name their Config "classifier.model.Config"
    data = pickle.dumps(Config(trees=7), protocol=0)
    assert b"classifier.config\n" in data
    old = data.replace(b"classifier.config\n", b"classifier.model\n")
    assert pickle.loads(old) == Config(trees=7)

