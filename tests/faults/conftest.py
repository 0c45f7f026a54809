"""The fault suite runs its own stack ("faults"): short RPC timeouts, and processes it may
kill, stop and restart without disturbing the main test stack."""
import pytest

from tests.conftest import Api


@pytest.fixture(scope="session")
def fstack():
    from tools.stack import Stack
    from tools.seed_demo import demo_staff
    from nameko.standalone.rpc import ClusterRpcProxy
    s = Stack("faults", extra_env={"RPC_TIMEOUT_SECONDS": "3"})
    s.ensure_infra()
    s.reset_data()
    try:
        s.start()
        with ClusterRpcProxy({"AMQP_URI": s.env()["AMQP_URI"]}, timeout=60) as rpc:
            rpc.identity.ensure_staff(demo_staff("demo12345"))
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="session")
def fapi(fstack):
    return Api(fstack.url)
