#!/usr/bin/python3
"""Every alert has a section in the runbook, and every section is an alert.

    usage: check_runbook.py [--expect-missing N] SOURCE_ROOT RUNBOOK.md

Alert names are read where they are made: the watch's from
lib/watch/rules.c (cond_init(..., "NAME")), the Prometheus rules' from
deploy/prometheus/*.rules.yml (`- alert: NAME`). A section is a `### NAME`
heading. Also checked: every rule's runbook_url annotation is
docs/runbook.md#<its name, lower case> (the heading's anchor), and the
watch links the same file (LB_WATCH_RUNBOOK in lib/watch/lb_watch.h).
Prints each problem and exits 1; with --expect-missing N it exits 0 only
if exactly N problems were found (its own test: bad_runbook.md).
"""
import glob
import os
import re
import sys

RUNBOOK = 'docs/runbook.md'


def watch_names(root):
    with open(os.path.join(root, 'lib/watch/rules.c')) as f:
        return set(re.findall(r'cond_init\([^)]*"([a-z_]+)"\)', f.read()))


def rule_names(root):
    """{alert name: runbook_url or None}"""
    rules = {}
    for path in sorted(glob.glob(os.path.join(root, 'deploy/prometheus/*.rules.yml'))):
        name = None
        with open(path) as f:
            for line in f:
                m = re.match(r'\s*- alert:\s*(\S+)', line)
                if m:
                    name = m.group(1)
                    rules[name] = None
                m = re.match(r'\s*runbook_url:\s*"?([^"\s]+)"?', line)
                if m and name:
                    rules[name] = m.group(1)
    return rules


def main(argv):
    expect = None
    if len(argv) > 1 and argv[1] == '--expect-missing':
        expect = int(argv[2])
        argv = argv[:1] + argv[3:]
    if len(argv) != 3:
        sys.exit(__doc__)
    root, doc = argv[1], argv[2]
    watch, rules = watch_names(root), rule_names(root)
    if len(watch) < 6 or len(rules) < 12:
        sys.exit('check_runbook: found only %d watch and %d rule alerts: '
                 'the parsing is broken' % (len(watch), len(rules)))
    with open(doc) as f:
        sections = re.findall(r'^### (\S+)\s*$', f.read(), re.M)
    problems = []
    for name in sorted(watch | set(rules)):
        if name not in sections:
            problems.append('alert %s has no section "### %s"' % (name, name))
    for s in sections:
        if s not in watch and s not in rules:
            problems.append('section "### %s" names no alert' % s)
        if sections.count(s) > 1:
            problems.append('section "### %s" appears %d times' % (s, sections.count(s)))
    for name, url in sorted(rules.items()):
        if url != '%s#%s' % (RUNBOOK, name.lower()):
            problems.append('rule %s: runbook_url %s, not %s#%s'
                            % (name, url, RUNBOOK, name.lower()))
    with open(os.path.join(root, 'lib/watch/lb_watch.h')) as f:
        if '#define LB_WATCH_RUNBOOK "%s"' % RUNBOOK not in f.read():
            problems.append('lib/watch/lb_watch.h: LB_WATCH_RUNBOOK is not "%s"' % RUNBOOK)
    for p in sorted(set(problems)):
        print('check_runbook: %s: %s' % (doc, p))
    n = len(set(problems))
    if expect is not None:
        if n != expect:
            print('check_runbook: expected %d problems, found %d' % (expect, n))
            return 1
        return 0
    if n == 0:
        print('check_runbook: %d watch alerts, %d rule alerts, %d sections: all match'
              % (len(watch), len(rules), len(sections)))
    return 1 if n else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
