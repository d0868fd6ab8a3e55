"""Which jobs of the GitHub workflows run, on which runner, after which, for an event.

    python -m sitecheck.workflows     # pushes with and without a GPU runner, tags, a PR, the weekly run

Reads ``.github/workflows/*.yml`` and plays them the way GitHub does: a workflow runs when its
``on:`` matches the event (push branch or tag filters, pull_request, schedule,
workflow_dispatch); a job starts once every job it ``needs`` has finished; its ``if:`` is
evaluated with the ``github``, ``vars`` and ``needs`` contexts (an ``if:`` without a status
function means ``success() && ...``, so a skipped or failed need skips it); a job whose ``if:``
is false is skipped. ``runs-on`` and the job's ``env`` are evaluated too. Every job that runs
is taken to succeed unless named in ``failing``. ``tests/test_workflows.py`` asserts on what
this says.

The expression language is GitHub's (``${{ }}``), the part these workflows use: literals,
property access, ``!``, ``==``, ``!=``, ``&&`` and ``||`` (which return an operand, as in
JavaScript), parentheses, and the functions ``always``, ``success``, ``failure``,
``cancelled``, ``startsWith``, ``endsWith``, ``contains``, ``fromJSON`` and ``toJSON``. Strings
compare without regard to case, as on GitHub. Anything else raises ``ValueError``.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
STATUS_FUNCTIONS = ("always(", "success(", "failure(", "cancelled(")

# --------------------------------------------------------------------------- expressions

_TOKEN = re.compile(r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<str>'(?:[^']|'')*')"
                    r"|(?P<op>==|!=|<=|>=|&&|\|\||[!<>().,\[\]*])|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))")


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos, text = [], 0, text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot read the expression {text!r} at {text[pos:]!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _truthy(v) -> bool:
    return v not in (None, False, 0, "") and not (isinstance(v, float) and v != v)


def _equal(a, b) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return a == b


class _Parser:
    def __init__(self, text: str, context: dict):
        self.text, self.toks, self.i, self.ctx = text, _tokens(text), 0, context
        self.live = True  # False while reading an operand that is not evaluated

    def parse(self):
        value = self.or_()
        if self.i != len(self.toks):
            raise ValueError(f"unexpected {self.toks[self.i][1]!r} in {self.text!r}")
        return value

    def peek(self, value=None):
        if self.i < len(self.toks) and (value is None or self.toks[self.i][1] == value):
            return self.toks[self.i]
        return None

    def take(self, value=None):
        tok = self.peek(value)
        if tok is None:
            raise ValueError(f"expected {value or 'more'} in {self.text!r}")
        self.i += 1
        return tok

    def skipping(self, parse):
        """Parse an operand that ``&&`` or ``||`` leaves unevaluated: read it, call nothing."""
        live, self.live = self.live, False
        try:
            parse()
        finally:
            self.live = live

    def or_(self):
        left = self.and_()
        while self.peek("||"):
            self.take()
            if _truthy(left):
                self.skipping(self.and_)
            else:
                left = self.and_()
        return left

    def and_(self):
        left = self.cmp()
        while self.peek("&&"):
            self.take()
            if _truthy(left):
                left = self.cmp()
            else:
                self.skipping(self.cmp)
        return left

    def cmp(self):
        left = self.unary()
        if self.peek("==") or self.peek("!="):
            op = self.take()[1]
            right = self.unary()
            return _equal(left, right) if op == "==" else not _equal(left, right)
        return left

    def unary(self):
        if self.peek("!"):
            self.take()
            return not _truthy(self.unary())
        return self.primary()

    def primary(self):
        kind, value = self.take()
        if value == "(":
            inner = self.or_()
            self.take(")")
            return inner
        if kind == "str":
            return value[1:-1].replace("''", "'")
        if kind == "num":
            return float(value)
        if kind != "name":
            raise ValueError(f"unexpected {value!r} in {self.text!r}")
        if value in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[value]
        if self.peek("("):
            self.take()
            args = []
            while not self.peek(")"):
                args.append(self.or_())
                if self.peek(","):
                    self.take()
            self.take(")")
            return self.call(value, args) if self.live else None
        obj = self.ctx.get(value)
        if value not in self.ctx:
            raise ValueError(f"unknown context {value!r} in {self.text!r}")
        while self.peek(".") or self.peek("["):
            if self.take()[1] == ".":
                key = self.take()[1]
            else:
                key = self.or_()
                self.take("]")
            obj = obj.get(key, "" if value == "vars" else None) if isinstance(obj, dict) else None
        return obj

    def call(self, name: str, args: list):
        fn = name.lower()
        needs = self.ctx.get("needs", {})
        results = [n["result"] for n in needs.values()]
        if fn == "always":
            return True
        if fn == "success":
            return all(r == "success" for r in results)
        if fn == "failure":
            return any(r == "failure" for r in results)
        if fn == "cancelled":
            return False  # no run is cancelled here
        if fn in ("startswith", "endswith", "contains"):
            a, b = ("" if x is None else x for x in args)
            if isinstance(a, list):
                return any(_equal(x, b) for x in a)
            a, b = str(a).lower(), str(b).lower()
            return a.startswith(b) if fn == "startswith" else a.endswith(b) if fn == "endswith" else b in a
        if fn == "fromjson":
            return json.loads(args[0])
        if fn == "tojson":
            return json.dumps(args[0])
        raise ValueError(f"the function {name}() is not modelled here")


def evaluate(text: str, context: dict):
    """The value of one expression (without ``${{ }}``) in ``context``."""
    return _Parser(text, context).parse()


def substitute(value, context: dict):
    """``value`` (a string, list or mapping from a workflow) with its ``${{ }}`` evaluated.

    A string that is one expression gives the expression's value (a list, say); expressions
    inside a longer string are written into it.
    """
    if isinstance(value, dict):
        return {k: substitute(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, context) for v in value]
    if not isinstance(value, str) or "${{" not in value:
        return value
    whole = re.fullmatch(r"\s*\$\{\{(.*?)\}\}\s*", value, re.S)
    if whole:
        return evaluate(whole.group(1), context)
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: str(evaluate(m.group(1), context)), value, flags=re.S)


# --------------------------------------------------------------------------- workflows

def load(name: str) -> dict:
    """A workflow file of ``.github/workflows`` (``on`` under its name: YAML 1.1 reads it as True)."""
    wf = yaml.safe_load((WORKFLOWS / name).read_text())
    if True in wf:
        wf["on"] = wf.pop(True)
    return wf


def needs_of(job: dict) -> list[str]:
    """The jobs ``job`` waits for."""
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


@dataclass
class Event:
    """A GitHub event: ``push`` of a ref (``refs/heads/main``, ``refs/tags/v0.1.0``),
    ``pull_request``, or ``schedule`` and ``workflow_dispatch`` (on ``refs/heads/main``);
    ``variables`` are the repository's variables (``vars``)."""

    name: str
    ref: str
    variables: dict = field(default_factory=dict)
    failing: frozenset = frozenset()

    def github(self) -> dict:
        short = self.ref.split("/", 2)[-1]
        return {"event_name": self.name, "ref": self.ref, "ref_name": short,
                "ref_type": "tag" if self.ref.startswith("refs/tags/") else "branch",
                "repository": "rnnbook/rnnbook", "event": {}}


