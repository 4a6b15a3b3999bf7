#!/usr/bin/python3
"""Checks of test_bgp.sh over a fleet of edgelbd boxes.

    bgp_fleet.py new_flows SOCK...         print each box's new_flows (sum
                                           over its backends), one per line
    bgp_fleet.py agree SINCE_FILE SOCK...  every connection nginx logged since
                                           SINCE_FILE's line counts is where
                                           every box's `lookup` says
    bgp_fleet.py marks                     write nginx log line counts (stdout)
    bgp_fleet.py session SOCK              "Established" sessions, count
    bgp_fleet.py prefix SOCK PREFIX        1 if PREFIX is announced, else 0
    bgp_fleet.py fingerprint SOCK POOL     the pool's fingerprint in status
    bgp_fleet.py bird SOCK                 "BIRD_PID STARTS" as bgp says
    bgp_fleet.py untracked SOCK...         flows.untracked summed over boxes
    bgp_fleet.py holds SUMMARY             keep-alive summary: checks

Environment: EDGELBCTL, WORKDIR, VIP, T_ID. PASS/FAIL lines count as the
test's checks.
"""
import json
import os
import subprocess
import sys

CTL = os.environ["EDGELBCTL"]
WORKDIR = os.environ.get("WORKDIR", "")
VIP = os.environ.get("VIP", "")
T_ID = os.environ.get("T_ID", "bgp")
BACKENDS = ["web1", "web2", "web3"]


def check(ok, msg):
    print("%s: %s: %s" % ("PASS" if ok else "FAIL", T_ID, msg))
    return ok


def ctl(sock, *args, stdin=None):
    r = subprocess.run([CTL, "-s", sock, "-j"] + list(args), input=stdin,
                       capture_output=True, text=True, timeout=30)
    try:
        return json.loads(r.stdout)
    except ValueError:
        return {"error": r.stderr.strip() or r.stdout.strip()}


def backends_of(ans):
    if isinstance(ans, dict):
        ans = ans.get("backends", [])
    return ans if isinstance(ans, list) else []


def new_flows(sock):
    return sum(int(b.get("new_flows", 0)) for b in
               backends_of(ctl(sock, "backends")))


def nginx_lines():
    out = {}
    for i, name in enumerate(BACKENDS, 1):
        with open(os.path.join(WORKDIR, "b%d" % i, "access.log")) as f:
            out[name] = [ln.split() for ln in f if ln.strip()]
    return out


def cmd_agree(since_file, socks):
    since = json.load(open(since_file))
    logged = []
    for name, lines in nginx_lines().items():
        for addr, port, _status in lines[since.get(name, 0):]:
            # The boxes' own health checks are logged too.
            if addr == os.environ["CLIENT_ADDR"]:
                logged.append((addr, int(port), name))
    if not check(len(logged) > 0, "nginx logged %d connections" % len(logged)):
        return
    body = "".join("tcp %s %d %s 80\n" % (a, p, VIP) for a, p, _ in logged)
    for sock in socks:
        res = []
        for i in range(0, len(logged), 1000):
            chunk = body.splitlines(True)[i:i + 1000]
            ans = ctl(sock, "lookup", "-", stdin="".join(chunk))
            res.extend(ans if isinstance(ans, list) else [])
        wrong = [(t, r.get("backend")) for t, r in zip(logged, res)
                 if r.get("backend") != t[2]]
        check(len(res) == len(logged) and not wrong,
              "%s: lookup names nginx's backend for all %d connections "
              "(%d answers, %d disagree%s)" %
              (os.path.basename(sock), len(logged), len(res), len(wrong),
               ", first %r" % (wrong[0],) if wrong else ""))


def cmd_holds(path):
    s = json.load(open(path))
    conns = s.get("connections", [])
    errs = [c for c in conns if c["errors"]]
    moved = [c for c in conns if len(c["backends"]) > 1]
    check(len(conns) > 0 and not errs,
          "%d keep-alive connections, %d requests: none failed or reset "
          "(errors: %s)" % (len(conns), s.get("requests", 0),
                            [c["errors"] for c in errs][:3]))
    check(not moved, "every keep-alive connection kept its one backend "
          "(%d saw more than one)" % len(moved))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "new_flows":
        for sock in args:
            print(new_flows(sock))
    elif cmd == "marks":
        print(json.dumps({k: len(v) for k, v in nginx_lines().items()}))
    elif cmd == "agree":
        cmd_agree(args[0], args[1:])
    elif cmd == "session":
        a = ctl(args[0], "bgp")
        print(sum(1 for s in a.get("sessions") or []
                  if s.get("info", "").startswith("Established")))
    elif cmd == "prefix":
        a = ctl(args[0], "bgp")
        print(sum(1 for p in a.get("prefixes", [])
                  if p["prefix"] == args[1] and p["announced"]))
    elif cmd == "untracked":
        print(sum(int(ctl(sock, "stats").get("flows", {}).get("untracked", 0))
                  for sock in args))
    elif cmd == "bird":
        a = ctl(args[0], "bgp")
        print(a.get("bird_pid", 0), a.get("bird_starts", 0))
    elif cmd == "fingerprint":
        a = ctl(args[0], "status")
        print([p["fingerprint"] for p in a.get("pools", [])
               if p["name"] == args[1]][0])
    elif cmd == "holds":
        cmd_holds(args[0])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
