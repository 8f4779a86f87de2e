#!/usr/bin/env bash
# The main job: real leases on real WireGuard tunnels, on the embedded SQLite store.
# Builds leasehold, makes a lab of network namespaces joined by veth (scripts/wg-lab.sh:
# a server and two clients, wireguard-go in each), starts leasehold-server on the server's
# interface in zero-touch mode and leasehold-client on each client's, then shows the
# clients' leased addresses, the server's allowed-ips, a ping between the clients over
# their leased addresses, a server restart that keeps everything, and the clients
# releasing on stop. Everything it made is removed on exit. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build -DLEASEHOLD_TESTS=OFF -DLEASEHOLD_BENCH=OFF >/dev/null

bin=$PWD/build/apps
id=d$(printf '%x' $$)
work=$(mktemp -d /tmp/leasehold-demo-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  scripts/wg-lab.sh down "$id"
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }
wait_log() {  # file text [timeout]
  for _ in $(seq $((${3:-20} * 10))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1:" >&2; cat "$1" >&2; return 1
}

step "A lab: server and two clients in network namespaces, wireguard-go in each"
eval "$(scripts/wg-lab.sh up "$id" 2 --zero-touch)"
echo "server $LAB_SERVER_NS ($LAB_SERVER_IF), clients $LAB_CLIENT1_NS ($LAB_CLIENT1_IF), $LAB_CLIENT2_NS ($LAB_CLIENT2_IF)"
show ip netns exec "$LAB_SERVER_NS" wg show "$LAB_SERVER_IF" allowed-ips

cat >"$work/server.json" <<JSON
{ "Leasehold": {
    "interface": "$LAB_SERVER_IF",
    "wireguard": { "zero-touch": true },
    "valid-lifetime": 3600,
    "subnet4": [ { "id": 1, "subnet": "10.66.0.0/24", "pools": [ { "pool": "10.66.0.10-10.66.0.200" } ] } ],
    "subnet6": [ { "id": 2, "subnet": "fd66::/64", "pools": [ { "pool": "fd66::/64" } ] } ],
    "lease-database": { "type": "sqlite", "name": "$work/leases.db" } } }
JSON

start_server() {
  ip netns exec "$LAB_SERVER_NS" "$bin/leasehold-server/leasehold-server" --config "$work/server.json" \
    >>"$work/server.log" 2>&1 &
  pids+=($!)
  server_pid=$!
}

step "leasehold-server on $LAB_SERVER_IF (listens on [fe80::%$LAB_SERVER_IF]:970, zero-touch link-locals)"
start_server
wait_log "$work/server.log" "leasehold-server ready"
sed 's/^[^ ]* [^ ]* /  /' "$work/server.log"

step "leasehold-client on each client interface"
for k in 1 2; do
  ns_var=LAB_CLIENT${k}_NS if_var=LAB_CLIENT${k}_IF
  ip netns exec "${!ns_var}" "$bin/leasehold-client/leasehold-client" --interface "${!if_var}" \
    --state-dir "$work/client$k" >"$work/client$k.log" 2>&1 &
  pids+=($!)
  eval "client${k}_pid=$!"
done
for k in 1 2; do
  wait_log "$work/client$k.log" "lease bound"
  echo "client $k: $(grep -m1 'lease bound' "$work/client$k.log" | sed 's/^.*lease bound/lease bound/')"
done

step "The clients' interfaces carry their leased addresses (/32 and /128)"
show ip netns exec "$LAB_CLIENT1_NS" ip -brief addr show dev "$LAB_CLIENT1_IF"
show ip netns exec "$LAB_CLIENT2_NS" ip -brief addr show dev "$LAB_CLIENT2_IF"

step "The server's allowed-ips: each peer's derived link-local and its leased addresses"
show ip netns exec "$LAB_SERVER_NS" wg show "$LAB_SERVER_IF" allowed-ips

a1=$(grep -m1 'lease bound' "$work/client1.log" | sed -E 's/.*ipv4 ([^ ]+) ipv6 ([^ ]+).*/\1 \2/')
a2=$(grep -m1 'lease bound' "$work/client2.log" | sed -E 's/.*ipv4 ([^ ]+) ipv6 ([^ ]+).*/\1 \2/')
read -r c1v4 c1v6 <<<"$a1"
read -r c2v4 c2v6 <<<"$a2"

step "Client 1 pings client 2 over the leased addresses, through the server"
show ip netns exec "$LAB_CLIENT1_NS" ping -c 2 -W 2 -I "$c1v4" "$c2v4"
show ip netns exec "$LAB_CLIENT1_NS" ping -6 -c 2 -W 2 -I "$c1v6" "$c2v6"

step "The leases in SQLite"
sleep 0.5  # the change log is folded into the lease tables once the server is idle
sqlite3 -header -column "$work/leases.db" \
  "SELECT (address>>24)||'.'||((address>>16)&255)||'.'||((address>>8)&255)||'.'||(address&255) AS address,
          substr(hex(public_key),1,12) AS key_hex, subnet_id, valid_lifetime, state FROM lease4
   UNION ALL
   SELECT lower(hex(address)), substr(hex(public_key),1,12), subnet_id, valid_lifetime, state FROM lease6" |
  sed 's/^/   /'

step "Server restart: the store is the truth; allowed-ips are reconciled, leases kept"
kill "$server_pid"; wait "$server_pid" || true
ll1=$(ip netns exec "$LAB_SERVER_NS" wg show "$LAB_SERVER_IF" allowed-ips | grep "^$LAB_CLIENT1_PUB" | grep -o 'fe80::[^ ]*')
echo "while the server is down, client 1's peer loses its lease entries:"
show ip netns exec "$LAB_SERVER_NS" wg set "$LAB_SERVER_IF" peer "$LAB_CLIENT1_PUB" allowed-ips "$ll1"
show ip netns exec "$LAB_SERVER_NS" wg show "$LAB_SERVER_IF" allowed-ips
: >"$work/server.log"
start_server
wait_log "$work/server.log" "leasehold-server ready"
grep -E "loaded|reconciled" "$work/server.log" | sed 's/^[^ ]* [^ ]* /  /'
show ip netns exec "$LAB_SERVER_NS" wg show "$LAB_SERVER_IF" allowed-ips

step "Clients stop: they release their leases and take their addresses off"
kill "$client1_pid" "$client2_pid"; wait "$client1_pid" "$client2_pid" || true
show ip netns exec "$LAB_CLIENT1_NS" ip -brief addr show dev "$LAB_CLIENT1_IF"
sleep 0.5
show ip netns exec "$LAB_SERVER_NS" wg show "$LAB_SERVER_IF" allowed-ips
echo
echo "demo complete"
