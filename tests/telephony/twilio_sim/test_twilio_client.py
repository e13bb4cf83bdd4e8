"""make_client: the real SDK client, aimed at Twilio or at the simulator by swapping the host."""

from twilio.http.http_client import TwilioHttpClient

from telephony.twilio_client import RedirectingHttpClient, make_client


def test_without_api_base_the_client_talks_to_twilio():
    client = make_client("AC" + "0" * 32, "token")
    assert type(client.http_client) is TwilioHttpClient
    assert client.api.base_url == "https://api.twilio.com"


def test_api_base_rewrites_only_the_twilio_host(monkeypatch):
    seen = []

    def record(self, method, url, **kwargs):
        seen.append(url)

    monkeypatch.setattr(TwilioHttpClient, "request", record)
    http = RedirectingHttpClient("http://127.0.0.1:9999/")
    http.request("GET", "https://api.twilio.com/2010-04-01/Accounts/AC1/Calls.json")
    http.request("GET", "https://example.com/other")
    assert seen == [
        "http://127.0.0.1:9999/2010-04-01/Accounts/AC1/Calls.json",
        "https://example.com/other",
    ]
