"""The GitHub workflows, read and played (``sitecheck/workflows.py``) for the events that
matter: the site is published with or without a GPU runner, a release runs on tags only, the
weekly run (on a schedule and by hand only) tries the newest dependencies, builds, tests and
checks the links, each job holds the least permissions it needs, and every action is pinned to a
commit with its version in a comment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sitecheck import workflows as wg

ROOT = Path(__file__).resolve().parents[1]

SELF_HOSTED = '["self-hosted", "linux", "gpu"]'
MAIN = "refs/heads/main"
GITHUB_HOSTED = re.compile(r"(ubuntu|windows|macos)-[\w.-]+")


def book(event_name="push", ref=MAIN, failing=(), **variables):
    return wg.play(wg.load("book.yml"), wg.Event(event_name, ref, variables, frozenset(failing)))


def release(ref="refs/tags/v0.1.0", event_name="push", **variables):
    return wg.play(wg.load("release.yml"), wg.Event(event_name, ref, variables))


def workflows() -> dict[str, dict]:
    return {p.name: wg.load(p.name) for p in sorted(wg.WORKFLOWS.glob("*.yml"))}


# --------------------------------------------------------------------------- the model itself

@pytest.mark.parametrize("text, value", [
    ("vars.X != '' && github.event_name != 'pull_request'", False),
    ("!cancelled() && (needs.a.result == 'SUCCESS' || needs.a.result == 'skipped')", True),
    ("fromJSON('[\"a\", \"b\"]')", ["a", "b"]),
    ("fromJSON(toJSON(vars.X))", ""),
    ("startsWith(github.ref, 'refs/tags/v') && 'tag' || 'branch'", "branch"),
    ("vars.Y == '' || fromJSON(vars.Y)", True),  # || does not evaluate what it does not need
])
def test_the_expression_evaluator(text, value):
    ctx = {"github": wg.Event("push", MAIN).github(), "vars": {"Y": ""},
           "needs": {"a": {"result": "success"}}}
    assert wg.evaluate(text, ctx) == value


def test_the_evaluator_refuses_what_it_does_not_model():
    with pytest.raises(ValueError, match="hashFiles"):
        wg.evaluate("hashFiles('x')", {})
    with pytest.raises(ValueError, match="unknown context"):
        wg.evaluate("secrets2.X", {})


def test_every_expression_of_every_job_is_understood():
    events = [wg.Event(*e) for e in [("push", MAIN), ("push", "refs/tags/v1.0.0"),
                                       ("pull_request", "refs/pull/1/merge"), ("schedule", MAIN),
                                       ("workflow_dispatch", MAIN)]]
    variables = [{}, {"GPU_RUNNER": SELF_HOSTED, "PUBLISH_TO_PYPI": "true"}]
    played = 0
    for wf in workflows().values():
        for event in events:
            for v in variables:
                played += len(wg.play(wf, wg.Event(event.name, event.ref, v)))
    assert played > 0


# --------------------------------------------------------------------------- publishing the site

def test_without_a_gpu_runner_the_cpu_build_is_published():
    runs = book()
    assert runs["gpu-book"].result == "skipped"
    assert runs["cpu-book"].result == "success" and runs["cpu-book"].runner == "ubuntu-latest"
    assert runs["deploy"].result == "success"
    assert runs["deploy"].env["SITE"] == "book-html-cpu"


@pytest.mark.parametrize("variable, runner", [
    (SELF_HOSTED, ["self-hosted", "linux", "gpu"]),                     # a self-hosted runner
    ("gpu-t4-4-core", "gpu-t4-4-core"),                                 # a GitHub-hosted one
    ('{"group": "gpu", "labels": ["linux-gpu"]}', {"group": "gpu", "labels": ["linux-gpu"]}),
])
def test_a_gpu_runner_named_by_the_variable_builds_the_published_site(variable, runner):
    runs = book(GPU_RUNNER=variable)
    assert runs["gpu-book"].result == "success" and runs["gpu-book"].runner == runner
    assert runs["deploy"].result == "success"
    assert runs["deploy"].env["SITE"] == "book-html-gpu"


def test_a_failed_gpu_build_publishes_nothing_rather_than_the_cpu_build():
    runs = book(failing={"gpu-book"}, GPU_RUNNER=SELF_HOSTED)
    assert runs["deploy"].result == "skipped"


def test_a_failed_cpu_build_publishes_nothing():
    assert book(failing={"cpu-book"})["deploy"].result == "skipped"
    assert book(failing={"cpu-book"}, GPU_RUNNER=SELF_HOSTED)["deploy"].result == "skipped"


@pytest.mark.parametrize("event_name, ref", [("push", "refs/heads/a-branch"),
                                             ("pull_request", "refs/pull/7/merge")])
def test_only_a_push_to_main_publishes(event_name, ref):
    for variables in ({}, {"GPU_RUNNER": SELF_HOSTED}):
        runs = book(event_name, ref, **variables)
        assert runs["cpu-tests"].result == runs["cpu-book"].result == "success"
        assert runs["deploy"].result == "skipped"


def test_a_pull_request_never_runs_on_the_gpu_runner():
    assert book("pull_request", "refs/pull/7/merge", GPU_RUNNER=SELF_HOSTED)["gpu-book"].result == "skipped"


def _closure(jobs: dict, name: str) -> set[str]:
    """The jobs ``name`` waits for, directly or through others."""
    seen, todo = set(), list(wg.needs_of(jobs[name]))
    while todo:
        job = todo.pop()
        if job not in seen:
            seen.add(job)
            todo += wg.needs_of(jobs[job])
    return seen


def test_deploy_does_not_depend_on_a_job_that_may_be_skipped_without_a_fallback():
    jobs = wg.load("book.yml")["jobs"]
    deploy = jobs["deploy"]
    upstream = _closure(jobs, "deploy")
    assert upstream, "deploy publishes what a build made"
    maybe_skipped = {j for j in upstream if "if" in jobs[j]}
    # deploy's own condition must not be the implicit success() of every need...
    condition = str(deploy["if"])
    if maybe_skipped:
        assert "!cancelled()" in condition or "always()" in condition, condition
        for job in maybe_skipped:
            assert f"needs.{job}.result" in condition, f"deploy must say what a skipped {job} means"
    # ...and the fallback must be a job that always runs on GitHub's own runners.
    fallback = [j for j in upstream - maybe_skipped if GITHUB_HOSTED.fullmatch(str(jobs[j]["runs-on"]))]
    assert fallback, "deploy needs a build on a GitHub-hosted runner that is never skipped"
    # No job that deploy waits for may sit in a queue for a runner that is not there: a job not
    # on GitHub's runners is skipped when GPU_RUNNER is unset, and deploy still publishes.
    runs = book()
    for job in upstream:
        assert runs[job].result == "skipped" or GITHUB_HOSTED.fullmatch(str(runs[job].runner)), job
    assert runs["deploy"].result == "success"


def test_the_deployed_artifact_is_one_a_build_uploads():
    jobs = wg.load("book.yml")["jobs"]
    uploaded = {s["with"]["name"] for j in jobs.values() for s in j["steps"]
                if str(s.get("uses", "")).startswith("actions/upload-artifact")}
    published = {book()["deploy"].env["SITE"], book(GPU_RUNNER=SELF_HOSTED)["deploy"].env["SITE"]}
    assert published == {"book-html-cpu", "book-html-gpu"} and published <= uploaded
    for name, job in (("cpu-book", jobs["cpu-book"]), ("gpu-book", jobs["gpu-book"])):
        names = [s["with"]["name"] for s in job["steps"] if "upload-artifact" in str(s.get("uses", ""))]
        assert names == [f"book-html-{name[:3]}"], name


# --------------------------------------------------------------------------- releases

def test_the_release_workflow_runs_on_v_tags_only():
    on = wg.load("release.yml")["on"]
    assert set(on) == {"push"} and set(on["push"]) == {"tags"}, on
    assert all(t.startswith("v") for t in on["push"]["tags"])
    assert release()  # a tag v0.1.0 starts it
    for event_name, ref in [("push", MAIN), ("push", "refs/heads/v1-fixes"), ("push", "refs/tags/nightly"),
                            ("pull_request", "refs/pull/1/merge")]:
        assert release(ref, event_name) == {}, (event_name, ref)
    for name, job in wg.load("release.yml")["jobs"].items():  # and each job checks it again
        assert "startsWith(github.ref, 'refs/tags/v')" in str(job.get("if", "")), name


def test_a_tag_runs_the_release_and_not_the_book_workflow():
    assert book("push", "refs/tags/v0.1.0") == {}
    runs = release()
    assert [runs[j].result for j in ("build", "github-release")] == ["success", "success"]
    assert runs["github-release"].needs == ["build"]


def test_pypi_is_published_only_where_the_variable_says_so():
    assert release()["pypi"].result == "skipped"
    assert release(PUBLISH_TO_PYPI="false")["pypi"].result == "skipped"
    assert release(PUBLISH_TO_PYPI="true")["pypi"].result == "success"
    pypi = wg.load("release.yml")["jobs"]["pypi"]
    assert pypi["environment"]["name"] == "pypi"
    assert any(str(s.get("uses", "")).startswith("pypa/gh-action-pypi-publish") for s in pypi["steps"])
    assert all("password" not in s.get("with", {}) for s in pypi["steps"]), "trusted publishing: no token"


def test_the_release_builds_checks_and_installs_before_attaching():
    steps = "\n".join(str(s.get("run", "")) for s in wg.load("release.yml")["jobs"]["build"]["steps"])
    order = [steps.index(c) for c in ("python -m build", "twine check", "sitecheck/wheel.sh dist")]
    assert order == sorted(order)
    assert 'rnnbook-${GITHUB_REF_NAME#v}-py3-none-any.whl' in steps  # the tag is the version


# --------------------------------------------------------------------------- permissions

# What a step needs of the GITHUB_TOKEN, by the action it uses or the command it runs.
NEEDS = [
    (re.compile(r"^actions/checkout@"), {"contents": "read"}),
    (re.compile(r"^actions/deploy-pages@"), {"pages": "write", "id-token": "write"}),
    (re.compile(r"^pypa/gh-action-pypi-publish@"), {"id-token": "write"}),
    (re.compile(r"\bgh release (create|upload)\b"), {"contents": "write"}),
]
NO_TOKEN = re.compile(r"^actions/(setup-python|upload-artifact|download-artifact|upload-pages-artifact)@")
LEVEL = {"none": 0, "read": 1, "write": 2}


def needed(job: dict) -> dict[str, str]:
    """The least permissions ``job`` needs, from its steps."""
    need: dict[str, str] = {}
    for step in job["steps"]:
        what = str(step.get("uses") or step.get("run") or "")
        matched = False
        for pattern, grants in NEEDS:
            if pattern.search(what):
                matched = True
                for scope, level in grants.items():
                    if LEVEL[level] > LEVEL[need.get(scope, "none")]:
                        need[scope] = level
        if "uses" in step and not matched:
            assert NO_TOKEN.search(what), f"what does {what} need of the token? add it to NEEDS"
    return need


FILES = [p.name for p in sorted(wg.WORKFLOWS.glob("*.yml"))]


def test_every_workflow_is_checked():
    assert {"book.yml", "release.yml", "weekly.yml"} <= set(FILES), FILES


@pytest.mark.parametrize("name", FILES)
def test_permissions_are_the_least_each_job_needs(name):
    wf = wg.load(name)
    assert wf.get("permissions") == {}, "the workflow grants nothing; its jobs ask for what they use"
    for job_name, job in wf["jobs"].items():
        granted = job.get("permissions")
        assert isinstance(granted, dict), f"{job_name} must list its permissions"
        assert granted == needed(job), f"{job_name}: granted {granted}, needs {needed(job)}"


def test_the_permission_rules_see_what_the_jobs_do():
    jobs = {**wg.load("book.yml")["jobs"], **wg.load("release.yml")["jobs"]}
    assert needed(jobs["deploy"]) == {"pages": "write", "id-token": "write"}
    assert needed(jobs["github-release"]) == {"contents": "write"}
    assert needed(jobs["pypi"]) == {"id-token": "write"}
    assert needed({"steps": [{"run": "gh release upload v1 x.whl"}]}) == {"contents": "write"}
    with pytest.raises(AssertionError, match="some/action"):
        needed({"steps": [{"uses": "some/action@v1"}]})


# --------------------------------------------------------------------------- pinned actions

# A step's action by commit, its release in a comment: `uses: owner/repo@<40 hex>  # v4.4.0`.
# A tag or a branch (v4, release/v1) is moved by whoever controls the action's repository.
PINNED = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)\s*(?:#\s*(?P<comment>.*))?$")
VERSION = re.compile(r"v\d+(\.\d+){1,2}")


def uses_of(wf: dict) -> list[str]:
    """Every action ``wf`` uses: its steps' and its jobs' (a called workflow)."""
    found = []
    for job in wf["jobs"].values():
        found += [job["uses"]] if "uses" in job else []
        found += [s["uses"] for s in job.get("steps", []) if "uses" in s]
    return found


def uses_lines(name: str) -> list[re.Match]:
    return [m for line in (wg.WORKFLOWS / name).read_text().splitlines()
            if (m := USES_LINE.match(line))]


@pytest.mark.parametrize("name", FILES)
def test_every_action_is_pinned_to_a_commit(name):
    uses = uses_of(wg.load(name))
    assert uses, name
    assert sorted(uses) == sorted(m["ref"] for m in uses_lines(name)), "a uses: the line reader misses"
    for ref in uses:
        assert ref.startswith("./") or PINNED.fullmatch(ref), f"{name}: {ref} is not pinned to a commit"


@pytest.mark.parametrize("name", FILES)
def test_every_pin_names_its_release_in_a_comment(name):
    for m in uses_lines(name):
        if not m["ref"].startswith("./"):
            assert m["comment"] and VERSION.fullmatch(m["comment"].strip()), \
                f"{name}: {m['ref']} needs a comment with its version (# v1.2.3)"


def test_an_action_is_pinned_to_one_commit_and_version_everywhere():
    pins: dict[str, set] = {}
    for name in FILES:
        for m in uses_lines(name):
            action, sha = m["ref"].split("@")
            pins.setdefault(action, set()).add((sha, (m["comment"] or "").strip()))
    assert "actions/checkout" in pins and "pypa/gh-action-pypi-publish" in pins
    assert all(len(p) == 1 for p in pins.values()), {a: p for a, p in pins.items() if len(p) > 1}


def test_the_pin_rules_catch_a_moving_reference():
    assert not PINNED.fullmatch("actions/checkout@v4")
    assert not PINNED.fullmatch("pypa/gh-action-pypi-publish@release/v1")
    assert not PINNED.fullmatch("actions/checkout@11d5960")  # a short SHA can be made to collide
    assert PINNED.fullmatch("actions/checkout@11d5960a326750d5838078e36cf38b85af677262")
    m = USES_LINE.match("      - uses: actions/checkout@v4")
    assert m["ref"] == "actions/checkout@v4" and m["comment"] is None
    assert not VERSION.fullmatch("latest") and VERSION.fullmatch("v1.14.2")


# --------------------------------------------------------------------------- the weekly run

def weekly(event_name="schedule", ref=MAIN, **variables):
    return wg.play(wg.load("weekly.yml"), wg.Event(event_name, ref, variables))


def _weekly_run() -> str:
    """The commands of the weekly job's steps, one after the other."""
    job = wg.load("weekly.yml")["jobs"]["newest"]
    return "\n".join(str(s.get("run", "")) for s in job["steps"])


