#!/usr/bin/python3
"""Every configuration key, counter and file a document names must exist.

    usage: check_names.py [--expect-missing N] SOURCE_ROOT DOC.md...

Reads the backquoted spans of each DOC and checks, against the sources:
- keys, written `[section] key` (optionally `[section] key = value`):
  the key must be documented under that section in config/reference.ini
  (where every key of lib/config/keys.c is, a unit test sees to that);
- counters, written with the prefix of where `edgelbctl stats` / `status`
  show them:
    `drops.NAME`        a drop reason       lib/stats/lb_stats.h LB_DROP_REASONS
    `port.NAME`         a port counter      LB_PORT_COUNTERS (lb_stats.h) or
                                            LB_EXCPATH_PORT_COUNTERS (lib/excpath/lb_excpath.h)
    `flows.NAME`        a flow counter      LB_FLOW_COUNTERS
    `vip.NAME`          a VIP counter       LB_VIP_COUNTERS
    `backend.NAME`      a backend counter   LB_BACKEND_COUNTERS
    `kernel.NAME`       management's loop   LB_EXCPATH_LOOP_COUNTERS
    `arp.refused.NAME`  an ARP refusal      lib/neigh/neigh.c refusal_names
    `arp.learned`
- files: every word of a span that starts with tests/, lib/, app/, config/,
  deploy/ or docs/ must exist (a ":ARG" suffix aside), and so must a bare
  `test_NAME.sh` (in tests/integration/), `NAME.ini` (in tests/config/bad or
  good) and `NAME.py` (under tests/);
- unit tests: a bare `test_NAME` must be a function of tests/unit (or a
  build option of meson_options.txt: `test_faults`).
A file's "#anchor" is not part of its name; a word with <, > or * is a
pattern, not a name.
Prints each name it could not find and exits 1; exits 1 too if a document
names no key or no counter at all (a check that found nothing checked
nothing). With --expect-missing N it exits 0 only if exactly N names were
not found: its own test (tests/docs/bad_names.md).
"""
import os
import re
import sys

SECTIONS = ('global', 'port', 'vip', 'pool', 'backend', 'bgp')
PREFIXES = ('tests/', 'lib/', 'app/', 'config/', 'deploy/', 'docs/')


def xmacro(text, macro):
    """The first argument of every X(...) row of #define MACRO(X)."""
    m = re.search(r'#define\s+%s\(X\)(.*?)(?<!\\)\n' % macro, text, re.S)
    if m is None:
        sys.exit('check_names: no #define %s(X) found' % macro)
    return set(re.findall(r'\bX\(\s*([a-z0-9_]+)', m.group(1)))


def reference_keys(path):
    """{section kind: {key}} as config/reference.ini documents them."""
    keys = {s: set() for s in SECTIONS}
    kind = None
    with open(path) as f:
        for line in f:
            m = re.match(r'\[([a-z]+)(\.[a-z0-9_-]+)?\]\s*$', line)
            if m:
                kind = m.group(1)
                continue
            m = re.match(r';?([a-z_][a-z0-9_]*) =( |$)', line)
            if m and kind in keys:
                keys[kind].add(m.group(1))
    return keys


def counters(root):
    def read(p):
        with open(os.path.join(root, p)) as f:
            return f.read()
    stats = read('lib/stats/lb_stats.h')
    xp = read('lib/excpath/lb_excpath.h')
    neigh = read('lib/neigh/neigh.c')
    return {
        'drops': xmacro(stats, 'LB_DROP_REASONS'),
        'port': xmacro(stats, 'LB_PORT_COUNTERS') |
        xmacro(xp, 'LB_EXCPATH_PORT_COUNTERS'),
        'flows': xmacro(stats, 'LB_FLOW_COUNTERS'),
        'vip': xmacro(stats, 'LB_VIP_COUNTERS'),
        'backend': xmacro(stats, 'LB_BACKEND_COUNTERS'),
        'kernel': xmacro(xp, 'LB_EXCPATH_LOOP_COUNTERS'),
        'arp.refused': set(re.findall(r'\[LB_NEIGH_[A-Z_]+\]\s*=\s*"([a-z_]+)"',
                                      neigh)),
        'arp': {'learned'},
    }


