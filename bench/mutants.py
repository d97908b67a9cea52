"""How well the tests pin a module's behaviour: simple mutants (a flipped comparison, a
doubled constant, `and` for `or` and back), a seeded sample of them, each run against the
module's tests; a mutant the tests still pass is one they do not notice.

    python -m bench.mutants bot/advice/rules.py tests/advice/test_advice_rules.py ...

The module is rewritten in place for each mutant and always put back.
"""

from __future__ import annotations

import argparse
import ast
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

FLIP = {ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE, ast.LtE: ast.Gt,
        ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In}


def sites(tree: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """Every place a simple mutant can be made, in source order."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and type(node.ops[0]) in FLIP:
            yield "compare", node
        elif isinstance(node, ast.BoolOp):
            yield "boolop", node
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float) \
                and not isinstance(node.value, bool):
            yield "constant", node


def mutate(kind: str, node: ast.AST) -> str:
    """Change the node in place; say what was done."""
    line = getattr(node, "lineno", "?")
    if kind == "compare":
        old = node.ops[0]
        node.ops[0] = FLIP[type(old)]()
        return f"line {line}: {type(old).__name__} -> {type(node.ops[0]).__name__}"
    if kind == "boolop":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        return f"line {line}: and/or swapped"
    node.value = node.value * 2 if node.value else 1
    return f"line {line}: constant -> {node.value}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("module", type=Path)
    parser.add_argument("tests", nargs="+")
    parser.add_argument("--sample", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    original = args.module.read_text(encoding="utf-8")
    count = sum(1 for _ in sites(ast.parse(original)))
    chosen = sorted(random.Random(args.seed).sample(range(count), min(args.sample, count)))
    survived = []
    try:
        for index in chosen:
            tree = ast.parse(original)
            kind, node = list(sites(tree))[index]
            what = mutate(kind, node)
            args.module.write_text(ast.unparse(tree), encoding="utf-8")
            done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-n", "0",
                                   "-p", "no:cacheprovider", *args.tests],
                                  capture_output=True, text=True)
            killed = done.returncode != 0
            print(f"{'killed  ' if killed else 'SURVIVED'} {what}", flush=True)
            if not killed:
                survived.append(what)
    finally:
        args.module.write_text(original, encoding="utf-8")
    print(f"{len(chosen) - len(survived)} of {len(chosen)} mutants killed "
          f"({(len(chosen) - len(survived)) / len(chosen):.0%}), of {count} sites")
    return 0


if __name__ == "__main__":
    sys.exit(main())
