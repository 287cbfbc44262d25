from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npp.settings")
application = get_asgi_application()

from npp.checks import refuse_without_static  # noqa: E402 - needs the settings loaded

refuse_without_static()  # as npp.wsgi: no server without collected static files
