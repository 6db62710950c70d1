from __future__ import annotations

from openprofiles.console.render import View, display_name, render


def test_values_from_profiles_are_escaped() -> None:
    html = render(
        View("error.html", {"status": 400, "message": "<script>alert(1)</script>"}),
        session=None,
        domain=None,
    )
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_profile_is_called_by_its_person_or_business() -> None:
    assert display_name({"FirstName": "Ada", "LastName": "Lovelace"}) == "Ada Lovelace"
    assert display_name({"BusinessName": "Acme"}) == "Acme"
    assert display_name({"EmailAddress": "a@b.c"}) == ""
