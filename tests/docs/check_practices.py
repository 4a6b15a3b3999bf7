#!/usr/bin/python3
"""Every key, finding code and command a policy document names must exist.

    usage: check_practices.py [--complete] [--expect-missing N] SOURCE_ROOT DOC.md...

The sibling of check_names.py (whose key and file rules it reuses), for
docs/best-practices.md. Against the sources, it checks:
- keys: `[section] key` and `key = value` spans, and every key line of an
  ```ini block (under its [kind.name] header), against config/reference.ini;
- finding codes: the first cell of every row of a table whose header starts
  with "code" must be a code the code emits: a row of LB_POLICY_CODES
  (lib/policy/lb_policy.h), or "code": "CODE" in lib/runtime/runtime.c
  (the gate's own). With --complete, every such code must be in a table
  of each document too;
- commands: a span starting with edgelbctl names (after -j, -s X, -t X) a
  command of the table in lib/mgmt/commands.c (what `edgelbctl help`
  lists), and every --option after it must be in that command's usage; a
  span starting with edgelbd has only options its usage (the string
  literals of app/edgelbd/main.c) names;
- files and bare test_NAME.sh as check_names.py does.
Prints each name it could not find and exits 1; exits 1 too if a document
names no key, no code or no command (a check that found nothing checked
nothing). With --expect-missing N it exits 0 only if exactly N names were
not found: its own test (tests/docs/bad_practices.md).
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_names  # noqa: E402  (its rules for keys and files)


def read(root, path):
    with open(os.path.join(root, path)) as f:
        return f.read()


def finding_codes(root):
    """Every code a finding can have: lib/policy's table and the gate's own."""
    codes = check_names.xmacro(read(root, 'lib/policy/lb_policy.h'),
                               'LB_POLICY_CODES')
    codes |= set(re.findall(r'"code",\s*"([a-z0-9_]+)"',
                            read(root, 'lib/runtime/runtime.c')))
    if not codes:
        sys.exit('check_practices: no finding code found in lib/policy')
    return codes


def command_table(root):
    """{command: usage} from lib/mgmt/commands.c's table."""
    text = read(root, 'lib/mgmt/commands.c')
    cmds = dict(re.findall(
        r'\{\s*"([a-z][a-z0-9_-]*)",\s*(?:0|CMD_[A-Z_ |]+),\s*"([^"]*)"',
        text))
    if 'help' not in cmds:
        sys.exit('check_practices: no command table in lib/mgmt/commands.c')
    return cmds


def edgelbd_options(root):
    """Options edgelbd's usage names."""
    lits = re.findall(r'"((?:[^"\\]|\\.)*)"', read(root, 'app/edgelbd/main.c'))
    return set(re.findall(r'(?<![\w-])(--?[a-z][a-z-]*)', ' '.join(lits)))


def strip_fences(text):
    """The text without fenced blocks, and the bodies of ```ini ones."""
    ini = re.findall(r'^[ \t]*```ini[ \t]*\n(.*?)^[ \t]*```', text,
                     re.S | re.M)
    return re.sub(r'^[ \t]*```.*?^[ \t]*```', '', text,
                  flags=re.S | re.M), ini


