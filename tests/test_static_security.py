"""Static security checks of the module's code (R9, issue 6 item 7), beside pylint-odoo's
sql-injection check that `make lint` runs: every sudo() says why it is safe, every
controller route names its auth and keeps CSRF on."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULE = ROOT / "delivery_crm"
SUDO_COMMENT_WINDOW = 6  # the comment sits on the line or in the lines just above


def _python_files():
    return sorted(p for p in MODULE.rglob("*.py") if "tests" not in p.parts)


def _sudo_calls(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "sudo"
        ):
            yield node.lineno


def test_every_sudo_is_explained():
    unexplained = []
    count = 0
    for path in _python_files():
        lines = path.read_text(encoding="utf-8").splitlines()
        for lineno in _sudo_calls(path):
            count += 1
            window = lines[max(0, lineno - 1 - SUDO_COMMENT_WINDOW) : lineno]
            if not any(re.search(r"#.*\bsudo\b", line) for line in window):
                unexplained.append(f"{path.relative_to(ROOT)}:{lineno}")
    assert count > 0, "no sudo() found: the scan is broken"
    assert not unexplained, "sudo() without a '# sudo: why it is safe' comment: " + ", ".join(
        unexplained
    )


def _routes():
    for path in sorted((MODULE / "controllers").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            for deco in node.decorator_list:
                if (
                    isinstance(deco, ast.Call)
                    and isinstance(deco.func, ast.Attribute)
                    and deco.func.attr == "route"
                ):
                    yield path, node, {kw.arg: kw.value for kw in deco.keywords}


def test_routes_name_their_auth_and_keep_csrf():
    routes = list(_routes())
    assert len(routes) >= 5, "the portal and export routes were not found: the scan is broken"
    for path, func, keywords in routes:
        where = f"{path.relative_to(ROOT)}:{func.lineno} {func.name}"
        assert "auth" in keywords, f"{where}: @http.route without an explicit auth="
        assert ast.literal_eval(keywords["auth"]) in {"user", "public"}, where
        csrf = keywords.get("csrf")
        assert csrf is None or ast.literal_eval(csrf) is True, f"{where}: CSRF turned off"


def test_portal_forms_post_the_csrf_token():
    templates = (MODULE / "views" / "delivery_portal_templates.xml").read_text(encoding="utf-8")
    forms = re.findall(r"<form\b.*?</form>", templates, flags=re.DOTALL)
    posting = [form for form in forms if re.search(r'method="post"', form, flags=re.IGNORECASE)]
    assert posting, "no POST form found in the portal templates: the scan is broken"
    for form in posting:
        assert "csrf_token" in form, f"a portal form posts without the CSRF token:\n{form[:200]}"