def _glob(pattern: str, name: str) -> bool:
    """GitHub's filter patterns: ``*`` matches within one path segment, ``**`` across them."""
    regex = re.escape(pattern).replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
    return re.fullmatch(regex, name) is not None


def triggered(wf: dict, event: Event) -> bool:
    """Whether ``wf`` runs for ``event`` (its ``on:`` and the push's branch and tag filters)."""
    on = wf["on"]
    triggers = {on: None} if isinstance(on, str) else {t: None for t in on} if isinstance(on, list) else on
    if event.name not in triggers:
        return False
    spec = triggers[event.name] or {}
    if event.name != "push" or not ({"branches", "tags"} & set(spec)):
        return True
    kind, name = ("tags", event.ref[len("refs/tags/"):]) if event.ref.startswith("refs/tags/") \
        else ("branches", event.ref[len("refs/heads/"):])
    return any(_glob(p, name) for p in spec.get(kind, []))


@dataclass
class JobRun:
    """What happened to one job: ``result`` (``success``, ``failure`` or ``skipped``), its
    runner (``runs-on`` evaluated; None when skipped), the jobs it waited for, its ``env``."""

    job: str
    result: str
    runner: object
    needs: list[str]
    env: dict


def play(wf: dict, event: Event) -> dict[str, JobRun]:
    """Every job of ``wf`` for ``event``, in an order where a job comes after its needs."""
    if not triggered(wf, event):
        return {}
    jobs, done = wf["jobs"], {}
    while len(done) < len(jobs):
        ready = [j for j in jobs if j not in done and all(n in done for n in needs_of(jobs[j]))]
        if not ready:
            left = sorted(set(jobs) - set(done))
            raise ValueError(f"the jobs' needs form a cycle or name a missing job: {left}")
        for name in ready:
            job = jobs[name]
            ctx = {"github": event.github(), "vars": dict(event.variables),
                   "needs": {n: {"result": done[n].result, "outputs": {}} for n in needs_of(job)},
                   "env": {}, "steps": {}, "secrets": {}, "inputs": {}}
            condition = job.get("if")
            condition = "success()" if condition is None else str(condition).strip()
            if condition.startswith("${{"):
                condition = condition[3:].rsplit("}}", 1)[0]
            if not any(f in condition for f in STATUS_FUNCTIONS):
                condition = f"success() && ({condition})"
            if not _truthy(evaluate(condition, ctx)):
                done[name] = JobRun(name, "skipped", None, needs_of(job), {})
                continue
            runner = substitute(job["runs-on"], ctx)
            if not _truthy(runner):
                raise ValueError(f"job {name}: runs-on is empty for {event}")
            env = substitute(job.get("env", {}), ctx)
            result = "failure" if name in event.failing else "success"
            done[name] = JobRun(name, result, runner, needs_of(job), env)
    return done


