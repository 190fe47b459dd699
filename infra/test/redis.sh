# Sourced by test.sh: installs redis-server from Debian when missing, starts it on a free
# loopback port with a temporary data folder (no persistence), exports
# RTFM_TEST_REDIS=127.0.0.1:PORT for the tests, and stops it again with rtfm_redis_stop.
rtfm_redis_start() {
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "test.sh: installing redis-server from Debian"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >/dev/null
  fi
  RTFM_REDIS_DIR=$(mktemp -d)
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$RTFM_REDIS_DIR" \
    --daemonize no --logfile "$RTFM_REDIS_DIR/redis.log" &
  RTFM_REDIS_PID=$!
  for _ in $(seq 1 50); do
    if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
      export RTFM_TEST_REDIS="127.0.0.1:$port"
      echo "test.sh: redis-server on $RTFM_TEST_REDIS"
      return 0
    fi
    sleep 0.1
  done
  echo "test.sh: redis-server did not answer on port $port; its log:" >&2
  cat "$RTFM_REDIS_DIR/redis.log" >&2 || true
  return 1
}

rtfm_redis_stop() {
  if [ -n "${RTFM_REDIS_PID:-}" ]; then
    kill "$RTFM_REDIS_PID" 2>/dev/null || true
    wait "$RTFM_REDIS_PID" 2>/dev/null || true
  fi
  if [ -n "${RTFM_REDIS_DIR:-}" ]; then rm -rf "$RTFM_REDIS_DIR"; fi
}
