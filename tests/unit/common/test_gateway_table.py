"""The route table and the OpenAPI document generated from it."""
from gateway.openapi import openapi_document
from gateway.routes import ALL_ROUTES
from gateway.routing import AUTH_LEVELS
from miniprogram_api.notifier import templates


def test_every_route_has_an_auth_rule_and_a_unique_endpoint():
    seen = set()
    for r in ALL_ROUTES:
        assert r.auth in AUTH_LEVELS
        assert r.endpoint not in seen, r.endpoint
        seen.add(r.endpoint)
        if r.path.startswith("/admin/"):
            assert r.auth == "staff", r.endpoint


def test_openapi_lists_every_route_with_its_body_schema():
    doc = openapi_document(ALL_ROUTES)
    ops = [(m.upper(), p) for p, item in doc["paths"].items() for m in item]
    assert len(ops) == len(ALL_ROUTES)
    bind = doc["paths"]["/api/v1/me/identity"]["post"]
    schema = bind["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["name", "id_number"]
    assert schema["properties"]["id_number"]["minLength"] == 18
    assert schema["additionalProperties"] is False
    assert bind["security"] == [{"bearer": []}]


def test_template_data_is_shaped_and_cut_for_wechat():
    data = templates.wechat_data("application_status", {"title": "残疾人证新办申请" * 3,
                                                        "status": "已受理", "time": "2026-11-23"})
    assert data["thing1"]["value"] == ("残疾人证新办申请" * 3)[:20]
    assert data["phrase2"] == {"value": "已受理"}
    assert data["thing4"] == {"value": "-"}
    assert [templates.backoff_seconds(n) for n in (1, 2, 3, 10)] == [30, 60, 120, 1800]
