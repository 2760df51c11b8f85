#!/usr/bin/env python3
"""Semantic diff of two OpenAPI documents: paths, operations, parameters, request bodies,
responses, security and components. Ignores ordering. Usage: spec_diff.py OLD NEW"""
import json, sys

def load(p):
    with open(p) as f:
        return json.load(f)

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

def norm(x):
    """Order-insensitive canonical form (lists of parameters keyed by (in, name))."""
    if isinstance(x, dict):
        return {k: norm(v) for k, v in sorted(x.items())}
    if isinstance(x, list):
        items = [norm(v) for v in x]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return x

def diff(a, b, where, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append(f"+ {where}/{k}: {json.dumps(b[k], ensure_ascii=False)[:200]}")
            elif k not in b:
                out.append(f"- {where}/{k}: {json.dumps(a[k], ensure_ascii=False)[:200]}")
            else:
                diff(a[k], b[k], f"{where}/{k}", out)
    elif a != b:
        out.append(f"~ {where}: {json.dumps(a, ensure_ascii=False)[:200]} -> {json.dumps(b, ensure_ascii=False)[:200]}")

def ops(spec):
    res = {}
    for path, item in spec.get("paths", {}).items():
        for m in METHODS:
            if m in item:
                op = dict(item[m])
                op["parameters"] = {f'{p["in"]}:{p["name"]}': p for p in op.get("parameters", [])}
                res[f"{m.upper()} {path}"] = norm(op)
    return res

old, new = load(sys.argv[1]), load(sys.argv[2])
out = []
o, n = ops(old), ops(new)
for k in sorted(set(o) | set(n)):
    if k not in n:
        out.append(f"- operation {k}")
    elif k not in o:
        out.append(f"+ operation {k}")
    else:
        diff(o[k], n[k], k, out)
diff(norm(old.get("components", {})), norm(new.get("components", {})), "components", out)
for key in ("info", "servers", "tags", "security", "openapi"):
    diff(norm(old.get(key)), norm(new.get(key)), key, out)
print("\n".join(out) if out else "no semantic difference")
print(f"{len(o)} operations before, {len(n)} after", file=sys.stderr)
