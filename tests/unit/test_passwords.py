"""Password rules: length, common passwords, and passwords built from name or email."""
import pytest

from onestop.accounts.passwords import check_password_strength
from onestop.errors import Invalid


@pytest.mark.parametrize(("password", "why"), [
    ("short-pw-1!", "at least"),
    ("password1234", "common"),
    ("qwertyuiop123", "common"),
    ("abcdefghijkl", "common"),
    ("kimminsu2026!!", "name or email"),     # the email's local part and a year
    ("Minsu Kim 2026!", "name or email"),    # the name
    ("kim@alpha-zone.example", "name or email"),
    ("alphazone-2026", "name or email"),     # the email's domain
])
def test_weak_passwords_are_refused(password, why):
    with pytest.raises(Invalid) as refused:
        check_password_strength(password, name="Minsu Kim", email="kimminsu@alphazone.example")
    assert refused.value.field == "password"
    assert why in str(refused.value.message).lower()


@pytest.mark.parametrize("password", ["tidal-copper-lantern-42", "호수 위의 구리 등불 42",
                                      "Minsu's garden lantern 2026"])
def test_good_passwords_pass(password):
    check_password_strength(password, name="Minsu Kim", email="kimminsu@alphazone.example")
