"""What a citizen sees on /me is cached by every identity process (services/common/cache.py):
with two processes serving, each change shows at once, whichever process answers next."""
from tests.conftest import random_id

READS = 12   # enough for both processes to answer several (each takes calls as it is free)


def shown(api, token):
    return [api.get("/me", token=token).json() for _ in range(READS)]


def test_each_change_shows_on_every_process_at_once(api, stack):
    try:
        assert stack.start_replica("identity"), "the second identity process is not consuming"
        token = api.citizen()["access_token"]
        assert all(not me["account"]["identity_bound"] for me in shown(api, token))  # cached

        r = api.post("/me/identity", token=token, json={"name": "王五", "id_number": random_id()})
        assert r.status_code == 200, r.text
        token = r.json()["tokens"]["access_token"]
        assert all(me["account"]["identity_bound"] and me["person"]["name"] == "王五"
                   for me in shown(api, token))

        r = api.post("/me/phone", token=token, json={"code": "dev-phone:13900139000"})
        assert r.status_code == 200, r.text
        assert all(me["account"]["phone_masked"] == "139****9000" for me in shown(api, token))

        r = api.post("/me/wards", token=token, json={"name": "王小五", "relationship": "parent",
                                                      "id_number": random_id(birth="20200101")})
        assert r.status_code == 201, r.text
        assert all([w["name"] for w in me["wards"]] == ["王小五"] for me in shown(api, token))
    finally:
        stack.stop_process("identity-1")
