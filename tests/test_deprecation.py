"""deprecation.py: an old keyword still works, says its new name, and cannot be mixed with it."""

import inspect

import pytest

from segtarget.deprecation import renamed_keywords
from segtarget.errors import SegtargetError


@renamed_keywords(seed="random_state", clusters="groups")
def _fit(x, *, random_state=0, groups=None):
    """doc"""
    return x, random_state, groups


def test_old_keywords_are_passed_on_with_a_warning():
    assert _fit(1, random_state=3, groups="g") == (1, 3, "g")
    with pytest.warns(DeprecationWarning, match=r"_fit\(seed=...\) is deprecated; use random_state="):
        assert _fit(1, seed=3) == (1, 3, None)
    with pytest.warns(DeprecationWarning, match="use groups="):
        assert _fit(1, clusters="g") == (1, 0, "g")


def test_old_and_new_name_together_is_an_error():
    with pytest.raises(SegtargetError, match=r"_fit: pass random_state= only \(seed= is its old name\)"):
        _fit(1, seed=1, random_state=2)


def test_the_signature_and_docstring_are_the_new_ones():
    assert list(inspect.signature(_fit).parameters) == ["x", "random_state", "groups"]
    assert _fit.__doc__ == "doc"
