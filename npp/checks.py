"""Startup checks of the production profile.

The production profile serves static files through WhiteNoise's manifest storage: every
``{% static %}`` looks its file up in ``STATIC_ROOT/staticfiles.json``, which only
``collectstatic`` writes. Without it every page that links a stylesheet answers 500. So the
production server refuses to start instead (``npp.wsgi`` calls ``refuse_without_static``), and
``check --deploy`` says the same; ``make web`` runs ``collectstatic --noinput`` first.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages

COLLECT = "run `python manage.py collectstatic --noinput` (`make web` does) before starting"


def static_manifest_problem() -> tuple[str, str] | None:
    """``(check id, message)`` when the static storage needs a manifest it cannot use: none
    in ``STATIC_ROOT``, an unreadable one, or one older than the code (a static file the
    finders know is not in it). ``None`` when fine, or when the storage needs no manifest."""
    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin):
        return None
    where = f"{settings.STATIC_ROOT}/{storage.manifest_name}"
    if storage.read_manifest() is None:
        return "npp.E001", f"Static files are not collected: {where} does not exist; {COLLECT}."
    try:
        paths, _ = storage.load_manifest()
    except ValueError:
        return "npp.E001", f"Static files manifest {where} cannot be read; {COLLECT}."
    ignore = apps.get_app_config("staticfiles").ignore_patterns
    missing = sorted(
        {
            path
            for finder in finders.get_finders()
            for path, _ in finder.list(ignore)
            if path not in paths
        }
    )
    if missing:
        shown = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
        return "npp.E002", (
            f"Static files manifest {where} is older than the code: "
            f"{len(missing)} file(s) missing ({shown}); {COLLECT}."
        )
    return None


@register(Tags.staticfiles, deploy=True)
def static_files_collected(app_configs=None, **kwargs) -> list[Error]:
    problem = static_manifest_problem()
    if problem is None:
        return []
    check_id, message = problem
    return [Error(message, id=check_id)]


def refuse_without_static() -> None:
    """Raise ``ImproperlyConfigured`` (the server does not start) if pages would answer 500
    for want of collected static files."""
    problem = static_manifest_problem()
    if problem is not None:
        raise ImproperlyConfigured(problem[1])
