"""The GitHub workflows, read and played (``sitecheck/workflows.py``) for the events that
matter: the site is published with or without a GPU runner, a release runs on tags only, and
each job holds the least permissions it needs."""

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
                                       ("pull_request", "refs/pull/1/merge")]]
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


@pytest.mark.parametrize("name", ["book.yml", "release.yml"])
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
