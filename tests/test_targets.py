"""Every ATTESO form of the annex parses into a typed target that keeps its text."""

from datetime import date

import pytest

from schede_excel.plan.targets import Entry, TargetError, TargetKind, parse_target


@pytest.mark.parametrize(
    "text, kind, value, entry",
    [
        ("95%", TargetKind.PERCENT, 0.95, Entry.PERCENT),
        ("100%", TargetKind.PERCENT, 1.0, Entry.PERCENT),
        ("2%", TargetKind.PERCENT, 0.02, Entry.PERCENT),
        ("95,5 %", TargetKind.PERCENT, 0.955, Entry.PERCENT),
        ("4", TargetKind.NUMBER, 4, Entry.NUMBER),
        ("20", TargetKind.NUMBER, 20, Entry.NUMBER),
        ("1.500,50", TargetKind.NUMBER, 1500.5, Entry.NUMBER),
        ("€ 10.000", TargetKind.NUMBER, 10000, Entry.NUMBER),
        ("30gg", TargetKind.WITHIN_DAYS, 30, Entry.DAYS),
        ("30 giorni", TargetKind.WITHIN_DAYS, 30, Entry.DAYS),
        ("nessuna", TargetKind.ZERO, 0, Entry.COUNT),
        ("nessuno", TargetKind.ZERO, 0, Entry.COUNT),
    ],
)
def test_numeric_forms(text, kind, value, entry):
    target = parse_target(text, 2023)
    assert target.kind is kind
    assert target.value == pytest.approx(value)
    assert target.entry is entry
    assert target.text == text


@pytest.mark.parametrize(
    "text, deadline",
    [
        ("31-gen", date(2023, 1, 31)),
        ("30-giu", date(2023, 6, 30)),
        ("31-dic", date(2023, 12, 31)),
        ("31 dicembre", date(2023, 12, 31)),
        ("15/04/2023", date(2023, 4, 15)),
        ("31/12/2023", date(2023, 12, 31)),
        ("31/05/23", date(2023, 5, 31)),
        ("31/12", date(2023, 12, 31)),
        ("giugno", date(2023, 6, 30)),
        ("febbraio", date(2023, 2, 28)),
        ("entro il 31/10/2023", date(2023, 10, 31)),
        ("entro giugno", date(2023, 6, 30)),
    ],
)
def test_deadline_forms(text, deadline):
    target = parse_target(text, 2023)
    assert target.kind is TargetKind.DEADLINE
    assert target.deadline == deadline
    assert target.entry is Entry.DATE
    assert target.text == text


def test_recurring_forms_count_what_is_due_at_a_review():
    monthly = parse_target("mensile", 2023)
    assert monthly.kind is TargetKind.RECURRING and monthly.entry is Entry.PERIODS
    assert monthly.due_periods(date(2023, 6, 30)) == 6
    assert monthly.due_periods(date(2023, 6, 29)) == 5
    assert monthly.due_periods(date(2023, 12, 31)) == 12
    quarterly = parse_target("trimestrale", 2023)
    assert quarterly.due_periods(date(2023, 6, 30)) == 2
    from_april = parse_target("mensile", 2023, start=date(2023, 4, 1))
    assert from_april.due_periods(date(2023, 6, 30)) == 3
    fifth = parse_target("entro il 5 del mese", 2023)
    assert fifth.day_of_month == 5
    assert fifth.due_periods(date(2023, 6, 30)) == 6
    assert fifth.due_periods(date(2023, 6, 4)) == 5


@pytest.mark.parametrize("text", ["entro i termini", "tempestivi", "5 giornate", "Sì", "permanente"])
def test_qualitative_forms_are_yes_no(text):
    target = parse_target(text, 2023)
    assert target.kind is TargetKind.YES_NO
    assert target.entry is Entry.YES_NO
    assert target.text == text


def test_direction():
    assert not parse_target("95%", 2023).lower_is_better
    assert parse_target("1.000", 2023, cost=True).lower_is_better
    assert not parse_target("1.000", 2023, cost=True, lower_is_better=False).lower_is_better
    assert parse_target("nessuna", 2023).lower_is_better


def test_declared_kind():
    assert parse_target("presidio costante degli uffici", 2023, kind=TargetKind.YES_NO).kind is TargetKind.YES_NO
    with pytest.raises(TargetError, match="dichiara"):
        parse_target("95%", 2023, kind=TargetKind.DEADLINE)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("31-feb", "31 febbraio 2023 non esiste"),
        ("30/02/2023", "non esiste"),
        ("12/13/2023", "mese 13"),
        ("", "vuoto"),
        ("boh", "non riconosciuta"),
        ("entro il 40 del mese", "giorno 40"),
    ],
)
def test_forms_not_understood(text, reason):
    with pytest.raises(TargetError, match=reason):
        parse_target(text, 2023)


def test_the_sheet_and_the_reader_accept_the_same_yes_words():
    from schede_excel.sheet.formulas import YES_WORDS
    from schede_excel.returns.values import YES

    assert {w.casefold() for w in YES_WORDS} == YES


def test_dotted_forms():
    assert parse_target("15.04.2023", 2023).deadline == date(2023, 4, 15)
    with pytest.raises(TargetError):
        parse_target("1.5", 2023)  # neither 1 May nor one and a half: the Italian form is 1,5
    assert parse_target("1,5", 2023).value == 1.5


def test_numbers_too_large_for_a_sheet_are_refused():
    from schede_excel.returns.values import parse_number

    with pytest.raises(TargetError, match="troppo grande"):
        parse_target("9" * 401, 2023)
    assert parse_number("9" * 400) is None
