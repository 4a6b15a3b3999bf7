#!/usr/bin/env bash
# The kernel exception path's throughput: bulk TCP between the client
# namespace and the appliance's own kernel through edgelbd's kernel
# interface (net_tap), both ways, against the same transfer between the
# client and a backend kernel to kernel over the bridge (no edgelb: the
# test bed's own ceiling), in the netns.sh topology. Rounds interleave;
# medians. edgelbd's counters over the run say how often a worker woke
# management (the doorbell) and whether anything was dropped.
#
# virtio-user over vhost-net is the other kernel-interface choice DPDK
# has; it needs /dev/vhost-net, which the test machine's kernel does not
# have, so only net_tap is measured (the JSON says so).
#
# usage: tests/bench/kpath.sh OUTDIR     writes OUTDIR/kpath.json
# env:   BUILD (default build) MB (per transfer, default 200) ROUNDS (3)
#        IDLE_SLEEP_US (edgelbd, default 50: the worker shares the 2 CPUs
#        with the kernel, both TCP ends and management, as in e2e.sh)
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUTDIR=${1:?usage: $0 OUTDIR}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
MB=${MB:-200}
ROUNDS=${ROUNDS:-3}
IDLE_SLEEP_US=${IDLE_SLEEP_US:-50}
PY=/usr/bin/python3
BULK=$HERE/kpath/bulk.py
EDGELBD=$BUILD/app/edgelbd/edgelbd
EDGELBCTL=$BUILD/app/edgelbctl/edgelbctl
ELBD_SOCK=/run/edgelb/bench-kpath.sock
DPDK_PREFIX=elbb-kpath
KIF=edgelb-lan
# Own prefix and subnet: tests use elbt*/10.201.0, the demo 10.200.0,
# e2e 10.202.x.
P=elbk
NET=10.203.0
LB_ADDR=$NET.2
CLI_ADDR=$NET.10
BE_ADDR=$NET.11

# shellcheck source=../../deploy/lib/netns.sh
. "$ROOT/deploy/lib/netns.sh"
# shellcheck source=../../deploy/lib/edgelbd.sh
. "$ROOT/deploy/lib/edgelbd.sh"

log() { echo "[kpath] $*" >&2; }
die() { log "error: $*"; exit 1; }

