"""Theming: CSS custom properties generated from a brand. Used by the login page, the client
portal (inline in the base layout and at /brand/theme.css), e-mails (inline values, since mail
clients ignore custom properties) and PDFs."""

from .brand import COLOUR_FIELDS, Brand
from .contrast import hex_parse


def _rgb(colour: str) -> str:
    r, g, b = hex_parse(colour)
    return f"{r} {g} {b}"


def theme_variables(brand: Brand) -> dict[str, str]:
    """`--brand-*` custom properties; `*-rgb` variants allow translucent tints in CSS."""
    variables = {}
    for name in COLOUR_FIELDS:
        key = "--brand-" + name.removesuffix("_colour").replace("_", "-")
        variables[key] = getattr(brand, name)
        variables[key + "-rgb"] = _rgb(getattr(brand, name))
    variables["--brand-font"] = brand.font_stack
    return variables


def theme_css(brand: Brand) -> str:
    body = ";".join(f"{key}:{value}" for key, value in theme_variables(brand).items())
    return ":root{" + body + "}"


def email_colours(brand: Brand) -> dict[str, str]:
    """Plain values for inline styles in e-mail templates."""
    return {**brand.colours(), "font": brand.font_stack}
