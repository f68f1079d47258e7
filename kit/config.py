"""Settings read from the environment in one place, with one clear message when something is missing or wrong.

Every service builds a small frozen dataclass from these helpers in its `create_server()`; nothing reads
`os.environ` elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the process stops with this message."""


ROOT = Path(__file__).resolve().parent.parent


def text(name: str, default: str | None = None) -> str:
    """The value of `name`, or `default`; a missing value without default stops the process."""
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ConfigError(f"setting {name} is required but not set")
        return default
    return value


def optional(name: str) -> str:
    """The value of `name`, or "" when it is not set: for settings whose absence turns something off."""
    return os.environ.get(name) or ""


def integer(name: str, default: int) -> int:
    raw = text(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"setting {name} must be a whole number, got {raw!r}") from None


def number(name: str, default: float) -> float:
    raw = text(name, str(default))
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"setting {name} must be a number, got {raw!r}") from None


def choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = text(name, default)
    if value not in allowed:
        raise ConfigError(f"setting {name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def flag(name: str, default: bool) -> bool:
    """A switch written `1` (on) or `0` (off)."""
    return choice(name, "1" if default else "0", ("0", "1")) == "1"


def words(name: str, default: str = "") -> tuple[str, ...]:
    """A comma-separated list."""
    return tuple(w.strip() for w in text(name, default or ",").split(",") if w.strip())


def var_dir() -> Path:
    """Where embedded databases, uploaded files and local state live (default `var/` in the checkout)."""
    path = Path(text("ZHITONG_VAR_DIR", str(ROOT / "var")))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url(service: str) -> str:
    """`<SERVICE>_DATABASE_URL`, or the embedded SQLite file `var/<service>.db`."""
    return text(f"{service.upper()}_DATABASE_URL", f"sqlite:///{var_dir() / (service + '.db')}")


def data_file(name: str, env: str) -> Path:
    """A data file given by path in `env`, else the copy shipped in `data/`."""
    path = Path(text(env, str(ROOT / "data" / name)))
    if not path.is_file():
        raise ConfigError(f"{env}: file {path} does not exist")
    return path


# Where each service listens; one table so that servers and clients agree.
DEFAULT_PORTS = {
    "workflow": (50051, 9101),
    "intake": (50052, 9102),
    "consult": (50053, 9103),
    "rating": (50054, 9104),
    "alerts": (50055, 9105),
    "gateway": (8080, 9100),
}


def grpc_address(service: str) -> str:
    """`<SERVICE>_GRPC_ADDR`: where clients reach the service, as a gRPC target (`host:port`, or
    `dns:///host:port` for a name with one address per replica)."""
    return text(f"{service.upper()}_GRPC_ADDR", f"127.0.0.1:{DEFAULT_PORTS[service][0]}")


def grpc_port(service: str) -> int:
    """The port a service's gRPC server binds, taken from its address setting (the port after the last colon)."""
    return int(grpc_address(service).rsplit(":", 1)[1])


def bind_host() -> str:
    """The interface servers listen on: loopback unless `ZHITONG_BIND_HOST` says otherwise (0.0.0.0 in
    containers, where network policies decide who may connect)."""
    return text("ZHITONG_BIND_HOST", "127.0.0.1")


def trust_proxy() -> bool:
    """`ZHITONG_TRUST_PROXY=1`: the gateway runs behind a reverse proxy, so `X-Forwarded-Proto`,
    `X-Forwarded-Host` and `X-Forwarded-For` say how the public reached it. Off by default, since anyone could
    send those headers to a gateway that is reached directly."""
    return flag("ZHITONG_TRUST_PROXY", False)


def service_token() -> str:
    """`ZHITONG_SERVICE_TOKEN`: the shared secret every internal gRPC call carries; empty disables the check."""
    return text("ZHITONG_SERVICE_TOKEN", "-").strip("-")


# Processes that are not gRPC servers but serve /metrics too.
METRICS_ONLY_PORTS = {
    "workflow-relay": 9111,
    "intake-relay": 9112,
    "consult-relay": 9113,
    "rating-relay": 9114,
    "alerts-worker": 9115,
    "rating-worker": 9116,
}


def metrics_processes() -> tuple[str, ...]:
    """Every process of the suite that serves `/metrics`."""
    return tuple(DEFAULT_PORTS) + tuple(METRICS_ONLY_PORTS)


def metrics_port(process: str) -> int:
    """`<PROCESS>_METRICS_PORT` (e.g. WORKFLOW_RELAY_METRICS_PORT): where the process serves `/metrics`."""
    default = DEFAULT_PORTS[process][1] if process in DEFAULT_PORTS else METRICS_ONLY_PORTS[process]
    return integer(f"{process.upper().replace('-', '_')}_METRICS_PORT", default)
