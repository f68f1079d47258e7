"""SMS providers: the http webhook against a local server that plays an SMS gateway, the retry policy, and the
cloud SDK requests as the providers build them."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.alerts.providers import AliyunProvider, HttpProvider, Outgoing, SendError, TencentProvider
from tests.alerts.conftest import item_event
from tests.alerts.test_alerts import SUPERVISOR

MESSAGE = Outgoing("13900000016", "【直通滞后】测试", "SMS_123456", {"project": "国庆项目", "deadline": "2026-10-13"})


class Gateway:
    """A local SMS gateway whose answers are scripted: 'ok', 'error' (HTTP 500) or 'slow' (no answer in time)."""

    def __init__(self, script):
        self.script = list(script)
        self.received = []
        self.released = threading.Event()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.received.append((body, self.headers.get("Authorization")))
                step = gateway.script.pop(0) if gateway.script else "ok"
                if step == "slow":
                    gateway.released.wait(5)
                    return
                status = 200 if step == "ok" else 500
                payload = json.dumps({"id": f"gw-{len(gateway.received)}"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.released.set()
        self.server.shutdown()


@pytest.fixture
def gateway_factory():
    made = []

    def make(*script):
        made.append(Gateway(script))
        return made[-1]

    yield make
    for g in made:
        g.close()


def test_http_provider_success_carries_the_message(gateway_factory):
    gw = gateway_factory("ok")
    provider_id = HttpProvider(gw.url, token="secret", sign_name="直通审批").send(MESSAGE)
    assert provider_id == "gw-1"
    body, auth = gw.received[0]
    assert body == {
        "phone": "13900000016",
        "text": "【直通滞后】测试",
        "template_code": "SMS_123456",
        "params": {"project": "国庆项目", "deadline": "2026-10-13"},
        "sign_name": "直通审批",
    }
    assert auth == "Bearer secret"


def test_http_provider_errors_and_timeouts_raise(gateway_factory):
    gw = gateway_factory("error", "slow")
    provider = HttpProvider(gw.url, timeout=0.5)
    with pytest.raises(SendError, match="HTTP 500"):
        provider.send(MESSAGE)
    with pytest.raises(SendError, match="unreachable"):
        provider.send(MESSAGE)


def test_a_failed_send_is_retried_then_sent(alerts, gateway_factory):
    gw = gateway_factory("error", "ok", "ok")
    alerts.provider = HttpProvider(gw.url)
    for message_id in alerts.handle(item_event("item.turned_red", "2026-10-14 09:00")):
        alerts.send(message_id)
    assert sorted(m.status for m in alerts.list_messages(SUPERVISOR)) == ["queued", "sent"]
    alerts.dispatch_due()  # the retry is due at once (retry_base_seconds=0 in tests)
    messages = alerts.list_messages(SUPERVISOR)
    assert {m.status for m in messages} == {"sent"}
    assert sorted(m.attempts for m in messages) == [1, 2]
    assert {m.provider_id for m in messages} == {"gw-2", "gw-3"}


def test_a_send_that_keeps_failing_ends_failed_with_its_reason(alerts, gateway_factory):
    gw = gateway_factory(*["error"] * 20)
    alerts.provider = HttpProvider(gw.url)
    for message_id in alerts.handle(item_event("item.warning_started", "2026-10-12 09:00")):
        alerts.send(message_id)
    for _ in range(alerts.policy.max_attempts):
        alerts.dispatch_due()
    (message,) = alerts.list_messages(SUPERVISOR)
    assert message.status == "failed" and message.attempts == alerts.policy.max_attempts
    assert "HTTP 500" in message.error


def test_aliyun_request():
    request = AliyunProvider("id", "secret", "直通审批").build_request(MESSAGE)
    assert request.phone_numbers == "13900000016"
    assert request.sign_name == "直通审批" and request.template_code == "SMS_123456"
    assert json.loads(request.template_param) == {"project": "国庆项目", "deadline": "2026-10-13"}
    with pytest.raises(SendError):
        AliyunProvider("id", "secret", "直通审批").build_request(Outgoing("139", "x", "", {}))


def test_tencent_request():
    request = TencentProvider("id", "key", "1400000000", "直通审批").build_request(MESSAGE)
    assert request.PhoneNumberSet == ["+8613900000016"]
    assert request.SmsSdkAppId == "1400000000" and request.SignName == "直通审批"
    assert request.TemplateId == "SMS_123456" and request.TemplateParamSet == ["国庆项目", "2026-10-13"]
