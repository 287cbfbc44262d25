"""Each signed-in user reads pages in the language they chose (``LanguagePreference``);
everyone else in the default. The guardian page sets its link's language itself."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from .language import stored_language


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = stored_language(getattr(request, "user", None))
        with translation.override(language):
            request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]
            response = self.get_response(request)
            response.headers.setdefault("Content-Language", translation.get_language())
        return response
