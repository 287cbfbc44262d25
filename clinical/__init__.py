"""After the infusion: lab values per monitoring slot, safety signals, the steroid course,
adverse events and outcomes (issue 15). Sits above ``documents`` and below the portals; the
pure label rules stay in ``cases.clinical``."""
