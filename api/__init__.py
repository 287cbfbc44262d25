"""The JSON API under ``/api/v1/``: what the portals show and do, for programs.

``views/`` holds one module per resource (cases, documents, reminders) and the doc page;
``selectors`` and ``serializers`` shape what the apps' selectors return; tokens are
``models.ApiToken``, written by ``services`` and checked by ``authentication``.
"""
