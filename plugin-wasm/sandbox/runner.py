"""The Python sandbox's test runner (loaded once into Pyodide by py-worker.js).

`run_job(code, tests, module, output_cap, report)` executes the implementation as module
`module` (registered in sys.modules, so tests may `from solution import add`), then the tests in
a namespace that starts with the implementation's names. It runs unittest.TestCase classes,
top-level `test_*` functions, and counts top-level asserts that held as one test. Each test's
stdout and stderr are captured; all output together is capped at `output_cap` characters, past
which writing raises OutputCapReached (a BaseException, so a test's `except Exception` cannot
swallow it). `report(json)` is called as each test finishes; the return value is the result as
JSON: {tests: [{name, passed, error, stdout, stderr, ms}], error, truncated, stdout, stderr}.
"""

import inspect
import io
import json
import linecache
import sys
import time
import traceback
import types
import unittest


class OutputCapReached(BaseException):
    pass


class Budget:
    def __init__(self, cap):
        self.cap = cap
        self.used = 0
        self.truncated = False


class Capture(io.TextIOBase):
    def __init__(self, budget):
        self.budget = budget
        self.parts = []

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        budget = self.budget
        if budget.used + len(text) > budget.cap:
            self.parts.append(text[: max(0, budget.cap - budget.used)])
            budget.used = budget.cap
            budget.truncated = True
            raise OutputCapReached(
                f"output cap of {budget.cap} characters reached; the rest of the output was dropped"
            )
        budget.used += len(text)
        self.parts.append(text)
        return len(text)

    def text(self):
        return "".join(self.parts)


def describe(exc):
    """The exception and the last line of the job's own code it came from."""
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith("<sandbox:")
    ]
    if frames:
        last = frames[-1]
        text += f" ({last.filename[9:-1]} line {last.lineno}: {(last.line or '').strip()})"
    return text


def captured(budget, fn):
    """Runs fn with stdout and stderr captured; returns (error, stdout, stderr, ms)."""
    out, err = Capture(budget), Capture(budget)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    started = time.perf_counter()
    error = None
    try:
        fn()
    except OutputCapReached as exc:
        error = str(exc)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt are test failures here too
        error = describe(exc)
    finally:
        sys.stdout, sys.stderr = saved
    return error, out.text(), err.text(), (time.perf_counter() - started) * 1000


class Collect(unittest.TestResult):
    """Keeps the first problem of a single test as an exception object, not a formatted trace."""

    def __init__(self):
        super().__init__()
        self.problem = None

    def _keep(self, err):
        if self.problem is None:
            self.problem = describe(err[1])

    def addError(self, test, err):
        self._keep(err)

    def addFailure(self, test, err):
        self._keep(err)

    def addSubTest(self, test, subtest, err):
        if err is not None:
            self._keep(err)

    def addUnexpectedSuccess(self, test):
        self.problem = self.problem or "unexpected success"


def run_job(code, tests, module, output_cap, report):
    budget = Budget(int(output_cap))
    result = {"tests": [], "error": None, "truncated": False, "stdout": "", "stderr": ""}

    def record(name, error, out, err, ms):
        entry = {
            "name": name,
            "passed": error is None,
            "error": error,
            "stdout": out,
            "stderr": err,
            "ms": ms,
        }
        result["tests"].append(entry)
        report(json.dumps(entry))

    # Tracebacks quote the job's own lines: register its sources where traceback looks.
    for name, source in ((f"<sandbox:{module}.py>", code), ("<sandbox:tests.py>", tests)):
        linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    mod = types.ModuleType(module)
    mod.__file__ = f"<sandbox:{module}.py>"
    sys.modules[module] = mod
    try:
        compiled = compile(code, f"<sandbox:{module}.py>", "exec")
        compiled_tests = compile(tests, "<sandbox:tests.py>", "exec")
    except SyntaxError as exc:
        where = "the tests" if exc.filename == "<sandbox:tests.py>" else "the implementation"
        result["error"] = f"{where} does not parse: {exc.msg} (line {exc.lineno})"
        return json.dumps(result)

    error, out, err, _ = captured(budget, lambda: exec(compiled, mod.__dict__))
    result["stdout"], result["stderr"] = out, err
    if error is not None:
        result["error"] = f"the implementation failed to load: {error}"
        result["truncated"] = budget.truncated
        return json.dumps(result)

    namespace = {k: v for k, v in mod.__dict__.items() if not k.startswith("__")}
    # Not "__main__": a test file's `if __name__ == "__main__": unittest.main()` stays quiet.
    namespace["__name__"] = "tests"
    error, out, err, ms = captured(budget, lambda: exec(compiled_tests, namespace))
    if error is not None:
        record("tests (top level)", error, out, err, ms)
    else:
        result["stdout"] += out
        result["stderr"] += err

    loader = unittest.TestLoader()
    found = 0
    for value in list(namespace.values()):
        if (
            isinstance(value, type)
            and issubclass(value, unittest.TestCase)
            and value.__module__ == "tests"
        ):
            for method in loader.getTestCaseNames(value):
                found += 1
                case = value(method)
                outcome = Collect()
                error, out, err, ms = captured(budget, lambda: case.run(outcome))
                record(f"{value.__name__}.{method}", error or outcome.problem, out, err, ms)
    for name, value in list(namespace.items()):
        if (
            name.startswith("test")
            and inspect.isfunction(value)
            and value.__module__ == "tests"
            and not inspect.signature(value).parameters
        ):
            found += 1
            if inspect.iscoroutinefunction(value):
                record(name, "async test functions are not supported in the sandbox", "", "", 0.0)
                continue
            error, out, err, ms = captured(budget, value)
            record(name, error, out, err, ms)
    if found == 0 and not result["tests"] and "assert" in tests:
        # Plain top-level asserts, all of which held.
        record("tests (top level)", None, "", "", ms)
    result["truncated"] = budget.truncated
    return json.dumps(result)
