"""sitecheck.lighthouse's pure parts: the gzip server's answers, the rerun-and-median rule and
the verdict (Lighthouse itself runs in .ci/run's site check, not here)."""

import gzip
import re
import shutil
import urllib.request
from pathlib import Path

import pytest

from sitecheck import lighthouse as lh


def _get(url, accept=None):
    req = urllib.request.Request(url, headers={"Accept-Encoding": accept} if accept else {})
    with urllib.request.urlopen(req) as r:
        return r.status, dict(r.headers), r.read()


def test_gzip_server_compresses_text_when_asked(tmp_path):
    page = "<html><body>" + "eight thousand one , " * 200 + "</body></html>"
    (tmp_path / "index.html").write_text(page)
    (tmp_path / "app.js").write_text("let x = 1;\n" * 100)
    (tmp_path / "font.woff2").write_bytes(bytes(range(256)) * 8)
    with lh.serve(tmp_path, lh.GzipHandler) as base:
        status, head, body = _get(f"{base}/index.html", "gzip, deflate, br")
        assert status == 200 and head["Content-Encoding"] == "gzip"
        assert head["Vary"] == "Accept-Encoding" and head["Content-Type"].startswith("text/html")
        assert int(head["Content-Length"]) == len(body) < len(page)
        assert gzip.decompress(body).decode() == page
        _, head, body = _get(f"{base}/app.js", "gzip")
        assert head["Content-Encoding"] == "gzip" and head["Content-Type"] == "application/javascript"
        _, head, body = _get(f"{base}/index.html")  # no Accept-Encoding: as it is
        assert "Content-Encoding" not in head and body.decode() == page
        _, head, body = _get(f"{base}/index.html", "gzip;q=0, identity")
        assert "Content-Encoding" not in head
        _, head, body = _get(f"{base}/font.woff2", "gzip")  # already compressed: as it is
        assert "Content-Encoding" not in head and len(body) == 2048
        _, head, body = _get(f"{base}/", "gzip")  # a folder: its index.html
        assert gzip.decompress(body).decode() == page


@pytest.mark.parametrize("accept, ctype, size, want", [
    ("gzip", "text/css", 1000, True), ("br, gzip;q=0.5", "text/html", 1000, True),
    ("*", "application/json", 1000, True), ("gzip;q=0", "text/html", 1000, False),
    ("deflate", "text/html", 1000, False), (None, "text/html", 1000, False),
    ("gzip", "image/png", 1000, False), ("gzip", "text/html", 100, False),
])
def test_gzip_wanted(accept, ctype, size, want):
    assert lh.gzip_wanted(accept, ctype, size) is want


def _scores(perf, other=100):
    return {c: (perf if c == "performance" else other) for c in lh.CATEGORIES}


def test_settle_well_above_the_threshold_runs_once():
    calls = []
    for perf in (95, 100):
        scores, n = lh.settle(_scores(perf), lambda: calls.append(1) or _scores(0), threshold=90)
        assert n == 1 and scores == _scores(perf)
    assert calls == []


def test_two_runs_on_one_side_of_the_threshold_decide():
    calls = []
    rerun = lambda: calls.append(1) or _scores(95, 98)  # noqa: E731
    scores, n = lh.settle(_scores(93, 100), rerun, threshold=90)
    assert n == 2 and len(calls) == 1 and scores["performance"] == 93 and scores["seo"] == 98
    calls.clear()
    scores, n = lh.settle(_scores(85), lambda: calls.append(1) or _scores(80), threshold=90)
    assert n == 2 and len(calls) == 1 and scores["performance"] == 80  # fails either way
    calls.clear()  # performance agrees, seo does not: a third run decides
    reruns = iter([{**_scores(93), "seo": 85}, _scores(92)])
    scores, n = lh.settle(_scores(92), lambda: next(reruns), threshold=90)
    assert n == 3 and scores["seo"] == 100 and scores["performance"] == 92


def test_settle_near_the_threshold_takes_the_median_of_three():
    reruns = iter([_scores(93, 98), _scores(86, 90)])
    scores, n = lh.settle(_scores(88, 100), lambda: next(reruns), threshold=90)
    assert n == 3 and scores["performance"] == 88 and scores["seo"] == 98
    reruns = iter([_scores(91), _scores(95)])
    scores, n = lh.settle(_scores(86), lambda: next(reruns), threshold=90)  # 4 below: near
    assert n == 3 and scores["performance"] == 91
    reruns = iter([_scores(92), _scores(93)])
    scores, n = lh.settle(_scores(40), lambda: next(reruns), threshold=90)  # one slow run
    assert n == 3 and scores["performance"] == 92


def test_cpu_slowdown_makes_every_host_the_same_phone():
    assert lh.cpu_slowdown(3600) == 4.0            # where the book was measured: the preset's 4x
    assert lh.cpu_slowdown(1800) == 2.0            # a host half as fast: half the slowdown
    assert lh.cpu_slowdown(3572, phone_index=450) == 7.9
    assert lh.cpu_slowdown(500) == 1.0             # slower than the phone: not sped up