class Doc:
    def __init__(self, root, keys, codes, cmds, elbd_opts):
        self.root, self.keys, self.codes = root, keys, codes
        self.cmds, self.elbd_opts = cmds, elbd_opts
        self.all_keys = set().union(*keys.values())
        self.bad = []
        self.n = {'keys': 0, 'codes': 0, 'commands': 0, 'files': 0}
        self.codes_seen = set()

    def key_line(self, kind, key, what):
        self.n['keys'] += 1
        known = self.keys.get(kind, set()) if kind else self.all_keys
        if key not in known:
            self.bad.append('key %s: no %s in %s of config/reference.ini'
                            % (what, key, '[%s]' % kind if kind else
                               'any section'))

    def ini_block(self, body):
        kind = None
        for line in body.split('\n'):
            line = line.strip()
            m = re.match(r'^\[([a-z]+)(\.[A-Za-z0-9_.-]+)?\]$', line)
            if m:
                kind = m.group(1)
                continue
            m = re.match(r'^([a-z_][a-z0-9_]*)\s*=', line)
            if m:
                self.key_line(kind, m.group(1),
                              '`%s` (ini block, [%s])' % (line, kind))

    def edgelbctl(self, words, span):
        i = 1
        while i < len(words) and words[i].startswith('-'):
            i += 2 if words[i] in ('-s', '-t') else 1
        self.n['commands'] += 1
        if i >= len(words) or words[i] not in self.cmds:
            self.bad.append('command `%s`: %s is not in lib/mgmt/commands.c'
                            % (span, words[i] if i < len(words) else '(none)'))
            return
        usage = self.cmds[words[i]]
        for w in words[i + 1:]:
            if w.startswith('--') and not re.search(
                    r'(?<![\w-])%s(?![\w-])' % re.escape(w), usage):
                self.bad.append('command `%s`: %s is not in the usage of %s '
                                '("%s")' % (span, w, words[i], usage))

    def edgelbd(self, words, span):
        self.n['commands'] += 1
        for w in words[1:]:
            if w.startswith('-') and w not in self.elbd_opts:
                self.bad.append('command `%s`: %s is not an option of '
                                'edgelbd (app/edgelbd/main.c)' % (span, w))

    def span(self, span):
        m = check_names.KEY_RE.match(span)
        if m:
            self.key_line(m.group(1), m.group(2), '`%s`' % span)
            return
        m = re.match(r'^([a-z_][a-z0-9_]*) = \S+$', span)
        if m:
            self.key_line(None, m.group(1), '`%s`' % span)
            return
        words = span.split()
        if words[0] == 'edgelbctl':
            self.edgelbctl(words, span)
            return
        if words[0] == 'edgelbd':
            self.edgelbd(words, span)
            return
        for word in words:
            word = word.rstrip('.,;:)')
            path = check_names.file_of(self.root, word)
            if path is None:
                continue
            self.n['files'] += 1
            if not os.path.exists(os.path.join(self.root, path)):
                self.bad.append('file `%s`: %s does not exist' % (span, path))

    def tables(self, text):
        in_codes = False
        for line in text.split('\n'):
            cells = [c.strip() for c in line.strip().strip('|').split('|')]
            if not line.lstrip().startswith('|'):
                in_codes = False
                continue
            if cells[0] == 'code':
                in_codes = True
                continue
            if not in_codes or re.match(r'^:?-+:?$', cells[0]):
                continue
            m = re.match(r'^`([a-z0-9_]+)`$', cells[0])
            self.n['codes'] += 1
            if m is None or m.group(1) not in self.codes:
                self.bad.append('finding code %s: not a code lib/policy or '
                                'the gate emits' % cells[0])
            else:
                self.codes_seen.add(m.group(1))


def check_doc(root, doc, keys, codes, cmds, elbd_opts, complete):
    with open(doc) as f:
        text, ini_blocks = strip_fences(f.read())
    d = Doc(root, keys, codes, cmds, elbd_opts)
    for body in ini_blocks:
        d.ini_block(body)
    for span in re.findall(r'`([^`\n]+)`', text):
        d.span(span)
    d.tables(text)
    if complete:
        for c in sorted(codes - d.codes_seen):
            d.bad.append('finding code `%s` (emitted by the code) is in no '
                         'table of this document' % c)
    for what in ('keys', 'codes', 'commands'):
        if d.n[what] == 0:
            d.bad.append('no %s named at all: nothing was checked' % what)
    for b in d.bad:
        print('%s: %s' % (doc, b))
    print('%s: %d keys, %d codes, %d commands, %d files named; %d not found'
          % (doc, d.n['keys'], d.n['codes'], d.n['commands'], d.n['files'],
             len(d.bad)))
    return len(d.bad)


def main():
    args = sys.argv[1:]
    expect, complete = 0, False
    while args[:1] in (['--complete'], ['--expect-missing']):
        if args[0] == '--complete':
            complete = True
            args = args[1:]
        elif len(args) >= 2:
            expect = int(args[1])
            args = args[2:]
        else:
            break
    if len(args) < 2:
        sys.exit(__doc__)
    root = args[0]
    keys = check_names.reference_keys(os.path.join(root,
                                                   'config/reference.ini'))
    codes, cmds = finding_codes(root), command_table(root)
    elbd_opts = edgelbd_options(root)
    missing = sum(check_doc(root, d, keys, codes, cmds, elbd_opts, complete)
                  for d in args[1:])
    if missing != expect:
        print('check_practices: %d names not found, expected %d'
              % (missing, expect))
        sys.exit(1)


if __name__ == '__main__':
    main()
