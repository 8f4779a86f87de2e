#!/usr/bin/env bash
# A WireGuard lab in network namespaces, for the demo and the end-to-end tests.
#   wg-lab.sh up ID CLIENTS [--zero-touch]   builds it; prints shell variables describing it
#   wg-lab.sh down ID                        kills everything in it and removes it
# Topology: namespace lh-ID-s (the server) and lh-ID-c1..cN (clients), each client joined to
# the server by its own veth pair (underlay 10.201.K.0/30). wireguard-go runs in each with a
# unique interface name (UAPI sockets live in one global directory): lhIDs on the server,
# lhIDcK on client K. The server's interface carries fe80::/64 and routes for the lease
# space 10.66.0.0/24 and fd66::/64, and forwards between clients. Each client's only peer is
# the server (allowed-ips fe80::/128 and the lease space); the server's peer K gets the
# link-local /128 fe80::100:K, unless --zero-touch (then leasehold-server adds the derived
# one). ID: 1 to 8 letters or digits. Requires root, wireguard-go, wireguard-tools, iproute2.
set -euo pipefail

die() { echo "wg-lab: $*" >&2; exit 1; }

ns_exec() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

start_wireguard() {  # ns ifname private-key-file [listen-port]
  local ns=$1 ifname=$2 keyfile=$3 port=${4:-}
  # wireguard-go daemonizes; WG_PROCESS_FOREGROUND is not set, so it forks and returns.
  LOG_LEVEL=error ns_exec "$ns" wireguard-go "$ifname" >/dev/null 2>&1 || die "wireguard-go $ifname failed"
  for _ in $(seq 50); do [[ -S /var/run/wireguard/$ifname.sock ]] && break; sleep 0.1; done
  ns_exec "$ns" wg set "$ifname" private-key "$keyfile" ${port:+listen-port "$port"}
}

lab_up() {
  local id=$1 clients=$2 zero_touch=${3:-}
  [[ $id =~ ^[a-z0-9]{1,8}$ ]] || die "bad lab id '$id'"
  [[ $clients =~ ^[1-9]$ ]] || die "clients: 1 to 9"
  local dir=/tmp/wg-lab-$id server=lh-$id-s sif=lh${id}s
  mkdir -p "$dir" && chmod 700 "$dir"
  umask 077
  ip netns add "$server"
  ns_exec "$server" ip link set lo up
  wg genkey >"$dir/s.key" && wg pubkey <"$dir/s.key" >"$dir/s.pub"
  start_wireguard "$server" "$sif" "$dir/s.key" 51820
  # fe80:: before the link is up and before forwarding: with forwarding on, the kernel
  # claims fe80:: as the subnet-router anycast address of the interface's automatic
  # link-local /64, and a unicast fe80:: added afterwards gets no local route.
  ns_exec "$server" ip -6 addr add fe80::/64 dev "$sif" nodad
  ns_exec "$server" ip link set "$sif" up
  ns_exec "$server" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  ns_exec "$server" ip route add 10.66.0.0/24 dev "$sif"
  ns_exec "$server" ip -6 route add fd66::/64 dev "$sif"
  echo "LAB_DIR=$dir"
  echo "LAB_SERVER_NS=$server"
  echo "LAB_SERVER_IF=$sif"
  echo "LAB_SERVER_PUB=$(cat "$dir/s.pub")"
  local k
  for k in $(seq "$clients"); do
    local cns=lh-$id-c$k cif=lh${id}c$k
    ip netns add "$cns"
    ns_exec "$cns" ip link set lo up
    ip link add "v$k" netns "$server" type veth peer name v0 netns "$cns"
    ns_exec "$server" ip addr add "10.201.$k.1/30" dev "v$k"
    ns_exec "$server" ip link set "v$k" up
    ns_exec "$cns" ip addr add "10.201.$k.2/30" dev v0
    ns_exec "$cns" ip link set v0 up
    wg genkey >"$dir/c$k.key" && wg pubkey <"$dir/c$k.key" >"$dir/c$k.pub"
    start_wireguard "$cns" "$cif" "$dir/c$k.key"
    ns_exec "$cns" ip link set "$cif" up
    # The server must know the client before the client's first handshake, or that
    # handshake is dropped and retried only 5 s later.
    local ll=""
    [[ -n $zero_touch ]] || ll=fe80::100:$k
    ns_exec "$server" wg set "$sif" peer "$(cat "$dir/c$k.pub")" ${ll:+allowed-ips "$ll/128"}
    ns_exec "$cns" wg set "$cif" peer "$(cat "$dir/s.pub")" endpoint "10.201.$k.1:51820" \
      persistent-keepalive 1 allowed-ips fe80::/128,10.66.0.0/24,fd66::/64
    ns_exec "$cns" ip route add 10.66.0.0/24 dev "$cif"
    ns_exec "$cns" ip -6 route add fd66::/64 dev "$cif"
    echo "LAB_CLIENT${k}_NS=$cns"
    echo "LAB_CLIENT${k}_IF=$cif"
    echo "LAB_CLIENT${k}_PUB=$(cat "$dir/c$k.pub")"
    echo "LAB_CLIENT${k}_LINK_LOCAL=$ll"
  done
}

lab_down() {
  local id=$1 ns
  [[ $id =~ ^[a-z0-9]{1,8}$ ]] || die "bad lab id '$id'"
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^lh-$id-(s|c[0-9])$" || true); do
    ip netns pids "$ns" | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" || true
  done
  rm -f /var/run/wireguard/lh"$id"s.sock /var/run/wireguard/lh"$id"c[0-9].sock
  rm -rf "/tmp/wg-lab-$id"
}

case "${1:-}" in
  up) [[ $# -ge 3 ]] || die "usage: wg-lab.sh up ID CLIENTS [--zero-touch]"
      lab_up "$2" "$3" "${4:-}" ;;
  down) [[ $# -eq 2 ]] || die "usage: wg-lab.sh down ID"
        lab_down "$2" ;;
  *) die "usage: wg-lab.sh up ID CLIENTS [--zero-touch] | down ID" ;;
esac
