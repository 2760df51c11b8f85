#!/usr/bin/env python3
"""Import cycles between the crate's source files, and between its top-level modules.

Reads every `src/**/*.rs`, resolves each `use crate::a::b::{…}` (and `crate::a::b::f(…)` paths in
code) to the file that defines the module it names, and prints the strongly connected
components of that file graph with more than one file (Tarjan), then the same for the graph
of top-level modules (`workflow`, `processes`, …: a concept imports another concept). A component is a set of files
that import each other, directly or not: none of them can be understood, tested or moved
without the others. Exit status 0 always; the last line is the count.

    python3 scripts/tools/import_cycles.py [SRC_DIR]
"""
import os
import re
import sys

src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "src")
src = os.path.normpath(src)

files = {}
for dirpath, _, names in os.walk(src):
    for n in names:
        if n.endswith(".rs"):
            path = os.path.join(dirpath, n)
            rel = os.path.relpath(path, src)
            parts = rel[:-3].split(os.sep)
            if parts[-1] in ("mod", "lib", "main"):
                parts = parts[:-1]
            files[tuple(parts)] = rel


def module_file(segments):
    """The longest prefix of `segments` that is a module file."""
    for n in range(len(segments), 0, -1):
        if tuple(segments[:n]) in files:
            return files[tuple(segments[:n])]
    return None


PATH = re.compile(r"crate((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
USE_GROUP = re.compile(r"use\s+crate::([A-Za-z0-9_:]*)\{([^;]*)\};", re.S)

edges = {rel: set() for rel in files.values()}
for key, rel in files.items():
    text = open(os.path.join(src, rel), encoding="utf-8").read()
    text = re.sub(r"//[^\n]*", "", text)
    # tests inside a file do not make it depend on anything at run time
    text = text.split("#[cfg(test)]", 1)[0]
    targets = set()
    for m in PATH.finditer(text):
        segs = [s for s in m.group(1).split("::") if s]
        targets.add(module_file(segs))
    for m in USE_GROUP.finditer(text):
        prefix = [s for s in m.group(1).split("::") if s]
        for item in re.split(r",", m.group(2)):
            item = item.strip().split(" as ")[0].strip()
            if not item or item == "self":
                targets.add(module_file(prefix))
                continue
            first = re.split(r"::|\{", item)[0].strip()
            targets.add(module_file(prefix + [first]))
    # `super::x` from a module file
    for m in re.finditer(r"super::([A-Za-z_][A-Za-z0-9_]*)", text):
        parent = list(key[:-1]) if not rel.endswith("mod.rs") else list(key[:-1])
        targets.add(module_file(parent + [m.group(1)]))
    edges[rel] = {t for t in targets if t and t != rel}

def components(graph):
    index, low, on, stack, comps = {}, {}, set(), [], []
    counter = [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return sorted(comps, key=len, reverse=True)


sys.setrecursionlimit(10000)


def top(rel):
    return rel.split(os.sep)[0].removesuffix(".rs")


modules = {}
for v, ws in edges.items():
    modules.setdefault(top(v), set()).update(top(w) for w in ws if top(w) != top(v))
for graph, what in ((edges, "files"), (modules, "modules")):
    comps = components(graph)
    for c in comps:
        print(f"{len(c)} {what}: " + ", ".join(c))
    largest = max((len(c) for c in comps), default=0)
    print(f"{what}: {len(comps)} cycle(s); the largest joins {largest}; {len(graph)} {what} in all")
