"""The REST API over real HTTP, on SQLite and on PostgreSQL: contacts (with
idempotency keys), the agent flow, supervisor actions, live configuration,
errors as clean 4xx, operations endpoints."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.conftest import Server


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def new_contact(
    client: httpx.Client, queue: str = "voice", channel: str = "voice", **kw: Any
) -> Any:
    return ok(client.post("/api/contacts", json={"channel": channel, "queue": queue, **kw}), 201)


def test_contacts_wait_in_order_and_idempotent_creation(server: Server) -> None:
    root = server.client("root")
    first = new_contact(root, customer="+33611111111")
    second = new_contact(root, customer="+33622222222")
    assert first["state"] == "waiting"
    assert first["history"][0]["event"] == "ContactQueued"
    assert first["history"][0]["by"] == "root"

    body = {"channel": "chat", "queue": "chat", "customer": "web-42"}
    headers = {"Idempotency-Key": "order-42"}
    made = ok(root.post("/api/contacts", json=body, headers=headers), 201)
    again = root.post("/api/contacts", json=body, headers=headers)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == made["id"]
    other = root.post("/api/contacts", json={**body, "customer": "x"}, headers=headers)
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]

    line = ok(root.get("/api/queues/voice/waiting"))
    assert [c["id"] for c in line] == [first["id"], second["id"]]
    assert [c["position"] for c in line] == [1, 2]
    assert ok(root.get(f"/api/contacts/{first['id']}"))["customer"] == "+33611111111"


@pytest.mark.slow
def test_agent_flow_from_login_to_wrap_up_records_who_did_what(server: Server) -> None:
    root, agent = server.client("root"), server.client("p01")
    contact = new_contact(root)
    ok(agent.post("/api/agents/p01/login", json={"ready": True}))
    me = ok(agent.get("/api/agents/p01"))
    assert me["offered"] == [contact["id"]] and me["activity"] == "reserved"

    cid = contact["id"]
    accepted = ok(agent.post(f"/api/agents/p01/offers/{cid}/accept"))
    assert accepted["events"][0]["event"] == "OfferAccepted"
    ok(agent.post(f"/api/agents/p01/contacts/{cid}/complete"))
    done = ok(
        agent.post(
            f"/api/agents/p01/contacts/{cid}/wrap-up", json={"code": "billing", "resolved": True}
        )
    )
    assert done["events"][0]["event"] == "WrapUpFinished"
    record = ok(agent.get(f"/api/contacts/{cid}"))
    assert record["state"] == "ended" and record["end_reason"] == "completed"
    assert record["wrap_up_code"] == "billing" and record["resolved"] is True
    kinds = [h["event"] for h in record["history"]]
    assert kinds == [
        "ContactQueued",
        "ContactOffered",
        "OfferAccepted",
        "ContactCompleted",
        "WrapUpFinished",
    ]
    # not-ready with a reason, then an agent may not act as another agent
    ok(agent.post("/api/agents/p01/not-ready", json={"reason": "lunch"}))
    assert ok(agent.get("/api/agents/p01"))["reason"] == "lunch"
    other = agent.post("/api/agents/p02/ready")
    assert other.status_code == 403 and "themselves" in other.json()["detail"]


@pytest.mark.slow
def test_reject_and_transfer(server: Server) -> None:
    root, sup = server.client("root"), server.client("sup")
    c = new_contact(root)["id"]
    ok(sup.post("/api/agents/p01/login", json={"ready": True}))
    rejected = ok(sup.post(f"/api/agents/p01/offers/{c}/reject"))
    assert rejected["events"][0]["event"] == "OfferDeclined"
    ok(sup.post("/api/agents/p02/login", json={"ready": True}))
    assert ok(root.get(f"/api/contacts/{c}"))["agent"] == "p02"
    ok(sup.post(f"/api/agents/p02/offers/{c}/accept"))
    moved = ok(sup.post(f"/api/agents/p02/contacts/{c}/transfer", json={"to_queue": "voice"}))
    assert moved["events"][0]["event"] == "ContactTransferred"
    assert moved["events"][0]["by"] == "sup"
    bad = sup.post(f"/api/agents/p02/contacts/{c}/transfer", json={})
    assert bad.status_code == 422


@pytest.mark.slow
def test_supervisor_actions(server: Server) -> None:
    root, sup = server.client("root"), server.client("sup")
    a, b = new_contact(root)["id"], new_contact(root)["id"]
    raised = ok(sup.post(f"/api/supervisor/contacts/{b}/priority", json={"priority": 5}))
    assert raised["events"][0]["by"] == "sup"
    assert [c["id"] for c in ok(root.get("/api/queues/voice/waiting"))] == [b, a]

    moved = ok(
        sup.post("/api/supervisor/agents/p08/move", json={"capacity": {"voice": 1}, "site": "lyon"})
    )
    assert moved["agent"]["site"] == "lyon" and moved["agent"]["capacity"]["voice"] == 1
    assert moved["events"][0]["event"] == "AgentConfigured" and moved["events"][0]["by"] == "sup"
    # skills: a level set, a skill taken away, the others kept
    before = ok(root.get("/api/agents/p01"))["skills"]
    assert before == {"billing": 3, "support": 2}
    moved = ok(
        sup.post("/api/supervisor/agents/p01/move", json={"skills": {"billing": 8, "support": 0}})
    )
    assert moved["agent"]["skills"] == {"billing": 8}
    assert (
        sup.post("/api/supervisor/agents/p01/move", json={"skills": {"nope": 3}}).status_code == 404
    )
    assert (
        sup.post("/api/supervisor/agents/p01/move", json={"skills": {"billing": 11}}).status_code
        == 422
    )

    ok(sup.post("/api/supervisor/queues/chat/standby", json={"standby": True}))
    assert ok(root.get("/api/queues/chat"))["standby"] is True
    ok(sup.post("/api/supervisor/channels/email/standby", json={"standby": True}))
    assert "email" in ok(root.get("/api/queues/email"))["channel_standby"]

    ok(sup.post("/api/agents/p01/login"))
    out = ok(sup.post("/api/supervisor/agents/p01/logout"))
    assert out["events"][0]["event"] == "AgentLoggedOut" and out["events"][0]["by"] == "sup"
    ok(sup.post(f"/api/contacts/{a}/cancel"))
    assert ok(root.get(f"/api/contacts/{a}"))["end_reason"] == "cancelled"


@pytest.mark.slow
def test_scoped_supervisors_see_and_act_only_on_their_part(server: Server) -> None:
    acme, paris = server.client("acme-sup"), server.client("paris-sup")
    assert {a["outsourcer"] for a in ok(acme.get("/api/agents"))} == {"acme"}
    assert [q["id"] for q in ok(acme.get("/api/queues"))] == ["email"]
    assert acme.post("/api/supervisor/agents/p01/logout").status_code == 403
    assert (
        acme.post("/api/supervisor/queues/voice/standby", json={"standby": True}).status_code == 403
    )
    assert (
        paris.post("/api/supervisor/channels/voice/standby", json={"standby": True}).status_code
        == 403
    )
    assert {a["site"] for a in ok(paris.get("/api/agents"))} == {"paris"}
    # moving one of their agents out of their scope is refused
    moved = paris.post("/api/supervisor/agents/p02/move", json={"site": "lyon"})
    assert moved.status_code == 403
    scoped_config = ok(acme.get("/api/config"))
    assert [q["id"] for q in scoped_config["queues"]] == ["email"]


@pytest.mark.slow
def test_errors_are_clean_4xx_naming_the_problem(server: Server) -> None:
    root = server.client("root")
    missing = root.post("/api/contacts", json={"channel": "voice", "queue": "nope"})
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]
    wrong = root.post("/api/contacts", json={"channel": "fax", "queue": "voice"})
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["loc"][-1] == "channel"
    refused = root.post("/api/contacts", json={"channel": "chat", "queue": "voice"})
    assert refused.status_code == 409 and "does not take" in refused.json()["detail"]
    assert root.get("/api/contacts/c-unknown").status_code == 404
    assert root.get("/api/agents/zz").status_code == 404
    assert root.post("/api/agents/p01/logout").status_code == 409  # not logged in
    c = new_contact(root)["id"]
    conflict = root.post(f"/api/agents/p01/offers/{c}/accept")
    assert conflict.status_code == 409 and "not with agent p01" in conflict.json()["detail"]
    bad_priority = root.post(f"/api/supervisor/contacts/{c}/priority", json={"priority": 10**9})
    assert bad_priority.status_code == 422
    assert bad_priority.json()["detail"][0]["loc"][-1] == "priority"


def test_configuration_changes_apply_live(server: Server) -> None:
    root = server.client("root")
    config = ok(root.get("/api/config"))
    assert [q["id"] for q in config["queues"]] == ["voice", "voice@lyon", "chat", "email"]
    queue = {"id": "sms", "channels": ["sms"], "sl_seconds": 300}
    applied = ok(root.put("/api/queues/sms", json=queue))
    assert applied["commands"] == 1
    assert ok(root.get("/api/queues/sms"))["sl_seconds"] == 300
    new_contact(root, queue="sms", channel="sms")

    agent = {"id": "p01", "site": "paris", "skills": {"billing": 9}, "capacity": {"sms": 5}}
    ok(root.put("/api/agents/p01", json=agent))
    assert ok(root.get("/api/agents/p01"))["skills"] == {"billing": 9}
    agent_events = [
        h for h in server.services.runner.engine.agents["p01"].spec.skills if h[0] == "billing"
    ]
    assert agent_events == [("billing", 9)]

    config = ok(root.get("/api/config"))
    config["agents"][0]["site"] = "mars"
    bad = root.put("/api/config", json=config)
    assert bad.status_code == 422
    assert bad.json()["detail"] == [{"loc": ["agents", 0, "site"], "msg": "unknown site 'mars'"}]
    unchanged = ok(root.put("/api/config", json=ok(root.get("/api/config"))))
    assert unchanged["commands"] == 0
    assert server.client("sup").put("/api/config", json=config).status_code == 403


def test_ops_endpoints(server: Server) -> None:
    anon = server.client()
    health = ok(anon.get("/healthz"))
    assert health["status"] == "ok" and health["seq"] > 0
    new_contact(server.client("root"))
    text = anon.get("/metrics").text
    assert 'joignable_waiting_contacts{queue="voice"} 1.0' in text
    assert "joignable_events_total" in text
    assert anon.get("/api/queues").status_code == 401
    assert anon.get("/docs").status_code == 200
    assert "/api/contacts" in ok(anon.get("/openapi.json"))["paths"]


def test_pages_use_a_session_cookie_with_csrf(server: Server) -> None:
    with httpx.Client(base_url=server.url, follow_redirects=False) as browser:
        home = browser.get("/")
        assert home.status_code == 303 and home.headers["location"] == "/login?next=/"
        page = browser.get("/login")
        assert page.status_code == 200 and "Sign in" in page.text
        csrf = browser.cookies["joignable_csrf"]
        form = {"username": "sup", "password": "wrong", "csrf_token": csrf, "next": "/"}
        assert browser.post("/login", data=form).status_code == 401
        csrf = browser.cookies["joignable_csrf"]
        no_csrf = browser.post("/login", data={**form, "password": "x", "csrf_token": "forged"})
        assert no_csrf.status_code == 400
        csrf = browser.cookies["joignable_csrf"]
        from tests.integration.conftest import PASSWORD

        signed = browser.post("/login", data={**form, "password": PASSWORD, "csrf_token": csrf})
        assert signed.status_code == 303 and signed.headers["location"] == "/"
        set_cookie = ",".join(signed.headers.get_list("set-cookie"))
        assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie
        assert browser.get("/api/auth/me").json()["name"] == "sup"
        # an unsafe request with the cookie but without the CSRF token is refused
        body = {"standby": True}
        refused = browser.post("/api/supervisor/queues/chat/standby", json=body)
        assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
        token = browser.cookies["joignable_csrf"]
        done = browser.post(
            "/api/supervisor/queues/chat/standby", json=body, headers={"X-CSRF-Token": token}
        )
        assert done.status_code == 200, done.text
        out = browser.post("/logout", data={"csrf_token": token})
        assert out.status_code == 303
        assert browser.get("/api/auth/me").status_code == 401


def test_a_config_that_drops_queues_or_agents_needs_remove_true(server: Server) -> None:
    root = server.client("root")
    config = ok(root.get("/api/config"))
    agent = config["agents"].pop()["id"]
    queue = next(q for q in config["queues"] if q["id"] == "email")
    config["queues"].remove(queue)
    for q in config["queues"]:  # nothing else may point to the dropped queue
        assert q.get("overflow", {}) in ({}, None) or "email" not in str(q["overflow"])
    refused = root.put("/api/config", json=config)
    assert refused.status_code == 409, refused.text
    detail = refused.json()["detail"]
    assert detail["would_remove"] == {"queues": ["email"], "agents": [agent]}
    engine = server.services.runner.engine
    assert "email" in engine.queues and agent in engine.agents  # nothing removed
    assert any(a["id"] == agent for a in ok(root.get("/api/config"))["agents"])

    applied = ok(root.put("/api/config", params={"remove": "true"}, json=config))
    assert applied["removed"] == sorted(["email", agent])
    assert "email" not in engine.queues and agent not in engine.agents
