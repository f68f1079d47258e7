"""Event consumption for nameko services (imported only by nameko processes; never import grpc here).

`reliable_event_handler` is nameko's `event_handler` with what the suite needs on top: its queue dead-letters to
the exchange `zhitong.dead-letter` (queue `zhitong.dead-letter`, kept for inspection); a handler is retried a few
times with backoff inside the worker, and a message that still fails is rejected to the dead-letter queue and
counted. Handlers must be idempotent (the outbox relay delivers at least once)."""

from __future__ import annotations

import functools
import logging
import time

from kombu import Connection, Exchange, Queue
from nameko.events import EventHandler
from prometheus_client import Counter

log = logging.getLogger("kit.consumer")

DEAD_LETTER_EXCHANGE = "zhitong.dead-letter"
DEAD_LETTER_QUEUE = "zhitong.dead-letter"
DEAD_LETTERS = Counter("zhitong_consumer_dead_letters_total", "Messages sent to the dead-letter queue", ["queue"])
RETRIES = Counter("zhitong_consumer_retries_total", "Handler attempts that failed and were retried", ["queue"])


class ReliableEventHandler(EventHandler):
    def setup(self):
        super().setup()
        self.queue.queue_arguments = {"x-dead-letter-exchange": DEAD_LETTER_EXCHANGE}
        with Connection(self.container.config["AMQP_URI"]) as connection:
            exchange = Exchange(DEAD_LETTER_EXCHANGE, type="fanout", durable=True)
            Queue(DEAD_LETTER_QUEUE, exchange=exchange, durable=True)(connection.default_channel).declare()

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        DEAD_LETTERS.labels(self.queue.name).inc()
        log.error("handler of %s failed for good; message sent to %s", self.queue.name, DEAD_LETTER_QUEUE)
        if message.channel.connection:
            message.reject(requeue=False)


reliable_event_handler = ReliableEventHandler.decorator


def retried(attempts: int = 3, first_delay: float = 0.2, permanent: tuple[type[BaseException], ...] = ()):
    """Run a handler up to `attempts` times with exponential backoff; `permanent` errors are not retried."""

    def decorate(handler):
        @functools.wraps(handler)
        def wrapper(*args, **kwargs):
            delay = first_delay
            for attempt in range(1, attempts + 1):
                try:
                    return handler(*args, **kwargs)
                except permanent:
                    raise
                except Exception:
                    if attempt == attempts:
                        raise
                    RETRIES.labels(handler.__name__).inc()
                    log.warning(
                        "%s failed (attempt %s of %s); retrying", handler.__name__, attempt, attempts, exc_info=True
                    )
                    time.sleep(delay)  # back off before the next attempt (eventlet yields here)
                    delay *= 2

        return wrapper

    return decorate


def run_worker(service_class, process: str, max_workers: int = 10) -> None:
    """The body of a nameko worker's `main()`: JSON logs, `/metrics`, the service, and a clean stop on SIGTERM.
    The worker module has applied eventlet's monkey patch before importing this module."""
    import signal

    import eventlet.event
    from nameko.runners import ServiceRunner

    from kit import config, logs, metrics

    logs.setup(process)
    runner = ServiceRunner(
        {
            "AMQP_URI": config.text("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"),
            "max_workers": max_workers,
            "serializer": "json",
        }
    )
    runner.add_service(service_class)
    stop = eventlet.event.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.ready() or stop.send(True))
    metrics.serve_metrics(config.metrics_port(process))
    runner.start()
    stop.wait()
    runner.stop()