def test_the_weekly_workflow_runs_weekly_and_by_hand_only():
    on = wg.load("weekly.yml")["on"]
    assert set(on) == {"schedule", "workflow_dispatch"}, on
    [entry] = on["schedule"]
    minute, hour, day, month, weekday = entry["cron"].split()
    assert minute.isdigit() and hour.isdigit(), "once at one time of the day"
    assert (day, month) == ("*", "*") and re.fullmatch(r"[0-6]|MON|TUE|WED|THU|FRI|SAT|SUN", weekday)
    for event_name in ("schedule", "workflow_dispatch"):
        runs = weekly(event_name)
        assert runs["newest"].result == "success" and runs["newest"].runner == "ubuntu-latest"
    for event_name, ref in [("push", MAIN), ("push", "refs/heads/a-branch"), ("push", "refs/tags/v0.1.0"),
                            ("pull_request", "refs/pull/1/merge")]:
        assert weekly(event_name, ref) == {}, (event_name, ref)


def test_nothing_else_runs_on_the_weekly_schedule():
    for name in FILES:
        if name != "weekly.yml":
            assert wg.play(wg.load(name), wg.Event("schedule", MAIN)) == {}, name


def test_the_weekly_run_installs_the_newest_releases_not_cis_pins():
    job = wg.load("weekly.yml")["jobs"]["newest"]
    run = _weekly_run()
    assert "pip install --upgrade --upgrade-strategy eager -r requirements.txt" in run
    assert re.search(r"pip install --upgrade --upgrade-strategy eager -e \"?\.\[reference\]", run)
    # No dependency of requirements.txt or pyproject.toml held at a version (ziglang is a tool,
    # the compiler of the committed trainer.wasm, not a dependency).
    names = {re.match(r"[A-Za-z0-9_.-]+", line)[0].lower()
             for line in (ROOT / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith(("#", "-"))}
    assert {"torch", "jupyter-book", "pytest"} <= names
    pinned = {m.lower() for m in re.findall(r"([A-Za-z0-9_.-]+)\s*==", run)}
    assert not pinned & names, pinned & names
    assert "requirements" not in run.replace("-r requirements.txt", ""), "no other (pinned) list"
    # torch from PyTorch's CPU index, and a step that fails on a CUDA build
    assert job["env"]["PIP_EXTRA_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"
    assert "torch.version.cuda is not None" in run


def test_the_weekly_run_tests_builds_every_chapter_and_checks_the_links():
    job = wg.load("weekly.yml")["jobs"]["newest"]
    run = _weekly_run()
    commands = ["python -m pytest -q",
                "RNNBOOK_EXECUTE=force jupyter-book build --all -W --keep-going .",
                "jupyter-book build . --builder linkcheck"]
    assert all(c in run for c in commands), [c for c in commands if c not in run]
    assert 'test "${PIPESTATUS[0]}" -eq 0' in run, "the build's exit status survives the tee"
    assert 0 < job["timeout-minutes"] <= 120
    # each check runs after a failed one, so that one run reports them all, but not after a
    # failed install
    for step in job["steps"]:
        if any(c in str(step.get("run", "")) for c in commands):
            assert "!cancelled()" in step["if"] and "steps.install.outcome == 'success'" in step["if"]


def test_the_link_check_needs_the_internet_so_only_the_weekly_run_has_it():
    assert "linkcheck" in (wg.WORKFLOWS / "weekly.yml").read_text()
    for name in FILES:
        if name != "weekly.yml":
            assert "linkcheck" not in (wg.WORKFLOWS / name).read_text(), name
    assert "linkcheck" not in (ROOT / ".ci" / "run").read_text()


def test_every_job_that_builds_the_site_draws_its_formulas_first():
    """A job that builds the HTML installs static_math's MathJax package before the build, as
    .ci/run does: without it the pages fall back to MathJax in the browser, and the published
    site would not be the one the Lighthouse check measured."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("static_math", ROOT / "book" / "_ext" / "static_math.py")
    sm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sm)
    install = f"npm install --prefix {sm.PREFIX} -E --no-audit --no-fund {sm.MATHJAX}"
    ci = (ROOT / ".ci" / "run").read_text()
    assert install in ci and ci.index(install) < ci.index("jupyter-book build")
    builds = 0
    for name, flow in workflows().items():
        for job_name, job in flow["jobs"].items():
            script = "\n".join(step.get("run", "") for step in job.get("steps", []))
            html = [line for line in script.splitlines()
                    if "jupyter-book build" in line and "--builder" not in line]
            if html:
                builds += 1
                assert install in script and script.index(install) < script.index(html[0]), \
                    f"{name}: job {job_name} builds the site without {sm.MATHJAX}"
    assert builds >= 2  # the GPU build and the weekly one (the CPU build runs .ci/run)
