"""The fault suite runs its own stack ("faults"): short RPC timeouts, and processes it may
kill, stop and restart without disturbing the main test stack."""
import pytest

from tests.conftest import Api, running_stack


@pytest.fixture(scope="session")
def fstack():
    yield from running_stack("faults", extra_env={"RPC_TIMEOUT_SECONDS": "3"})


@pytest.fixture(scope="session")
def fapi(fstack):
    return Api(fstack.url)
