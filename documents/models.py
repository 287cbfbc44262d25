"""Documents of a case (the document model arrives with the documents issue)."""

from __future__ import annotations