def describe(runs: dict[str, JobRun]) -> list[str]:
    """One line per job: what it waited for, where it ran, or that it was skipped."""
    lines = []
    for run in runs.values():
        after = f" after {', '.join(f'{n} ({runs[n].result})' for n in run.needs)}" if run.needs else ""
        if run.result == "skipped":
            lines.append(f"  {run.job}: skipped{after}")
        else:
            where = json.dumps(run.runner) if not isinstance(run.runner, str) else run.runner
            extra = f"; publishes {run.env['SITE']}" if "SITE" in run.env else ""
            lines.append(f"  {run.job}: {run.result} on {where}{after}{extra}")
    return lines


CASES = {
    "push to main, no GPU runner (GPU_RUNNER unset)": Event("push", "refs/heads/main"),
    "push to main, a self-hosted GPU runner (GPU_RUNNER=[\"self-hosted\", \"linux\", \"gpu\"])":
        Event("push", "refs/heads/main", {"GPU_RUNNER": '["self-hosted", "linux", "gpu"]'}),
    "push to main, a GitHub-hosted GPU runner (GPU_RUNNER=gpu-t4-4-core)":
        Event("push", "refs/heads/main", {"GPU_RUNNER": "gpu-t4-4-core"}),
    "push of the tag v0.1.0 (PUBLISH_TO_PYPI unset)": Event("push", "refs/tags/v0.1.0"),
    "push of the tag v0.1.0 (PUBLISH_TO_PYPI=true)":
        Event("push", "refs/tags/v0.1.0", {"PUBLISH_TO_PYPI": "true"}),
    "pull request (GPU_RUNNER set or not)":
        Event("pull_request", "refs/pull/1/merge", {"GPU_RUNNER": '["self-hosted", "linux", "gpu"]'}),
    "the weekly schedule (cron)": Event("schedule", "refs/heads/main"),
    "run by hand (workflow_dispatch) on main": Event("workflow_dispatch", "refs/heads/main"),
}


def main() -> int:
    for title, event in CASES.items():
        print(title)
        for path in sorted(WORKFLOWS.glob("*.yml")):
            runs = play(load(path.name), event)
            print(f" {path.name}:" + ("" if runs else " not triggered"))
            for line in describe(runs):
                print(" " + line)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
