"""Amounts as the zone's readers say them."""
import pytest

from onestop.reports.numbers import exact, krw_short, percent


@pytest.mark.parametrize("amount,korean,english", [
    (807_200_000_000, "8,072억 원", "KRW 807.2 bn"),
    (244_388_000_000, "2,443.9억 원", "KRW 244.4 bn"),
    (1_234_500_000_000, "1조 2,345억 원", "KRW 1.2 tn"),
    (2_000_000_000_000, "2조 원", "KRW 2.0 tn"),
    (999_996_000_000, "1조 원", "KRW 1,000.0 bn"),       # rounds up into the next unit
    (3_880_000_000, "38.8억 원", "KRW 3.9 bn"),
    (35_000_000, "3,500만 원", "KRW 35.0 m"),
    (9_999, "9,999원", "KRW 9,999"),
    (0, "0원", "KRW 0"),
    (-40_000_000_000, "-400억 원", "-KRW 40.0 bn"),
])
def test_krw_short(amount, korean, english):
    assert krw_short(amount, "ko") == korean
    assert krw_short(amount, "en") == english


def test_exact_and_percent():
    assert exact(807_200_000_000) == "807,200,000,000"
    assert (percent(0.3028), percent(1.0), percent(0)) == ("30%", "100%", "0%")
