"""The pure check rules and the field validation, without a database."""

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from onboarding import checks as rules
from onboarding.validation import application_data_clean, tax_id_clean

TODAY = dt.date(2026, 11, 21)


def test_age_on_and_around_the_18th_birthday():
    assert rules.age_check(dt.date(2008, 11, 21), today=TODAY) == rules.CheckResult(
        "age", True, "The applicant is 18."
    )
    assert rules.age_check(dt.date(2008, 11, 22), today=TODAY) == rules.CheckResult(
        "age", False, "The applicant is 17, under 18."
    )
    assert rules.age_check(None, today=TODAY).passed is False


@given(
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2026, 1, 1)),
    days=st.integers(min_value=0, max_value=40_000),
)
def test_age_never_decreases_and_counts_whole_years(birth, days):
    today = birth + dt.timedelta(days=days)
    later = today + dt.timedelta(days=1)
    age = rules.age_years(birth, today)
    assert 0 <= age <= days // 365
    assert rules.age_years(birth, later) in (age, age + 1)


def test_documents_names_what_is_missing():
    assert rules.documents_check({"identity"}).message == "Missing document: proof of address."
    assert rules.documents_check({"identity", "proof_of_address", "other"}).passed is True


def test_watchlist_matches_fuzzy_names_only_with_a_compatible_birthday():
    watchlist = rules.WatchList(
        [
            rules.WatchListName("Jonathan Smith", dt.date(1970, 1, 2)),
            rules.WatchListName("Mara Sanctioned", None),
        ]
    )
    # reordered, accented, a letter off, same birthday: a hit
    assert rules.watchlist_check("Smith Jonathon", dt.date(1970, 1, 2), watchlist).passed is False
    # same name, another birthday: a different person
    assert rules.watchlist_check("Jonathan Smith", dt.date(1980, 1, 2), watchlist).passed is True
    # no birthday on the list: the name must be very close
    assert rules.watchlist_check("Mára Sanctioned", None, watchlist).passed is False
    assert rules.watchlist_check("Mark Santioner", None, watchlist).passed is True


def test_suitability_for_options_futures_and_margin():
    result = rules.suitability_check(
        trading_permissions=["stocks", "futures"],
        margin_type="reg_t",
        experience={"futures": 1},
        objectives=["income"],
        liquid_net_worth=Decimal("1500"),
    )
    assert result.message == (
        "Not suitable: futures need at least 2 year(s) of futures experience; futures need an "
        "objective among hedging, speculation; margin needs at least 1 year of stock trading "
        "experience; margin needs a liquid net worth of at least 2000."
    )
    ok = rules.suitability_check(
        trading_permissions=["stocks", "options"],
        margin_type="reg_t",
        experience={"options": 2, "stocks": 3},
        objectives=["growth"],
        liquid_net_worth=Decimal("50000"),
    )
    assert ok.passed is True


def test_tax_ids_are_validated_per_country_where_stdnum_knows_them():
    assert tax_id_clean("536-90-4399", "US") == "536904399"
    assert tax_id_clean("36 574 261 809", "DE") == "36574261809"  # Steuer-IdNr check digit
    assert tax_id_clean("1234567890", "JP") == "1234567890"  # no validator: plain shape only
    for bad, country in (("36 574 261 808", "DE"), ("12", "US"), ("??", "JP")):
        try:
            tax_id_clean(bad, country)
        except ValueError:
            continue
        raise AssertionError(f"{bad} accepted for {country}")


def test_application_fields_are_cleaned_and_every_error_named():
    cleaned, errors = application_data_clean(
        {
            "citizenship": "deu",
            "country": "GB",
            "phone": "020 7946 0958",
            "base_currency": "eur",
            "net_worth": "100",
            "liquid_net_worth": "200",
            "trading_permissions": "stocks;crypto",
            "shoe_size": "44",
        },
        complete=False,
    )
    assert cleaned["citizenship"] == "DE"
    assert cleaned["phone"] == "+442079460958"
    assert cleaned["base_currency"] == "EUR"
    assert errors == {
        "trading_permissions": (
            "has unknown values crypto (allowed: stocks, options, futures, forex, bonds)"
        ),
        "shoe_size": "is not a field of an application",
        "liquid_net_worth": "cannot exceed the net worth",
    }
