#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""layers.py: the control plane's layer rule (controlplane/cp.h), checked.

Every file of controlplane/ names its layer on a line "Layer: NAME." in its opening
comment (leaf, registry, service, api, main). A module is a file stem (cp_x.c and cp_x.h);
its edges are the controlplane headers its files #include. The check fails when

  - a file names no layer, an unknown one, or another than its module's other file;
  - a module includes a module of a higher layer (an arrow pointing up);
  - the modules' include graph has a cycle, within a layer or across;
  - a leaf includes cp.h, or a file of controlplane/ is over MAX_LINES lines.

An include is how a C file can call another module at all (the build refuses implicit
declarations), so the include graph is the call graph at module granularity; calls
that go up go through observers (function pointers), which this allows by design.
Usage: layers.py CONTROLPLANE_DIR. Prints the layer map on success.
"""
import os
import re
import sys

ORDER = ["leaf", "registry", "service", "api", "main"]
MAX_LINES = 800


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "../../controlplane")
    files = sorted(f for f in os.listdir(root) if re.match(r"cp[_a-z0-9]*\.[ch]$", f))
    layer, edges, problems, lines = {}, {}, [], {}
    for f in files:
        text = open(os.path.join(root, f)).read()
        stem = f[:-2]
        lines[f] = text.count("\n")
        if lines[f] > MAX_LINES:
            problems.append(f"{f}: {lines[f]} lines (over {MAX_LINES})")
        opening = re.split(r"^#", text, maxsplit=1, flags=re.M)[0]  # the comments before any directive
        m = re.search(r"^ \* Layer: ([a-z]+)\.$", opening, re.M)
        if m is None or m.group(1) not in ORDER:
            problems.append(f"{f}: no 'Layer: NAME.' line (one of {', '.join(ORDER)}) in its opening comment")
            continue
        if stem in layer and layer[stem] != m.group(1):
            problems.append(f"{f}: layer {m.group(1)}, but its module says {layer[stem]}")
        layer[stem] = m.group(1)
        for inc in re.findall(r'^#include "(cp[_a-z0-9]*)\.h"', text, re.M):
            if inc != stem:
                edges.setdefault(stem, set()).add((inc, f))
    for stem, out in sorted(edges.items()):
        for inc, f in sorted(out):
            if inc not in layer:
                problems.append(f"{f}: includes {inc}.h, which is not a controlplane module")
                continue
            if ORDER.index(layer[inc]) > ORDER.index(layer[stem]):
                problems.append(f"{f} ({layer[stem]}) includes {inc}.h ({layer[inc]}): an arrow pointing up")
            if layer[stem] == "leaf" and inc == "cp":
                problems.append(f"{f}: a leaf includes cp.h")
    # cycles: depth-first search over modules
    state, stack = {}, []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for inc, _ in sorted(edges.get(m, ())):
            if inc not in layer:
                continue
            if state.get(inc) == 1:
                problems.append("a cycle: " + " -> ".join(stack[stack.index(inc):] + [inc]))
            elif inc not in state:
                visit(inc)
        stack.pop()
        state[m] = 2

    for m in sorted(layer):
        if m not in state:
            visit(m)
    if problems:
        for p in problems:
            print("layers: " + p, file=sys.stderr)
        return 1
    for name in ORDER:
        mods = sorted(m for m in layer if layer[m] == name)
        print(f"{name:9} {' '.join(mods)}")
    print(f"{len(layer)} modules, {sum(len(v) for v in edges.values())} include edges, no arrow up, no cycle")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
