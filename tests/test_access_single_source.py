"""Access is decided in one place: ``cases/access.py``.

The test greps the project's Python (not tests, not migrations) for the ways a role can be
checked: the staff and superuser flags, group membership, a user's doctor or hospital-admin
record, the clinical access grant, Django's or django-fsm's permission calls. Each must appear
only in the modules allowed to decide access. A new check anywhere else fails here with its
file and line; move it into ``cases.access`` and call that instead.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SCANNED = (
    "npp",
    "cases",
    "documents",
    "portals",
    "dashboard",
    "api",
    "webhooks",
    "funding",
    "coldchain",
)

# The modules that may decide access: the access module, and the old names it re-exports
# (thin: test_the_re_export_decides_nothing below).
ALLOWED = {"cases/access.py", "cases/permissions.py"}

ROLE_CHECKS: dict[str, str] = {
    "the staff flag": r"\.is_staff\b|\bis_staff\s*=(?!=)",
    "the superuser flag": r"\.is_superuser\b",
    "group membership": r"\.groups\.(?:filter|all|exists|values|values_list)\b|\bgroups__name\b",
    "the Facilitators group": r"\bFACILITATORS_GROUP\b",
    "a user's doctor or hospital-admin record": (
        r"""(?:has|get)attr\(\s*[\w.\[\]"']+\s*,\s*["'](?:doctor|hospital_admin)["']"""
        r"|\b(?:user|by)\.doctor\b|\.hospital_admin\b"
    ),
    "the old role helpers": r"\buser_(?:doctor|hospital)_id\b",
    "scoping through a user's role record": r"\bdoctor__user(?:_id)?\s*=|admins__user(?:_id)?\s*=",
    "the clinical access grant": (
        r"\.clinical_access_grant\b|\bclinical_access_grant__|\bClinicalAccessGrant\.objects\b"
    ),
    "a permission call": r"\.has_perms?\(|\bhas_transition_perm\(",
}

# Where one kind of match is not a decision, and why. Keep this short.
ALSO_ALLOWED: dict[str, dict[str, str]] = {
    "the clinical access grant": {
        "documents/services.py": "case_grant_clinical_access and case_revoke_clinical_access "
        "write the grant after asking cases.access",
    },
}

_COMPILED = {name: re.compile(pattern) for name, pattern in ROLE_CHECKS.items()}


def role_checks_in(text: str) -> list[tuple[int, str]]:
    """(line number, check name) of every role check in ``text``; comment lines are skipped."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        found += [(number, name) for name, pattern in _COMPILED.items() if pattern.search(line)]
    return found


def project_modules(root: Path = ROOT) -> list[Path]:
    return sorted(
        path
        for package in SCANNED
        for path in (root / package).rglob("*.py")
        if "migrations" not in path.relative_to(root).parts
    )


def misplaced_role_checks(root: Path = ROOT) -> list[str]:
    misplaced = []
    for path in project_modules(root):
        relative = path.relative_to(root).as_posix()
        if relative in ALLOWED:
            continue
        for number, name in role_checks_in(path.read_text()):
            if relative not in ALSO_ALLOWED.get(name, {}):
                misplaced.append(f"{relative}:{number}: {name}")
    return misplaced


def test_role_checks_appear_only_in_the_access_module():
    assert misplaced_role_checks() == []


def test_the_scan_covers_the_project():
    modules = {path.relative_to(ROOT).as_posix() for path in project_modules()}

    assert modules >= ALLOWED
    assert {
        "npp/urls.py",
        "cases/admin/case.py",
        "documents/selectors.py",
        "portals/common.py",
        "dashboard/views.py",
    } <= modules
    assert not any("/migrations/" in module for module in modules)
    for allowances in ALSO_ALLOWED.values():
        assert set(allowances) <= modules


@pytest.mark.parametrize(
    ("line", "check"),
    [
        ("if request.user.is_staff:", "the staff flag"),
        ("users.filter(is_staff=True)", "the staff flag"),
        ("return user.is_superuser", "the superuser flag"),
        ('user.groups.filter(name="Facilitators").exists()', "group membership"),
        ('User.objects.filter(groups__name="Facilitators")', "group membership"),
        ("Group.objects.get(name=FACILITATORS_GROUP)", "the Facilitators group"),
        ('if hasattr(user, "doctor"):', "a user's doctor or hospital-admin record"),
        (
            'admin = getattr(request.user, "hospital_admin", None)',
            "a user's doctor or hospital-admin record",
        ),
        ("doctor = request.user.doctor", "a user's doctor or hospital-admin record"),
        ("hospital = user.hospital_admin.hospital", "a user's doctor or hospital-admin record"),
        ("if permissions.user_doctor_id(user) is not None:", "the old role helpers"),
        ("Case.objects.filter(doctor__user=request.user)", "scoping through a user's role record"),
        (
            "Case.objects.filter(hospital__admins__user=user)",
            "scoping through a user's role record",
        ),
        ("case.clinical_access_grant", "the clinical access grant"),
        ("Case.objects.filter(clinical_access_grant__isnull=False)", "the clinical access grant"),
        ("ClinicalAccessGrant.objects.filter(case=case).exists()", "the clinical access grant"),
        ('request.user.has_perm("cases.change_case")', "a permission call"),
        ("meta.has_transition_perm(case, case.state, user)", "a permission call"),
    ],
)
def test_the_grep_finds_each_kind_of_role_check(line, check):
    assert (1, check) in role_checks_in(line)


@pytest.mark.parametrize(
    "line",
    [
        "@hospital_admin_required",
        'related_name="hospital_admin"',
        'Case.objects.select_related("doctor__user")',
        "recipients = (case.facilitator, case.doctor.user)",
        "if access.is_facilitator(request.user):",
        "def has_change_permission(self, request, obj=None) -> bool:",
        "# a comment may say user.is_staff",
    ],
)
def test_the_grep_leaves_ordinary_code_alone(line):
    assert role_checks_in(line) == []


def test_a_new_role_check_outside_the_access_module_fails(tmp_path):
    for package in SCANNED:
        (tmp_path / package).mkdir()
    (tmp_path / "cases" / "access.py").write_text("def f(user):\n    return user.is_staff\n")
    (tmp_path / "portals" / "views.py").write_text(
        "def view(request):\n    x = 1\n    if request.user.is_superuser:\n        return x\n"
    )
    (tmp_path / "cases" / "migrations").mkdir()
    (tmp_path / "cases" / "migrations" / "0001.py").write_text("user.is_staff\n")

    assert misplaced_role_checks(tmp_path) == ["portals/views.py:3: the superuser flag"]


# --- The re-export stays thin -----------------------------------------------------------------


def _only_calls_access(node: ast.AST) -> bool:
    """An expression made of names, attributes of ``access``, calls of them and ``or``."""
    calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
    return all(
        isinstance(call.func, ast.Attribute)
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == "access"
        for call in calls
    ) and not any(isinstance(n, ast.Compare | ast.Subscript | ast.IfExp) for n in ast.walk(node))


def test_the_re_export_decides_nothing():
    """cases/permissions.py only names cases.access's functions (for old imports)."""
    tree = ast.parse((ROOT / "cases" / "permissions.py").read_text())
    for statement in tree.body:
        if isinstance(statement, ast.ImportFrom):
            imported = statement.module or statement.names[0].name
            assert imported in ("__future__", "typing", "access"), ast.unparse(statement)
        elif isinstance(statement, ast.FunctionDef):
            (body,) = statement.body
            assert isinstance(body, ast.Return), statement.name
            assert _only_calls_access(body.value), statement.name
        elif isinstance(statement, ast.Assign):
            assert _only_calls_access(statement.value), ast.unparse(statement)
        else:
            assert isinstance(statement, ast.Expr)
            assert isinstance(statement.value, ast.Constant)
