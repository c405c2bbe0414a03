"""Security headers on every kind of response: a page, an API answer, a chart and a personal link."""
from __future__ import annotations

import io

from rollout.services import waves

from . import builders


def _collecting(lead):
    builders.make_people(2, unit="Pilot", prefix="h")
    rollout = builders.make_rollout("head-2027", lead)
    wave = builders.make_wave(rollout, lead, units=["Pilot"])
    waves.transition(wave, "active", lead)
    waves.transition(wave, "feedback", lead)
    return builders.wave_tokens(wave)["h1"]


def test_every_kind_of_response_carries_the_headers(logged_in, api, ctx, lead):
    token = _collecting(lead)
    responses = {
        "page": logged_in.get("/rollouts/head-2027"),
        "api": api.get("/rollouts/head-2027"),
        "chart": logged_in.get("/rollouts/head-2027/charts/satisfaction.svg"),
        "personal link": logged_in.get(f"/f/{token}"),
        "error": logged_in.get("/rollouts/no-such"),
    }
    for name, response in responses.items():
        csp = response.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, name
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, name
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
        assert response.headers["X-Frame-Options"] == "DENY", name
        assert "Strict-Transport-Security" not in response.headers, name  # plain http here
    assert responses["page"].headers["Referrer-Policy"] == "same-origin"
    assert responses["personal link"].headers["Referrer-Policy"] == "no-referrer"


def test_charts_may_be_framed_by_the_configured_intranet_and_pages_never(app, logged_in, ctx, lead):
    _collecting(lead)
    app.config["EMBED_FRAME_ANCESTORS"] = "https://intranet.kommun.example"
    chart = logged_in.get("/rollouts/head-2027/charts/satisfaction.svg")
    assert "frame-ancestors https://intranet.kommun.example" in chart.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in chart.headers
    page = logged_in.get("/rollouts/head-2027")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_https_requests_get_hsts(client):
    response = client.get("/login", base_url="https://rollout.kommun.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_bodies_are_limited_to_a_megabyte_but_imports_may_be_larger(app, api, logged_in, ctx, lead):
    big = {"people": [{"external_id": f"b{i}", "name": "x" * 200, "email": f"b{i}@example.se"} for i in range(6000)]}
    assert api.post("/people", json=big).status_code == 413  # about 1.5 MB of JSON
    rows = "".join(f"c{i},Person {i},c{i}@example.se,Enhet\n" for i in range(60_000))
    csv = ("external_id,name,email,unit\n" + rows).encode()
    assert len(csv) > 2 * 1024 * 1024
    response = api.post("/people/import", data=csv, headers={"Content-Type": "text/csv"})
    assert response.status_code == 202  # a large file is a background job
    from rollout.services import jobs
    jobs.run_pending()
    assert api.get(response.headers["Location"].removeprefix("/api/v1")).get_json()["result"]["created"] == 60_000
    app.config["IMPORT_MAX_CONTENT_LENGTH"] = 1024 * 1024
    assert api.post("/people/import", data=csv, headers={"Content-Type": "text/csv"}).status_code == 413
    form = logged_in.post("/people/import", data={"file": (io.BytesIO(csv), "people.csv")})
    assert form.status_code == 413


def test_an_unknown_personal_token_is_refused_before_its_body_is_read(client):
    body = {"answers": {"text": "x" * 900_000}}
    response = client.post("/api/v1/feedback/" + "x" * 43, json=body)
    assert response.status_code == 404
    response = client.post("/api/v1/feedback/" + "x" * 43 + "/problems", data=b"{not json",
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 404  # not a 400 for the body: the link was looked at first


def test_under_gunicorn_the_server_header_names_no_version(tmp_path):
    """The production server: `Server: gunicorn`, no version of it or of Python, and the app's headers."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'g.db'}", SECRET_KEY="gunicorn-test")
    root = os.path.dirname(os.path.dirname(__file__))
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], env=env, cwd=root,
                   check=True, capture_output=True)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}",
                               "wsgi:app"], env=env, cwd=root,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                response = urllib.request.urlopen(f"http://127.0.0.1:{port}/privacy", timeout=5)
                break
            except urllib.error.HTTPError:
                raise
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("gunicorn did not answer")
        assert response.status == 200
        assert response.headers["Server"] == "gunicorn"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    finally:
        server.terminate()
        server.wait(timeout=10)
