#!/usr/bin/env python3
"""Reference renderer: Python Jinja2 configured as Hugging Face transformers does.

Usage: jinja_reference.py CASES.json
CASES.json is a list of {"template": <path or null>, "source": <template text or null>,
"context": {...}}. Prints a JSON list with {"ok": <render>} or {"error": <message>} per case.
"""
import datetime
import json
import sys

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(fmt):
    return datetime.datetime.now().strftime(fmt)


def make_env():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    env = make_env()
    compiled = {}
    results = []
    for case in cases:
        try:
            key = case.get("template") or case.get("source")
            if key not in compiled:
                if case.get("template"):
                    with open(case["template"], encoding="utf-8", newline="") as f:
                        src = f.read()
                else:
                    src = case["source"]
                compiled[key] = env.from_string(src)
            results.append({"ok": compiled[key].render(**case["context"])})
        except Exception as e:  # any failure counts as "the template errors"
            results.append({"error": f"{type(e).__name__}: {e}"})
    sys.stdout.write(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
