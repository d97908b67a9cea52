"""A small mutation tester: how much would the tests let slip? Slow; never run in CI.

    HOWTOVOTE_DATA=../shared/data python -m bench.mutation bot/advice/rules.py \\
        tests/advice/test_advice.py tests/advice/test_advice_rules.py

One change at a time (a comparison flipped, `and`/`or` swapped, a number doubled), the
module written back, the given tests run; a mutant the tests still pass "survives".
The file is always restored, even on Ctrl-C. Prints the score and every survivor.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FLIPS: dict[type, type] = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
                           ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn,
                           ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}


@dataclass(frozen=True)
class Mutant:
    line: int
    description: str
    source: str


def mutants(source: str) -> Iterator[Mutant]:
    tree = ast.parse(source)
    targets = [n for n in ast.walk(tree) if _mutable(n)]
    for index, node in enumerate(targets):
        for description in _variants(node):
            mutated = ast.parse(source)
            twin = [n for n in ast.walk(mutated) if _mutable(n)][index]
            _apply(twin, description)
            yield Mutant(node.lineno, description, ast.unparse(mutated))


def _mutable(node: ast.AST) -> bool:
    if isinstance(node, ast.Compare):
        return type(node.ops[0]) in FLIPS
    if isinstance(node, ast.BoolOp):
        return True
    return (isinstance(node, ast.Constant) and type(node.value) in (int, float)
            and not isinstance(node.value, bool))


def _variants(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Compare):
        return [f"{type(node.ops[0]).__name__} -> {FLIPS[type(node.ops[0])].__name__}"]
    if isinstance(node, ast.BoolOp):
        return ["and -> or" if isinstance(node.op, ast.And) else "or -> and"]
    return [f"{node.value!r} -> {node.value * 2 if node.value else 1!r}"]


def _apply(node: ast.AST, description: str) -> None:
    if isinstance(node, ast.Compare):
        node.ops[0] = FLIPS[type(node.ops[0])]()
    elif isinstance(node, ast.BoolOp):
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    else:
        node.value = node.value * 2 if node.value else 1


def killed(tests: list[str]) -> bool:
    done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                           "-n", "0", *tests], capture_output=True, timeout=600)
    return done.returncode != 0


def main(argv: list[str]) -> int:
    module, tests = Path(argv[0]), argv[1:]
    original = module.read_text()
    if killed(tests):
        print("the tests fail before any mutation: fix them first", file=sys.stderr)
        return 2
    survivors, total = [], 0
    try:
        for mutant in mutants(original):
            total += 1
            module.write_text(mutant.source)
            if not killed(tests):
                survivors.append(mutant)
                print(f"  survived: line {mutant.line}: {mutant.description}", flush=True)
    finally:
        module.write_text(original)
    dead = total - len(survivors)
    print(f"{module}: {dead} of {total} mutants killed ({dead / total:.0%})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
