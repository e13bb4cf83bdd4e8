"""X-Twilio-Signature: our helpers agree with Twilio's published algorithm and refuse tampering."""

import base64
import hashlib
import hmac

from telephony.signatures import is_valid, sign

# The vector from twilio-python's own request-validator tests.
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
TOKEN = "12345"
EXPECTED = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_sign_matches_the_known_vector():
    assert sign(URL, PARAMS, TOKEN) == EXPECTED


def test_sign_is_hmac_sha1_over_url_and_sorted_params():
    payload = URL + "".join(name + PARAMS[name] for name in sorted(PARAMS))
    digest = hmac.new(TOKEN.encode(), payload.encode(), hashlib.sha1).digest()
    assert sign(URL, PARAMS, TOKEN) == base64.b64encode(digest).decode()


def test_is_valid_accepts_the_genuine_signature():
    assert is_valid(URL, PARAMS, EXPECTED, TOKEN)


def test_is_valid_refuses_tampering():
    assert not is_valid(URL, PARAMS | {"Digits": "9999"}, EXPECTED, TOKEN)
    assert not is_valid(URL, PARAMS | {"Extra": "1"}, EXPECTED, TOKEN)
    assert not is_valid(URL.replace("foo=1", "foo=2"), PARAMS, EXPECTED, TOKEN)
    assert not is_valid(URL, PARAMS, EXPECTED, "wrong-token")
    assert not is_valid(URL, PARAMS, "", TOKEN)
    assert not is_valid(URL, PARAMS, None, TOKEN)


def test_is_valid_tolerates_the_default_port():
    url = "https://mycompany.com/hook"
    signature = sign(url, {"A": "1"}, TOKEN)
    assert is_valid("https://mycompany.com:443/hook", {"A": "1"}, signature, TOKEN)
