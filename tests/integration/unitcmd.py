#!/usr/bin/python3
"""unitcmd.py: what systemd would run for a unit file, for tests without systemd (stdlib only).

  unitcmd.py UNIT KEY [FROM=TO ...]

KEY is a command setting (ExecStart, ExecStartPost, ...): prints each of its command
lines as argv, one argument per line and an empty line after each command. KEY
LoadCredential prints "ID PATH" per credential. FROM=TO pairs replace path prefixes
first (/etc/cascade=/tmp/x/etc, /usr/local/bin/cascade-cp=/build/cascade-cp), in the
unit and in its EnvironmentFile=, whose variables are then expanded as systemd.service(5)
says: ${NAME} as one word, $NAME split at whitespace. Quoting follows shell rules, which
systemd's agree with for what these units use. Exit 1 when KEY is not in the unit.
"""
import re
import shlex
import sys

unit, key, pairs = sys.argv[1], sys.argv[2], [p.split("=", 1) for p in sys.argv[3:]]


def subst(s):
    for a, b in pairs:
        s = s.replace(a, b)
    return s


def settings(path):
    """(key, value) of every assignment, continuation lines joined, comments dropped."""
    out, cur = [], ""
    for line in open(path):
        line = line.rstrip("\n")
        if not cur and (not line.strip() or line.lstrip()[0] in "#;["):
            continue
        if line.endswith("\\"):
            cur += line[:-1] + " "
            continue
        cur += line
        k, _, v = cur.partition("=")
        out.append((k.strip(), subst(v.strip())))
        cur = ""
    return out


env = {}
for k, v in settings(unit):
    if k == "EnvironmentFile":
        for ek, ev in settings(v.lstrip("-")):
            env[ek] = " ".join(shlex.split(ev))


def expand(word):
    m = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
    if m:  # $NAME alone: its words
        return env.get(m.group(1), "").split()
    return [re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda g: env.get(g.group(1), ""), word)]


found = False
for k, v in settings(unit):
    if k != key:
        continue
    found = True
    if key == "LoadCredential":
        cid, _, path = v.partition(":")
        print(cid, path)
        continue
    argv = [a for w in shlex.split(v) for a in expand(w)]
    argv[0] = argv[0].lstrip("-@:+!")
    print("\n".join(argv))
    print()
sys.exit(0 if found else 1)
