"""Process entry of the gateway: `python -m services.gateway.server` runs the ASGI app with several workers."""

from __future__ import annotations

import uvicorn

from kit import config


def main() -> None:
    uvicorn.run(
        "services.gateway.app:create_app",
        factory=True,
        host=config.text("ZHITONG_GATEWAY_HOST", config.bind_host()),
        port=config.integer("ZHITONG_GATEWAY_PORT", 8080),
        workers=config.integer("ZHITONG_GATEWAY_WORKERS", 2),
        log_level=config.text("ZHITONG_LOG_LEVEL", "info").lower(),
        access_log=False,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
