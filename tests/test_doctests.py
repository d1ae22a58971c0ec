"""Every ``>>>`` example in the package's docstrings runs."""

import doctest
import importlib
import pkgutil

import pytest

import trainability

MODULES = sorted(m.name for m in pkgutil.walk_packages(trainability.__path__, "trainability."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
