"""SMS providers behind one small interface, chosen by `ALERTS_SMS_PROVIDER`: `log` (keeps the message in the SMS
log and prints it), `http` (a generic JSON webhook for a city's own SMS gateway), `aliyun` and `tencent` (the
clouds' official SDKs, imported only when chosen). A provider raises `SendError` and the caller retries."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Protocol

import requests

from kit import config
from kit.logs import mask_phone

log = logging.getLogger("alerts.sms")


class SendError(Exception):
    """The provider did not take the message; `reason` is kept in the SMS log."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Outgoing:
    phone: str
    text: str
    template_code: str
    params: dict[str, str]


class SmsProvider(Protocol):
    name: str

    def send(self, message: Outgoing) -> str:
        """Hand the message to the gateway; returns the gateway's message id."""
        ...


class LogProvider:
    """Keeps the message in the SMS log and prints it (default for `make run`): nothing leaves the machine."""

    name = "log"

    def send(self, message: Outgoing) -> str:
        log.info("SMS to %s: %s", mask_phone(message.phone), message.text)
        return f"log-{uuid.uuid4().hex[:12]}"


class HttpProvider:
    """POSTs `{phone, text, template_code, params, sign_name}` as JSON to the city's own SMS gateway; a 2xx answer
    with `id` (or `message_id`) is a success, anything else (timeouts too) a failure to retry."""

    name = "http"

    def __init__(self, url: str, token: str = "", sign_name: str = "", timeout: float = 5.0):
        self.url, self.token, self.sign_name, self.timeout = url, token, sign_name, timeout
        self.session = requests.Session()

    def send(self, message: Outgoing) -> str:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = {
            "phone": message.phone,
            "text": message.text,
            "template_code": message.template_code,
            "params": message.params,
            "sign_name": self.sign_name,
        }
        try:
            response = self.session.post(self.url, json=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise SendError(f"SMS gateway unreachable: {type(exc).__name__}") from None
        if not 200 <= response.status_code < 300:
            raise SendError(f"SMS gateway answered HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        return str(answer.get("id") or answer.get("message_id") or f"http-{uuid.uuid4().hex[:12]}")


class AliyunProvider:
    """Alibaba Cloud SMS (dysmsapi 2017-05-25)."""

    name = "aliyun"

    def __init__(
        self, access_key_id: str, access_key_secret: str, sign_name: str, endpoint: str = "dysmsapi.aliyuncs.com"
    ):
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi import models as openapi

        self.sign_name = sign_name
        self.client = Client(
            openapi.Config(access_key_id=access_key_id, access_key_secret=access_key_secret, endpoint=endpoint)
        )

    def build_request(self, message: Outgoing):
        from alibabacloud_dysmsapi20170525 import models

        if not message.template_code:
            raise SendError("aliyun: the template has no provider template code")
        return models.SendSmsRequest(
            phone_numbers=message.phone,
            sign_name=self.sign_name,
            template_code=message.template_code,
            template_param=json.dumps(message.params, ensure_ascii=False),
        )

    def send(self, message: Outgoing) -> str:
        try:
            response = self.client.send_sms(self.build_request(message))
        except SendError:
            raise
        except Exception as exc:  # the SDK raises its own TeaException and network errors
            raise SendError(f"aliyun: {type(exc).__name__}: {str(exc)[:200]}") from None
        if response.body.code != "OK":
            raise SendError(f"aliyun: {response.body.code} {response.body.message}")
        return response.body.biz_id


class TencentProvider:
    """Tencent Cloud SMS (sms 2021-01-11). Template parameters are sent in the template's order."""

    name = "tencent"

    def __init__(self, secret_id: str, secret_key: str, sdk_app_id: str, sign_name: str, region: str = "ap-guangzhou"):
        from tencentcloud.common import credential
        from tencentcloud.sms.v20210111 import sms_client

        self.sdk_app_id, self.sign_name = sdk_app_id, sign_name
        self.client = sms_client.SmsClient(credential.Credential(secret_id, secret_key), region)

    def build_request(self, message: Outgoing):
        from tencentcloud.sms.v20210111 import models

        if not message.template_code:
            raise SendError("tencent: the template has no provider template code")
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [message.phone if message.phone.startswith("+") else f"+86{message.phone}"]
        request.SmsSdkAppId = self.sdk_app_id
        request.SignName = self.sign_name
        request.TemplateId = message.template_code
        request.TemplateParamSet = [str(v) for v in message.params.values()]
        return request

    def send(self, message: Outgoing) -> str:
        try:
            response = self.client.SendSms(self.build_request(message))
        except SendError:
            raise
        except Exception as exc:  # TencentCloudSDKException and network errors
            raise SendError(f"tencent: {type(exc).__name__}: {str(exc)[:200]}") from None
        status = response.SendStatusSet[0]
        if status.Code != "Ok":
            raise SendError(f"tencent: {status.Code} {status.Message}")
        return status.SerialNo


def create_provider() -> SmsProvider:
    """The provider named by `ALERTS_SMS_PROVIDER`, configured from its settings."""
    name = config.choice("ALERTS_SMS_PROVIDER", "log", ("log", "http", "aliyun", "tencent"))
    sign = config.text("ALERTS_SMS_SIGN_NAME", "直通审批")
    if name == "http":
        return HttpProvider(
            config.text("ALERTS_SMS_HTTP_URL"),
            config.text("ALERTS_SMS_HTTP_TOKEN", "-").strip("-"),
            sign,
            config.number("ALERTS_SMS_HTTP_TIMEOUT", 5.0),
        )
    if name == "aliyun":
        return AliyunProvider(
            config.text("ALERTS_ALIYUN_ACCESS_KEY_ID"), config.text("ALERTS_ALIYUN_ACCESS_KEY_SECRET"), sign
        )
    if name == "tencent":
        return TencentProvider(
            config.text("ALERTS_TENCENT_SECRET_ID"),
            config.text("ALERTS_TENCENT_SECRET_KEY"),
            config.text("ALERTS_TENCENT_SDK_APP_ID"),
            sign,
            config.text("ALERTS_TENCENT_REGION", "ap-guangzhou"),
        )
    return LogProvider()
