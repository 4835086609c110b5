"""Signed reply letters: each unit's key and seal, PAdES signing at issue (pyHanko), and
verification of a letter by anyone (CLI and the public /verify pages).

What this is: a PAdES (ETSI EN 319 142) signature made with the unit's X.509 certificate,
whose visible appearance is the unit's seal image. It is not a GB/T 38540 electronic seal
(that needs SM2/SM3 and a seal structure this code does not produce).
"""


def init_app(app) -> None:
    """Verification codes as printed (groups of four) for the templates."""
    from tracker.signing.codes import grouped

    app.add_template_filter(lambda value: grouped(value) if value else "", "verify_code")
