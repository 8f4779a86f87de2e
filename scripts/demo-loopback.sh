#!/usr/bin/env bash
# The loopback demo, on the embedded SQLite store: builds leasehold, starts leasehold-server on
# loopback with a generated config, and walks three peers through real request_ip
# exchanges: grants, a renewal, a refused hint, a stranger refused, a restart that keeps
# every lease. No WireGuard needed; the main demo on real tunnels is scripts/demo.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build -DLEASEHOLD_TESTS=OFF -DLEASEHOLD_BENCH=OFF >/dev/null

server=build/apps/leasehold-server/leasehold-server
request=build/apps/leasehold-request/leasehold-request
work="$(mktemp -d /tmp/leasehold-demo-XXXXXX)"
port=$((20000 + RANDOM % 20000))
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

key() { head -c 32 /dev/urandom | base64; }
k1=$(key); k2=$(key); k3=$(key)
cat >"$work/leasehold.json" <<JSON
// Demo configuration: three peers known by their source addresses on loopback.
{ "Leasehold": {
    "request-ip": { "listen": ["127.0.0.1:$port"], "require-source-port": 0 },
    "valid-lifetime": 3600, "min-valid-lifetime": 60, "max-valid-lifetime": 86400,
    "hold-reclaimed-time": 0,
    "subnet4": [ { "id": 1, "subnet": "10.47.0.0/16", "pools": [ { "pool": "10.47.0.0/17" } ] } ],
    "subnet6": [ { "id": 1, "subnet": "fd00:47::/64", "pools": [ { "pool": "fd00:47::/64" } ] } ],
    "reservations": [ { "public-key": "$k3", "ip-address": "10.47.200.1" } ],
    "peers": [ { "public-key": "$k1", "source": "127.1.0.1" },
               { "public-key": "$k2", "source": "127.1.0.2" },
               { "public-key": "$k3", "source": "127.1.0.3" } ],
    "lease-database": { "type": "sqlite", "name": "$work/leases.db" } } }
JSON

start_server() {
  local before
  before=$(grep -c "leasehold-server ready" "$work/server.log" 2>/dev/null || true)
  "$server" --config "$work/leasehold.json" 2>>"$work/server.log" &
  pid=$!
  for _ in $(seq 200); do
    (( $(grep -c "leasehold-server ready" "$work/server.log" 2>/dev/null || true) > ${before:-0} )) && return 0
    sleep 0.05
  done
  echo "server did not start:"; cat "$work/server.log"; exit 1
}
ask() {  # ask TITLE SOURCE [leasehold-request options]
  local title="$1" source="$2"; shift 2
  echo "== $title (peer at $source)"
  "$request" --server "127.0.0.1:$port" --source "$source" "$@" | sed 's/^/   /' || true
}
field() { sed -n "s/^$1=//p"; }

echo "leasehold demo: server on 127.0.0.1:$port, store $work/leases.db"
"$server" --check-config --config "$work/leasehold.json"
start_server

ask "peer 1 asks for a lease" 127.1.0.1
ask "peer 2 asks for a lease" 127.1.0.2
ask "peer 3 has a reservation" 127.1.0.3
lease1=$("$request" --server "127.0.0.1:$port" --source 127.1.0.1)
v4=$(field ipv4 <<<"$lease1"); v6=$(field ipv6 <<<"$lease1")
ask "peer 1 renews with its addresses as hints and a 2-hour lease time" 127.1.0.1 --ipv4 "$v4" --ipv6 "$v6" --leasetime 7200
ask "peer 2 hints peer 1's address: not granted, a random one instead" 127.1.0.2 --ipv4 "$v4"
echo "== a stranger (127.1.0.99) is refused"
"$request" --server "127.0.0.1:$port" --source 127.1.0.99 2>&1 | sed 's/^/   /' || true

echo "== the change log in SQLite: every change, in order, durable before its answer"
sqlite3 -header -column "$work/leases.db" \
  "SELECT seq, CASE kind WHEN 0 THEN 'grant' WHEN 1 THEN 'renew' WHEN 2 THEN 'release' WHEN 3 THEN 'expire' ELSE 'remove' END AS change,
          hex(address) AS address, valid_lifetime FROM change_log ORDER BY seq" | sed 's/^/   /'

echo "== stop the server (SIGTERM): the log is folded into the lease tables"
kill -TERM "$pid"; wait "$pid" || true; pid=""
sqlite3 -header -column "$work/leases.db" \
  "SELECT (address>>24)||'.'||((address>>16)&255)||'.'||((address>>8)&255)||'.'||(address&255) AS ipv4,
          subnet_id, cltt, valid_lifetime, state FROM lease4 ORDER BY address" | sed 's/^/   /'

echo "== start it again: leases come back from the store"
start_server
ask "peer 1 renews after the restart" 127.1.0.1 --ipv4 "$v4" --ipv6 "$v6"
echo "== server log"
sed 's/^/   /' "$work/server.log"
echo "demo finished"
