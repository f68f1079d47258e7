"""A small OpenID provider for tests, shaped like a Keycloak realm: discovery, a JWKS with one RSA key, an
authorization endpoint that logs in one configured user at once (or refuses, when told to) and redirects back
with a code, and a token endpoint that checks the client, the redirect address and the PKCE S256 challenge
before it answers with a signed access token. It runs http.server in a thread on a free port of 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

REALM = "/realms/zhitong"


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier (RFC 7636): base64url of its SHA-256, without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@dataclass
class Exchange:
    """A code the token endpoint took: who it was for and the verifier that matched its challenge."""

    client_id: str
    redirect_uri: str
    code_challenge: str
    code_verifier: str


@dataclass
class FakeIssuer:
    client_id: str = "zhitong-web"
    client_secret: str = ""
    # the claims of the user /authorize logs in (besides iss, aud, exp and the like)
    user: dict = field(
        default_factory=lambda: {"preferred_username": "li.ming", "zhitong_role": "officer", "name": "李明"}
    )
    # (error, error_description) that /authorize answers with instead of logging the user in
    refuse: tuple[str, str] | None = None
    jwks_up: bool = True
    exchanges: list[Exchange] = field(default_factory=list)

    def __post_init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "zhitong-test-key"
        self._codes: dict[str, dict] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.issuer = self.base + REALM

    def __enter__(self) -> FakeIssuer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        """Stops answering: connections to its port are refused from now on."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def env(self, **settings: str) -> dict[str, str]:
        """The gateway's settings for this issuer (more as ZHITONG_OIDC_<NAME>=value)."""
        values = {"ZHITONG_OIDC_ISSUER": self.issuer, "ZHITONG_OIDC_CLIENT_ID": self.client_id}
        if self.client_secret:
            values["ZHITONG_OIDC_CLIENT_SECRET"] = self.client_secret
        values.update({f"ZHITONG_OIDC_{k.upper()}": v for k, v in settings.items()})
        return values

    def token(
        self, claims: dict | None = None, *, lifetime: int = 300, key=None, kid: str | None = None, **overrides
    ) -> str:
        """An access token of the issuer: the configured user's claims (or `claims`), with `overrides` on top (a
        value None removes the claim); signed RS256 with the issuer's key unless `key`/`kid` say otherwise."""
        now = int(time.time())
        body = {
            "iss": self.issuer,
            "aud": [self.client_id, "account"],
            "azp": self.client_id,
            "sub": "f3c1a0de-0000-4000-8000-000000000001",
            "iat": now,
            "exp": now + lifetime,
            "typ": "Bearer",
            **(self.user if claims is None else claims),
            **overrides,
        }
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})

    def authorize_url(self, redirect_uri: str, challenge: str, state: str = "s") -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid profile",
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.issuer}/protocol/openid-connect/auth?{urllib.parse.urlencode(query)}"

    # ---- the endpoints ----

    def discovery(self) -> dict:
        endpoints = self.issuer + "/protocol/openid-connect"
        return {
            "issuer": self.issuer,
            "authorization_endpoint": endpoints + "/auth",
            "token_endpoint": endpoints + "/token",
            "jwks_uri": endpoints + "/certs",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def jwks(self) -> dict:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def authorize(self, query: dict) -> tuple[int, dict]:
        """(status, headers or error): a redirect back with a code (or an error), or 400 for a bad request."""
        need = {"response_type": "code", "client_id": self.client_id, "code_challenge_method": "S256"}
        for name, value in need.items():
            if query.get(name) != value:
                return 400, {"error": f"{name} must be {value}"}
        redirect, challenge, state = query.get("redirect_uri"), query.get("code_challenge", ""), query.get("state")
        if not redirect or len(challenge) != 43 or not state or "openid" not in query.get("scope", "").split():
            return 400, {"error": "redirect_uri, a S256 code_challenge, state and the openid scope are needed"}
        if self.refuse:
            back = {"error": self.refuse[0], "error_description": self.refuse[1], "state": state}
        else:
            code = secrets.token_urlsafe(24)
            self._codes[code] = {"redirect_uri": redirect, "challenge": challenge, "claims": dict(self.user)}
            back = {"code": code, "state": state}
        return 302, {"Location": f"{redirect}{'&' if '?' in redirect else '?'}{urllib.parse.urlencode(back)}"}

    def exchange(self, form: dict, authorization: str) -> tuple[int, dict]:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if authorization.startswith("Basic "):
            pair = base64.b64decode(authorization[6:]).decode()
            client_id, secret = (urllib.parse.unquote(p) for p in pair.split(":", 1))
        if client_id != self.client_id or secret != self.client_secret:
            return 401, {"error": "invalid_client", "error_description": "Invalid client credentials"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        grant = self._codes.pop(form.get("code", ""), None)
        if grant is None:
            return 400, {"error": "invalid_grant", "error_description": "Code not valid"}
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "Incorrect redirect_uri"}
        verifier = form.get("code_verifier", "")
        if s256(verifier) != grant["challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        self.exchanges.append(Exchange(client_id, grant["redirect_uri"], grant["challenge"], verifier))
        return 200, {"access_token": self.token(grant["claims"]), "token_type": "Bearer", "expires_in": 300}


def _handler(issuer: FakeIssuer) -> type[BaseHTTPRequestHandler]:
    endpoints = REALM + "/protocol/openid-connect"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _json(self, status: int, body: dict, headers: dict | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            if url.path == REALM + "/.well-known/openid-configuration":
                self._json(200, issuer.discovery())
            elif url.path == endpoints + "/certs":
                if issuer.jwks_up:
                    self._json(200, issuer.jwks())
                else:
                    self._json(503, {"error": "temporarily_unavailable"})
            elif url.path == endpoints + "/auth":
                status, answer = issuer.authorize(query)
                if status == 302:
                    self.send_response(302)
                    self.send_header("Location", answer["Location"])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    self._json(status, answer)
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self):
            if urllib.parse.urlsplit(self.path).path != endpoints + "/token":
                self._json(404, {"error": "not_found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            status, answer = issuer.exchange(form, self.headers.get("Authorization", ""))
            self._json(status, answer)

    return Handler
