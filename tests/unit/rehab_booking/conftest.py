import pytest

from .factories import make_institution, make_policy


@pytest.fixture
def policy():
    return make_policy()


@pytest.fixture
def institution():
    return make_institution()
