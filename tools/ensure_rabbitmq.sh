#!/usr/bin/env bash
# Make sure a RabbitMQ answers on AMQP_URL (default 127.0.0.1:5672); start a local one when none does.
set -euo pipefail
url=${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2F}
hostport=${url#*@}; hostport=${hostport%%/*}
host=${hostport%%:*}; port=${hostport##*:}; [ "$port" = "$host" ] && port=5672
answers() { (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }
answers && exit 0
case "$host" in 127.0.0.1|localhost) ;; *) echo "RabbitMQ at $host:$port does not answer" >&2; exit 1;; esac
if ! command -v rabbitmq-server >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing RabbitMQ (Debian package rabbitmq-server)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
  else
    echo "RabbitMQ is not installed: sudo apt-get install rabbitmq-server" >&2; exit 1
  fi
fi
echo "starting RabbitMQ"
rabbitmq-server -detached
for _ in $(seq 1 60); do answers && { echo "RabbitMQ is up"; exit 0; }; rabbitmqctl -q await_startup --timeout 2 >/dev/null 2>&1 || true; done
echo "RabbitMQ did not come up on $host:$port" >&2; exit 1
