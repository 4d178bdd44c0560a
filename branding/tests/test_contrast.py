import pytest
from hypothesis import given
from hypothesis import strategies as st

from branding.contrast import contrast_failures, contrast_ratio, hex_parse, relative_luminance

colours = st.integers(min_value=0, max_value=0xFFFFFF).map(lambda n: f"#{n:06x}")


def test_black_on_white_is_21_to_1():
    # given / when
    ratio = contrast_ratio("#000000", "#ffffff")
    # then
    assert ratio == pytest.approx(21.0)


def test_known_grey_ratio():
    # given #777777 on white: WebAIM's contrast checker reports 4.47:1
    # when
    ratio = contrast_ratio("#777777", "#FFFFFF")
    # then
    assert round(ratio, 2) == 4.48


def test_short_hex_equals_long_hex():
    assert hex_parse("#0af") == (0, 170, 255)
    assert contrast_ratio("#0af", "#fff") == contrast_ratio("#00aaff", "#ffffff")


def test_malformed_colour_is_refused():
    with pytest.raises(ValueError, match="not a hex colour"):
        hex_parse("blue")


@given(colours, colours)
def test_ratio_is_symmetric_and_bounded(first, second):
    ratio = contrast_ratio(first, second)
    assert ratio == pytest.approx(contrast_ratio(second, first))
    assert 1.0 <= ratio <= 21.0 + 1e-9


@given(colours)
def test_a_colour_against_itself_is_1(colour):
    assert contrast_ratio(colour, colour) == pytest.approx(1.0)


@given(colours)
def test_luminance_in_unit_range(colour):
    assert 0.0 <= relative_luminance(colour) <= 1.0


@given(colours, colours)
def test_failures_exactly_the_pairs_below_threshold(first, second):
    # given
    palette = {"fg": first, "bg": second}
    # when
    failures = contrast_failures(palette, (("fg", "bg"),))
    # then
    assert (len(failures) == 1) == (contrast_ratio(first, second) < 4.5)


def test_failure_message_truncates_instead_of_rounding_up():
    # given a pair just below 4.5 (#767676 on white is 4.54, #777777 is 4.48)
    failures = contrast_failures({"t": "#777777", "b": "#ffffff"}, (("t", "b"),))
    # then
    assert failures[0].message({"t": "text colour", "b": "page background"}) == (
        "Contrast of text colour on page background is 4.47:1; "
        "WCAG AA needs at least 4.5:1 for text."
    )