KEY_RE = re.compile(r'^\[(%s)\] ([a-z_][a-z0-9_]*)(\s*=.*)?$' % '|'.join(SECTIONS))
COUNTER_RE = re.compile(r'^(drops|port|flows|vip|backend|kernel|arp\.refused|arp)'
                        r'\.([a-z0-9_]+)$')


def file_of(root, word):
    """The path a word of a span names, or None (a pattern, or no file)."""
    if re.search(r'[<>*]', word):
        return None
    name = word.split(':')[0].split('#')[0]
    if word.startswith(PREFIXES):
        return name
    if re.match(r'^test_[a-z0-9_]+\.sh(:\S+)?$', word):
        return 'tests/integration/' + name
    if re.match(r'^[a-z0-9_]+\.(ini|py)$', word):
        dirs = ('tests/config/bad', 'tests/config/good') \
            if name.endswith('.ini') else \
            ('tests/integration', 'tests/soak', 'tests/bench', 'tests/fuzz',
             'tests/docs')
        for d in dirs:
            if os.path.exists(os.path.join(root, d, name)):
                return os.path.join(d, name)
        return os.path.join(dirs[0], name)
    return None


def unit_test_names(root):
    """Every test_* function defined in tests/unit, and build option."""
    with open(os.path.join(root, 'meson_options.txt')) as fh:
        names = set(re.findall(r"^option\('(test_[a-z0-9_]+)'", fh.read(),
                               re.M))
    for d, _, files in os.walk(os.path.join(root, 'tests/unit')):
        for f in files:
            if f.endswith('.c'):
                with open(os.path.join(d, f)) as fh:
                    names |= set(re.findall(r'^(test_[a-z0-9_]+)\(',
                                            fh.read(), re.M))
    return names


def check_doc(root, doc, keys, ctrs, unit_tests):
    with open(doc) as f:
        text = f.read()
    # Fenced blocks are commands and output, not names.
    text = re.sub(r'^```.*?^```', '', text, flags=re.S | re.M)
    spans = re.findall(r'`([^`\n]+)`', text)
    bad, n_keys, n_ctrs, n_files = [], 0, 0, 0
    for span in spans:
        m = KEY_RE.match(span)
        if m:
            n_keys += 1
            if m.group(2) not in keys[m.group(1)]:
                bad.append('key `%s`: no %s in [%s] of config/reference.ini'
                           % (span, m.group(2), m.group(1)))
            continue
        m = COUNTER_RE.match(span)
        if m:
            n_ctrs += 1
            if m.group(2) not in ctrs[m.group(1)]:
                bad.append('counter `%s`: no %s among the %s counters'
                           % (span, m.group(2), m.group(1)))
            continue
        for word in span.split():
            word = word.rstrip('.,;:)')
            if re.match(r'^test_[a-z0-9_]+$', word):
                n_files += 1
                if word not in unit_tests:
                    bad.append('unit test `%s`: no such function in '
                               'tests/unit' % word)
                continue
            path = file_of(root, word)
            if path is None:
                continue
            n_files += 1
            if not os.path.exists(os.path.join(root, path)):
                bad.append('file `%s`: %s does not exist' % (span, path))
    if n_keys == 0:
        bad.append('no `[section] key` at all: nothing was checked')
    if n_ctrs == 0:
        bad.append('no counter at all: nothing was checked')
    for b in bad:
        print('%s: %s' % (doc, b))
    print('%s: %d keys, %d counters, %d files named; %d not found'
          % (doc, n_keys, n_ctrs, n_files, len(bad)))
    return len(bad)


def main():
    args = sys.argv[1:]
    expect = 0
    if args[:1] == ['--expect-missing'] and len(args) >= 2:
        expect = int(args[1])
        args = args[2:]
    if len(args) < 2:
        sys.exit(__doc__)
    root = args[0]
    keys = reference_keys(os.path.join(root, 'config/reference.ini'))
    ctrs = counters(root)
    unit_tests = unit_test_names(root)
    missing = sum(check_doc(root, d, keys, ctrs, unit_tests)
                  for d in args[1:])
    if missing != expect:
        print('check_names: %d names not found, expected %d'
              % (missing, expect))
        sys.exit(1)


if __name__ == "__main__":
    main()
