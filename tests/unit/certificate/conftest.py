import pytest

from services.certificate import policy as policy_mod
from .factories import MONDAY


@pytest.fixture(scope="session")
def policies():
    return policy_mod.load_policies()


@pytest.fixture
def policy(policies):
    return policy_mod.policy_for(policies, "500113", MONDAY.date())
