"""The fault suite runs its own stack ("faults") on its own RabbitMQ node and FerretDB
(``private_infra``: own ports, own data under .data/faults/infra), so it may kill, stop and
restart processes, the broker and the database without disturbing any other stack on the
machine (the main test stack, other engineers' runs, a developer's `make run`).

RPC timeout 5 s: short, but above the services' 3 s database server-selection timeout, as in
production (8 s), so a database outage is reported as 503 DATABASE_UNAVAILABLE, not a 504."""
import pytest

from tests.conftest import Api, running_stack


@pytest.fixture(scope="session")
def fstack():
    yield from running_stack("faults", extra_env={"RPC_TIMEOUT_SECONDS": "5"}, private_infra=True)


@pytest.fixture(scope="session")
def fapi(fstack):
    return Api(fstack.url)