def test_mobile_runs_pass_the_slowdown_and_desktop_runs_keep_their_preset(monkeypatch):
    seen = []
    report = {"categories": {c: {"score": 1} for c in lh.CATEGORIES},
              "environment": {"benchmarkIndex": 3500}}
    monkeypatch.setattr(lh, "lighthouse_report", lambda prefix, url, chromium, flags, keep=None:
                        seen.append(flags) or report)
    lh.run_lighthouse(Path("lh"), "u", "mobile", "chromium", slowdown=2.5)
    lh.run_lighthouse(Path("lh"), "u", "mobile", "chromium")
    lh.run_lighthouse(Path("lh"), "u", "desktop", "chromium", slowdown=2.5)
    assert seen[0]["throttling"] == {"cpuSlowdownMultiplier": 2.5}
    assert "throttling" not in seen[1] and "throttling" not in seen[2]
    assert seen[2]["preset"] == "desktop" and "preset" not in seen[0]
    assert all(f["skipAudits"] == list(lh.SKIP_AUDITS) for f in seen)


def test_the_skipped_audits_weigh_nothing_in_any_score():
    config = lh.PREFIX / "node_modules" / "lighthouse" / "core" / "config" / "default-config.js"
    if not config.is_file():
        pytest.skip("Lighthouse is not installed (.ci/run installs it before the tests)")
    text = config.read_text()
    for audit in lh.SKIP_AUDITS:
        refs = re.findall(r"\{id: '" + re.escape(audit) + r"', weight: (\d+)", text)
        assert refs and set(refs) == {"0"}, f"{audit}: weights {refs} in Lighthouse's categories"


def test_a_run_on_a_slowed_machine_is_run_again():
    runs = iter([(_scores(70), 2400.0), (_scores(93), 3500.0), (_scores(99), 3600.0)])
    assert lh.steady(lambda: next(runs), floor=3000) == (_scores(93), 1)
    runs = iter([(_scores(70), 2400.0)] * 3)
    assert lh.steady(lambda: next(runs), floor=3000, tries=3) == (_scores(70), 3)  # the last
    assert lh.steady(lambda: (_scores(95), 1.0), floor=0) == (_scores(95), 0)  # no calibration


def test_host_index_reads_each_calibration_run(monkeypatch):
    indexes = iter([3500, 2000, 3600])
    monkeypatch.setattr(lh, "lighthouse_report", lambda *a, **k:
                        {"environment": {"benchmarkIndex": next(indexes)}})
    assert lh.host_index(Path("lh"), "u", "chromium", runs=3) == [3500, 2000, 3600]


def test_failures_and_table():
    assert lh.failures(_scores(90), 90) == []
    assert lh.failures({**_scores(95, 100), "seo": 91}, 95) == ["seo 91 < 95"]
    out = lh.table([("book/today", {"mobile": _scores(89), "desktop": _scores(99)})])
    row = out.splitlines()[-1]
    assert row.startswith("book/today") and "89*" in row and "99" in row and "99*" not in row


def test_scores_of_a_report():
    report = {"categories": {"performance": {"score": 0.874}, "accessibility": {"score": 1},
                             "best-practices": {"score": 0.96}, "seo": {"score": None}}}
    assert lh.scores_of(report) == {"performance": 87, "accessibility": 100,
                                    "best-practices": 96, "seo": 0}


def test_ci_installs_it_and_runs_it_in_the_site_check():
    run = (lh.ROOT / ".ci" / "run").read_text()
    install = run[run.index('stage "install"'):run.index('stage "lint"')]
    site_check = run[run.index('stage "site check"'):run.index('stage "wheel"')]
    assert "python -m sitecheck.lighthouse --install" in install
    assert "python -m sitecheck.lighthouse _build/html" in site_check
    assert "--cpu-slowdown" not in site_check and "--perf-floors" not in site_check  # calibrated
    assert ".lighthouse/" in (lh.ROOT / ".gitignore").read_text().split()


def test_the_runner_hands_lighthouse_the_flags(tmp_path):
    """lighthouse_run.mjs through Lighthouse's Node API: the mobile run gets the slowdown, the
    desktop run Lighthouse's desktop config, both the categories and the skipped audits."""
    if lh.CHROMIUM is None or shutil.which("node") is None:
        pytest.skip("needs Chromium and Node")
    try:
        lh.lighthouse_bin(install=False)
    except RuntimeError:
        pytest.skip("Lighthouse is not installed (.ci/run installs it before the tests)")
    (tmp_path / "index.html").write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>'
        '<meta name="viewport" content="width=device-width"><meta name="description" content="d">'
        "</head><body><h1>Counting</h1><p>one, two, three</p></body></html>")
    flags = {"onlyCategories": list(lh.CATEGORIES), "skipAudits": list(lh.SKIP_AUDITS)}
    with lh.serve(tmp_path, lh.GzipHandler) as base:
        phone = lh.lighthouse_report(lh.PREFIX, f"{base}/index.html", lh.CHROMIUM,
                                     {**flags, "throttling": {"cpuSlowdownMultiplier": 2.5}})
        desk = lh.lighthouse_report(lh.PREFIX, f"{base}/index.html", lh.CHROMIUM,
                                    {**flags, "preset": "desktop"})
    assert phone["lighthouseVersion"] == lh.LIGHTHOUSE
    assert phone["configSettings"]["throttling"]["cpuSlowdownMultiplier"] == 2.5
    assert phone["configSettings"]["throttling"]["rttMs"] == 150  # the slow 4G link kept
    assert phone["configSettings"]["formFactor"] == "mobile"
    assert desk["configSettings"]["formFactor"] == "desktop"
    assert desk["configSettings"]["throttling"]["cpuSlowdownMultiplier"] == 1
    for report in (phone, desk):
        assert set(report["categories"]) == set(lh.CATEGORIES)
        assert not set(lh.SKIP_AUDITS) & set(report["audits"])
        assert report["configSettings"]["disableFullPageScreenshot"] is True
