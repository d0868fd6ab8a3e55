"""The CI files: the GitHub workflow's structure, and that .ci/run and the README agree."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _workflow() -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())


def _steps_text(job: dict) -> str:
    return "\n".join(str(s.get("run", "")) + " " + str(s.get("uses", "")) for s in job["steps"])


def test_workflow_runs_on_push_and_pull_request():
    wf = _workflow()
    triggers = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as True
    assert {"push", "pull_request"} <= set(triggers)


def test_cpu_job_lints_and_tests_with_a_cpu_torch():
    steps = _steps_text(_workflow()["jobs"]["cpu-tests"])
    assert "ruff check ." in steps
    assert "python -m pytest" in steps
    assert "download.pytorch.org/whl/cpu" in steps


def test_gpu_job_executes_every_chapter_on_a_gpu_runner():
    job = _workflow()["jobs"]["gpu-book"]
    assert "gpu" in job["runs-on"] and "self-hosted" in job["runs-on"]
    steps = _steps_text(job)
    assert "nvidia-smi" in steps
    assert "torch.cuda.is_available()" in steps and "sys.exit(0 if ok else 1)" in steps
    assert re.search(r"jupyter-book build --all -W", steps)
    assert "exec_times.json" in steps
    assert "actions/upload-artifact" in steps
    assert "actions/upload-pages-artifact" in steps


def test_pages_are_deployed_from_main_only():
    deploy = _workflow()["jobs"]["deploy"]
    assert deploy["needs"] == "gpu-book"
    assert "refs/heads/main" in deploy["if"]
    assert "actions/deploy-pages" in _steps_text(deploy)


def _readme_commands() -> dict[str, str]:
    """The README's commands, each in a ```bash block right after a line naming it."""
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"<!-- (\w+)-command -->\s*```bash\n(.*?)```", text, re.S)
    return {name: body.strip() for name, body in blocks}


def test_readme_has_the_build_and_test_commands():
    commands = _readme_commands()
    assert set(commands) >= {"build", "test"}
    assert "jupyter-book build --all -W" in commands["build"]
    assert "pytest" in commands["test"]


def test_ci_runs_the_readmes_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = _readme_commands()["test"].split("&&")[-1].strip()
    assert test_command in ci
    assert "torch==2.13.0" in ci, "CI pins the CPU build of torch"


def test_ci_checks_the_sites_accessibility_after_the_build():
    ci = (ROOT / ".ci" / "run").read_text()
    site_check = ci.split('stage "site check"')[1].split("stage ")[0]
    assert "python -m sitecheck.a11y _build/html" in site_check
    assert (ROOT / "sitecheck" / "vendor" / "axe.min.js").read_text()[:20].startswith("/*! axe v")
