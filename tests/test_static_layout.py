"""Static checks of the module's layout (issue 14 item 6; STYLE.md "Layout" and
"Architecture"): each kind of record has one home, and no XML id is defined twice.
A second definition of an id silently wins over the first (the later-loaded file rewrites
the record), so two files that disagree are a trap."""

import ast
import csv
import re
from collections import defaultdict
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
MODULE = ROOT / "delivery_crm"
MENUS_FILE = "views/delivery_crm_menus.xml"
CRON_FILE = "data/ir_cron_data.xml"
MAIL_TEMPLATE_FILE = "data/mail_template_data.xml"


def _manifest():
    return ast.literal_eval((MODULE / "__manifest__.py").read_text(encoding="utf-8"))


def _manifest_files():
    manifest = _manifest()
    return manifest["data"] + manifest.get("demo", [])


def _xml_id(xml_id):
    return xml_id.removeprefix(f"{MODULE.name}.")


def _definitions():
    """(file, line, kind, xml id) of every record a data or demo file defines."""
    for name in _manifest_files():
        path = MODULE / name
        if name.endswith(".csv"):
            with path.open(encoding="utf-8") as handle:
                for line, row in enumerate(csv.DictReader(handle), start=2):
                    yield name, line, path.stem, _xml_id(row["id"])
            continue
        for node in etree.parse(str(path)).iter("record", "menuitem", "template", "report"):
            if node.get("id"):
                kind = node.get("model") or {"menuitem": "ir.ui.menu"}.get(node.tag, node.tag)
                yield name, node.sourceline, kind, _xml_id(node.get("id"))


def test_manifest_files_are_read():
    kinds = {kind for _name, _line, kind, _xml_id in _definitions()}
    # the scan sees every kind this test is about: it would pass vacuously otherwise
    assert {"ir.cron", "ir.rule", "ir.ui.menu", "mail.template"} <= kinds, kinds


def test_no_xml_id_defined_twice():
    places = defaultdict(list)
    for name, line, _kind, xml_id in _definitions():
        places[xml_id].append(f"{name}:{line}")
    twice = {xml_id: where for xml_id, where in places.items() if len(where) > 1}
    assert not twice, f"XML ids defined more than once: {twice}"


def _misplaced(kind, home):
    return [
        f"{name}:{line} {xml_id}"
        for name, line, record_kind, xml_id in _definitions()
        if record_kind == kind and not home(name)
    ]


def test_crons_in_one_file():
    misplaced = _misplaced("ir.cron", lambda name: name == CRON_FILE)
    assert not misplaced, f"crons outside {CRON_FILE}: {misplaced}"


def test_menus_in_one_file():
    misplaced = _misplaced("ir.ui.menu", lambda name: name == MENUS_FILE)
    assert not misplaced, f"menus outside {MENUS_FILE}: {misplaced}"


def test_menus_file_loads_last():
    """A menu's action must exist when the menu is loaded: every view file comes first."""
    assert _manifest()["data"][-1] == MENUS_FILE


def test_record_rules_in_security():
    misplaced = _misplaced("ir.rule", lambda name: name.startswith("security/"))
    assert not misplaced, f"record rules outside security/: {misplaced}"


def test_mail_templates_together():
    misplaced = _misplaced("mail.template", lambda name: name == MAIL_TEMPLATE_FILE)
    assert not misplaced, f"mail templates outside {MAIL_TEMPLATE_FILE}: {misplaced}"


def test_sql_view_reports_in_report():
    """A report read from an SQL view (`_auto = False`, a `.report` model) lives in report/
    beside its views, as Odoo 19's crm/report/."""
    misplaced, found = [], 0
    for path in sorted(MODULE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if not re.search(r"^\s+_auto = False$", source, re.MULTILINE):
            continue
        for model in re.findall(r'^\s+_name = "([\w.]+\.report)"$', source, re.MULTILINE):
            found += 1
            views = MODULE / "report" / f"{model.replace('.', '_')}_views.xml"
            if path.parent.name != "report" or not views.is_file():
                misplaced.append(f"{path.relative_to(MODULE)} ({model})")
    assert found, "no SQL-view report found: the scan is broken"
    assert not misplaced, f"SQL-view reports outside report/ or without their views: {misplaced}"
