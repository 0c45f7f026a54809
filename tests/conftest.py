# eventlet must patch before anything else imports socket/threading (nameko's test trap)
import warnings
warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
import eventlet  # noqa: E402
eventlet.monkey_patch()  # noqa: E402

import datetime as dt  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402
import requests  # noqa: E402

from services.common import idnumber  # noqa: E402


class Api:
    """A thin HTTP client for the gateway: ``api.post("/me/wards", json=..., token=...)``."""

    def __init__(self, base_url):
        self.base = base_url.rstrip("/") + "/api/v1"
        self.root = base_url.rstrip("/")
        self.session = requests.Session()
        self.logins = {}  # access token -> WeChat login name, for relogin()

    def request(self, method, path, token=None, headers=None, **kw):
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        kw.setdefault("timeout", 30)
        return self.session.request(method, self.base + path, headers=h, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    # journeys every test needs -----------------------------------------------------------------
    def citizen(self, name=None):
        """A logged-in WeChat user with no identity yet: returns the token response."""
        name = name or "u" + uuid.uuid4().hex[:10]
        r = self.post("/auth/wechat-login", json={"code": "dev:%s#%s" % (name, uuid.uuid4().hex[:6])})
        assert r.status_code == 200, r.text
        self.logins[r.json()["access_token"]] = name
        return r.json()

    def relogin(self, token):
        """The same WeChat user logs in again: a fresh token on the current clock (after a test
        moved the clock, earlier tokens have expired, as they would have in real time)."""
        fresh = self.citizen(self.logins[token])["access_token"]
        self.logins[fresh] = self.logins[token]
        return fresh

    def bound_citizen(self, person_name="测试人", id_number=None, **extra):
        """A citizen with a bound identity; returns (token, me)."""
        tokens = self.citizen()
        r = self.post("/me/identity", token=tokens["access_token"],
                      json=dict({"name": person_name, "id_number": id_number or random_id()},
                                **extra))
        assert r.status_code == 200, r.text
        body = r.json()
        self.logins[body["tokens"]["access_token"]] = self.logins[tokens["access_token"]]
        return body["tokens"]["access_token"], body

    def staff(self, role, region="500113"):
        r = self.post("/auth/staff-login", json={"username": "%s.%s" % (role, region),
                                                  "password": "demo12345"})
        assert r.status_code == 200, r.text
        return r.json()["access_token"]


def random_id(region="500113", birth=None):
    """A valid 18-character ID number (GB 11643 check character) that no other test uses.
    Without ``birth`` an adult born 1975–1994 (ages every adult rule accepts) on a random day:
    3 random digits alone collide within one run (hundreds of citizens per region)."""
    if birth is None:
        day = dt.date(1975, 1, 1) + dt.timedelta(days=uuid.uuid4().int % (20 * 365))
        birth = day.strftime("%Y%m%d")
    seq = "%03d" % (uuid.uuid4().int % 1000)
    return idnumber.make(region + birth + seq)


def wait_for(check, seconds=20, every=0.3):
    """Poll ``check`` until it returns something truthy or ``seconds`` pass; its last value."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    return check()


TEST_STACK_ENV = {"RATE_LIMITS": '{"login": {"limit": 100000}, "identity": {"limit": 100000}}',
                  "RPC_TIMEOUT_SECONDS": "30", "DASHBOARD_CACHE_SECONDS": "0", "SWEEP_SECONDS": "2"}


def running_stack(name, **options):
    """A whole stack (RabbitMQ, FerretDB, stand-in, services, gateway) under ``name``: its own
    vhost, databases, ports and logs, reset at the start, demo staff seeded, stopped after."""
    from nameko.standalone.rpc import ClusterRpcProxy
    from tools.seed_demo import demo_staff
    from tools.stack import Stack
    # every test logs in from 127.0.0.1 (the login and binding limits would trip), and
    # functional tests on 2 busy cores must not be cut off at the 8 s production limit
    extra_env = dict(TEST_STACK_ENV, **options.pop("extra_env", {}))
    s = Stack(name, extra_env=extra_env, **options)
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
def stack():
    """The suite running for real under the stack name "test" (or TEST_STACK_NAME)."""
    yield from running_stack(os.environ.get("TEST_STACK_NAME", "test"))


@pytest.fixture(scope="session")
def api(stack):
    return Api(stack.url)


@pytest.fixture(scope="session")
def standin(stack):
    return stack.standin_url


@pytest.fixture(scope="session")
def amqp_config(stack):
    return {"AMQP_URI": stack.env()["AMQP_URI"]}
