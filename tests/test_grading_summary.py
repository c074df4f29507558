"""The tally under a check report, as a TA marks a script: the one place the work first goes wrong,
how many later numbers only carry that error, and how much else is wrong on its own; not a list of
every wrong step. Every number is worked by hand in the comment beside it."""

from __future__ import annotations

from grading_checks import graded

# x = 1: a = 2, b = 2a = 4, c = b + 1 = 5, d = 3c = 15, g = d + 1 = 16
CHAIN = """title = "a chain"
[graph]
steps = "a = x + 1; b = 2*a; c = b + 1; d = 3*c; g = d + 1"
at = { x = 1 }
[claims]
"""


def test_the_tally_names_the_first_wrong_step_and_counts_what_it_carries():
    # a = 3 is wrong (1 + 1 = 2); b = 2·3 = 6 and c = 6 + 1 = 7 are right for it; d = 20 is wrong
    # again (3·7 = 21), and g = 20 + 1 = 21 is right for that. The claims are listed out of order:
    # "first" is the order of the work, not of the file.
    report = graded(CHAIN + "d = 20\ng = 21\na = 3\nb = 6\nc = 7\n")
    assert report.first_departure == "a" and report.carried_from_first == ["b", "c"]
    assert sorted(report.first_departures) == ["a", "d"]
    assert report.lines()[-1] == ("  5 of 5 claims wrong; the work first goes wrong at a, and 2 later claims carry"
                                  " that error forward; 1 other step goes wrong on its own, and 1 more claim"
                                  " carries its error forward")
    data = report.to_dict()
    assert data["first_departure"] == "a" and data["carried_from_first"] == ["b", "c"]


def test_one_wrong_step_and_nothing_carried_is_one_short_clause():
    report = graded(CHAIN + "a = 2\nb = 4\nc = 6\n")  # c = 4 + 1 = 5, not 6; nothing later is claimed
    assert report.lines()[-1] == "  1 of 3 claims wrong; the work first goes wrong at c"


def test_a_carried_error_is_counted_once_and_the_other_steps_by_number():
    # a = 3 wrong, b = 6 carried; c = 8 wrong on its own (6 + 1 = 7), d = 3·8 = 24 carried from c,
    # g = 30 wrong on its own (24 + 1 = 25)
    report = graded(CHAIN + "a = 3\nb = 6\nc = 8\nd = 24\ng = 30\n")
    assert report.lines()[-1] == ("  5 of 5 claims wrong; the work first goes wrong at a, and 1 later claim carries"
                                  " that error forward; 2 other steps go wrong on their own, and 1 more claim"
                                  " carries their errors forward")


def test_a_right_script_has_no_departure():
    report = graded(CHAIN + "a = 2\nd = 15\n")
    assert report.first_departure == "" and report.carried_from_first == []
    assert report.lines()[-1] == "  0 of 2 claims wrong"
