"""Process entry of the gateway: `python -m services.gateway.server` runs the ASGI app with several workers."""

from __future__ import annotations

import uvicorn

from kit import config
from services.gateway import metrics as gateway_metrics


def main() -> None:
    # The metrics directory must exist before prometheus_client is imported by the workers.
    gateway_metrics.prepare_multiprocess_dir(config.var_dir() / "prometheus-gateway")
    gateway_metrics.serve_multiprocess(config.metrics_port("gateway"), config.bind_host())
    # X-Forwarded-Proto and X-Forwarded-For count only behind a reverse proxy (ZHITONG_TRUST_PROXY=1): from
    # FORWARDED_ALLOW_IPS when set, else from any peer, since then every request comes through the proxy.
    behind_proxy = config.trust_proxy()
    uvicorn.run(
        "services.gateway.app:create_app",
        factory=True,
        host=config.text("ZHITONG_GATEWAY_HOST", config.bind_host()),
        port=config.integer("ZHITONG_GATEWAY_PORT", 8080),
        workers=config.integer("ZHITONG_GATEWAY_WORKERS", 2),
        log_level=config.text("ZHITONG_LOG_LEVEL", "info").lower(),
        log_config=None,  # the workers log JSON through kit.logs
        access_log=False,
        timeout_graceful_shutdown=10,
        proxy_headers=behind_proxy,
        forwarded_allow_ips=config.text("FORWARDED_ALLOW_IPS", "*") if behind_proxy else None,
    )


if __name__ == "__main__":
    main()
