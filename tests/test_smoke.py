from __future__ import annotations

from tests.factories import walk_to


def test_a_case_walks_the_main_line_to_closed(case_a, facilitator):
    case = walk_to(case_a, "closed", facilitator)
    assert case.state == "closed"
