"""docs/traceability.md cites, for each policy clause, the tests that check its outcome:
every cited test must exist (a renamed or deleted test would leave a row citing nothing)."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "docs" / "traceability.md"
# `path.py::Class::test`, `path.py::test`, `…::test` (same file and class as the one before)
CITATION = re.compile(r"`((?:[\w/]+\.py)|…)(?:::(\w+))?(?:::(\w+))?`")


def _definitions(path):
    """{class name or None: {test names}} of a test file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = {None: set()}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            found[node.name] = {
                item.name for item in node.body if isinstance(item, ast.FunctionDef)
            }
        elif isinstance(node, ast.FunctionDef):
            found[None].add(node.name)
    # inherited test methods count for the subclasses of the same file
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                if isinstance(base, ast.Name) and base.id in found:
                    found[node.name] |= found[base.id]
    return found


def _citations():
    for number, line in enumerate(TABLE.read_text(encoding="utf-8").splitlines(), 1):
        if not line.startswith("| ") or line.count("|") < 5:
            continue
        cell = line.rstrip(" |").rsplit("|", 1)[-1]
        previous = None
        for path, first, second in CITATION.findall(cell):
            if path == "…":
                if previous is None:
                    yield number, None, None, first or second
                    continue
                path, cls = previous
                name = first if not second else second
                cls = first if second else cls
            elif not first:
                cls, name = None, None  # the whole file
            elif second:
                cls, name = first, second
            elif first.startswith("Test"):
                cls, name = first, None
            else:
                cls, name = None, first
            previous = (path, cls)
            yield number, path, cls, name


def test_every_cited_test_exists():
    missing = []
    cache = {}
    count = 0
    for number, path, cls, name in _citations():
        count += 1
        if path is None:
            missing.append(f"line {number}: '…::{name}' follows no citation")
            continue
        file = ROOT / path
        if not file.exists():
            missing.append(f"line {number}: {path} does not exist")
            continue
        definitions = cache.setdefault(path, _definitions(file))
        if cls is not None and cls not in definitions:
            missing.append(f"line {number}: {path}::{cls} does not exist")
        elif name is not None and name not in definitions.get(cls, set()):
            missing.append(f"line {number}: {path}::{cls or ''}::{name} does not exist")
    assert count > 200, f"only {count} citations found: the table format changed?"
    assert not missing, "\n".join(missing)