WORK=
cleanup() {
	local rc=$?
	trap - EXIT INT TERM ERR
	set +e
	[ -n "$ELBD_PID" ] && elbd_stop 5 >/dev/null 2>&1
	elb_topo_down "$P"
	rm -f "$ELBD_SOCK"
	rm -rf "/var/run/dpdk/$DPDK_PREFIX"
	if [ "$rc" -ne 0 ] && [ -n "$WORK" ] && [ -s "$WORK/edgelbd.log" ]; then
		tail -n 20 "$WORK/edgelbd.log" >&2
	fi
	[ -n "$WORK" ] && rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

config() {
	cat <<EOF
; tests/bench/kpath.sh (generated)
[global]
socket = $ELBD_SOCK
audit_log = $WORK/audit.log
workers = 1
eal_args = "--no-huge -m 256 --file-prefix=$DPDK_PREFIX --no-pci --log-level=*:notice"
idle_sleep_us = $IDLE_SLEEP_US

[port.lan]
device = net_af_packet0,iface=lb0,qpairs=1
address = $LB_ADDR/24
kernel_interface = $KIF

[vip.web]
address = $NET.100
port = 80
pool = web

[pool.web]

[backend.web1]
pool = web
address = $BE_ADDR
EOF
}

# transfer NAME SINK_NS SINK_ADDR SEND_NS: one bulk transfer, its JSON
# line appended to $WORK/samples.jsonl tagged with NAME.
transfer() {
	local name=$1 sink_ns=$2 addr=$3 send_ns=$4 port=7100 out
	rm -f "$WORK/ready"
	ip netns exec "$sink_ns" "$PY" "$BULK" sink "$addr" "$port" \
		"$WORK/ready" 1 &
	local sink=$!
	for _ in $(seq 50); do [ -s "$WORK/ready" ] && break; sleep 0.1; done
	out=$(ip netns exec "$send_ns" timeout 300 "$PY" "$BULK" send "$addr" \
		"$port" $((MB * 1000000))) || die "$name: transfer failed"
	wait "$sink"
	echo "{\"name\": \"$name\", \"r\": $out}" >>"$WORK/samples.jsonl"
	log "$name: $out"
}

counters() {
	elbctl -j stats | "$PY" -c 'import json, sys
s = json.load(sys.stdin); p = s["ports"][0]
print(json.dumps({k: p[k] for k in ("to_kernel", "from_kernel",
      "kernel_tx_full", "from_kernel_ring_full")} |
      {"kernel_ring_full": p["drops"]["kernel_ring_full"]} | s["kernel"]))'
}

[ "$(id -u)" -eq 0 ] || die "must run as root"
for b in "$EDGELBD" "$EDGELBCTL"; do
	[ -x "$b" ] || die "binary missing: $b"
done
mkdir -p "$OUTDIR"
WORK=$(mktemp -d /tmp/elb-bench-kpath.XXXXXX)
elb_topo_up "$P" "$NET" "$NET.100" >/dev/null 2>&1 || die "topology"
config >"$WORK/e.ini"
elbd_start "$P-lb" "$WORK/e.ini" "$WORK/edgelbd.log"
elbd_wait_ready "$ELBD_SOCK" 20 "$BE_ADDR" || die "edgelbd did not start"
ip -n "$P-lb" link show "$KIF" >/dev/null || die "$KIF missing"
counters >"$WORK/before.json"
: >"$WORK/samples.jsonl"
echo "== kpath: bulk TCP, $MB MB per transfer, $ROUNDS rounds"
for r in $(seq "$ROUNDS"); do
	transfer up "$P-lb" "$LB_ADDR" "$P-cli"
	transfer down "$P-cli" "$CLI_ADDR" "$P-lb"
	transfer direct "$P-b1" "$BE_ADDR" "$P-cli"
done
counters >"$WORK/after.json"
elbd_alive || die "edgelbd died"

"$PY" - "$WORK/samples.jsonl" "$WORK/before.json" "$WORK/after.json" \
	"$MB" "$OUTDIR/kpath.json" <<'EOF'
import json, os, statistics, sys
samples, before, after, mb, out = sys.argv[1:]
rs = [json.loads(l) for l in open(samples)]
b, a = json.load(open(before)), json.load(open(after))
d = {k: a[k] - b[k] for k in a}
def med(name):
    return statistics.median(s["r"]["mb_s"] for s in rs if s["name"] == name)
up, down, direct = med("up"), med("down"), med("direct")
frames = d["to_kernel"]
drops = d["kernel_ring_full"] + d["kernel_tx_full"] + d["from_kernel_ring_full"]
rows = [
    {"name": "bulk TCP client -> listener on the port address through "
             "the kernel interface (net_tap), %s MB, median" % mb,
     "value": up, "unit": "MB/s"},
    {"name": "bulk TCP appliance kernel -> client through the kernel "
             "interface (net_tap), %s MB, median" % mb,
     "value": down, "unit": "MB/s"},
    {"name": "same transfer client -> backend, kernel to kernel over the "
             "bridge, no edgelb (test bed ceiling)", "value": direct,
     "unit": "MB/s"},
    {"name": "client -> kernel interface / kernel to kernel, same run",
     "value": round(up / direct, 3), "unit": "ratio"},
    {"name": "doorbell wakeups per 1000 frames to the kernel",
     "value": round(1000.0 * d["wakeups"] / max(1, frames), 1),
     "unit": "per 1000 (%d frames, %d wakeups, %d yields)" %
             (frames, d["wakeups"], d["yields"])},
    {"name": "frames dropped on the kernel path (rings full: management "
             "behind; TCP resends them)",
     "value": drops, "unit": "frames of %d" % (frames + d["from_kernel"])},
]
json.dump({"rows": rows, "samples": rs, "counters": d, "hugepages": False,
           "virtio_user": "not measured: no /dev/vhost-net on this kernel"
           if not os.path.exists("/dev/vhost-net") else
           "not implemented (net_tap is the kernel interface)"},
          open(out, "w"), indent=1)
for r in rows:
    print("  %-80s %10s %s" % (r["name"], r["value"], r["unit"]))
EOF
echo "kpath: wrote $OUTDIR/kpath.json"
