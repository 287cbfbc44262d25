from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npp.settings")
application = get_wsgi_application()

from npp.checks import refuse_without_static  # noqa: E402 - needs the settings loaded

# The production server refuses to start rather than answer 500 on every page.
refuse_without_static()
