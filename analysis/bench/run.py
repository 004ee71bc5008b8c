"""Side by side, in one run: our Python security rules against bandit, and our secret redactor
against detect-secrets (both from PyPI, installed in an ignored venv), on the same files.
Benchmark only: nothing here runs in CI. `cargo xtask bench analysis` runs it; by hand:

    python3 analysis/bench/run.py --pilotfish target/debug/pilotfish

Security: the annotated files in analysis/bench/python/ (written for this benchmark; held out
until the rules for its misses were written against it), analysis/bench/python-heldout/ (a
second set, labelled and committed before those rules, not used to write them) and, for reference, the rules' own fixtures
(analysis/tests/fixtures/rules/python/, written with the rules, so biased in our favour). A line
marked `# vuln: <topic>` (fixtures: the line after `# ruleid: ...`) is a true finding; a line
marked `# safe: <topic>` (fixtures: after `# ok: ...`) looks like one but is not. A tool finds a
vulnerable line when one of its findings' line ranges covers it; every finding that covers no
vulnerable line is a false positive, counted as "on a safe line" or "elsewhere".

Secrets: the synthetic corpus of secrets_corpus.py (seeded). A secret case is found when a
finding falls within its lines; a hard-negative case with a finding is a false positive.
"""

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import secrets_corpus  # noqa: E402

# pyright is for tests/bench/analysis.mjs (the type checker against the native one); its PyPI
# wrapper fetches the matching npm package on first use.
PEERS = ["bandit==1.9.4", "detect-secrets==1.5.0", "pyright==1.1.414"]


def venv(path):
    """The venv with the peers, created and filled when missing (idempotent)."""
    python = os.path.join(path, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", path], check=True)
    freeze = subprocess.run([python, "-m", "pip", "freeze"], capture_output=True, text=True).stdout
    if any(p.lower() not in freeze.lower() for p in PEERS):
        subprocess.run(
            [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *PEERS], check=True
        )
    return os.path.join(path, "bin")


def version(bin_dir, package):
    out = subprocess.run(
        [os.path.join(bin_dir, "python"), "-c", f"import importlib.metadata as m; print(m.version('{package}'))"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


# --- security -----------------------------------------------------------------------------

MARK = re.compile(r"#\s*(vuln|safe):\s*([\w-]+)")
FIXTURE_MARK = re.compile(r"^\s*#\s*(ruleid|ok):\s*([\w-]+)")


def held_out_labels(folder):
    labels = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".py"):
            continue
        path = os.path.join(folder, name)
        for n, line in enumerate(open(path), 1):
            m = MARK.search(line)
            if m:
                labels[(os.path.realpath(path), n)] = ("vuln" if m.group(1) == "vuln" else "safe", m.group(2))
    return labels


def fixture_labels(folder):
    labels = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        lines = open(path).read().split("\n")
        for n, line in enumerate(lines, 1):
            m = FIXTURE_MARK.match(line)
            if not m:
                continue
            # The annotated line is the next one that is not itself an annotation.
            k = n
            while k < len(lines) and FIXTURE_MARK.match(lines[k]):
                k += 1
            labels[(os.path.realpath(path), k + 1)] = ("vuln" if m.group(1) == "ruleid" else "safe", m.group(2))
    return labels


def ours_security(pilotfish, files):
    out = subprocess.run([pilotfish, "scan", "--json", *files], capture_output=True, text=True)
    findings = []
    for line in out.stdout.splitlines():
        f = json.loads(line)
        findings.append((os.path.realpath(f["path"]), f["line"], f["end_line"], f["rule"], f["severity"]))
    return findings


def bandit_security(bin_dir, files):
    out = subprocess.run(
        [os.path.join(bin_dir, "bandit"), "-f", "json", "-q", *files], capture_output=True, text=True
    )
    findings = []
    for r in json.loads(out.stdout)["results"]:
        lines = r.get("line_range") or [r["line_number"]]
        findings.append(
            (os.path.realpath(r["filename"]), min(lines), max(lines), r["test_id"], r["issue_severity"].lower())
        )
    return findings


def score_security(labels, findings):
    vuln = {k for k, v in labels.items() if v[0] == "vuln"}
    found = set()
    on_safe, elsewhere = set(), set()
    for path, start, end, _rule, _sev in findings:
        covered = {(path, n) for n in range(start, end + 1)}
        hits = covered & vuln
        found |= hits
        if not hits:
            safe = [k for k in covered if labels.get(k, ("",))[0] == "safe"]
            (on_safe if safe else elsewhere).add((path, start))
    missed = collections.Counter(labels[k][1] for k in vuln - found)
    return {
        "recall": len(found) / len(vuln),
        "found": len(found),
        "vulnerable": len(vuln),
        "fp_safe": len(on_safe),
        "fp_elsewhere": len(elsewhere),
        "safe_lines": sum(1 for v in labels.values() if v[0] == "safe"),
        "missed": dict(sorted(missed.items())),
    }


def security(pilotfish, bin_dir):
    sets = [
        # The first set was held out when the rules were first written; the rules added after
        # its misses (permissions, weak ciphers, mark_safe/Markup, unverified JWT, literal /tmp,
        # render_template_string, send_file) were written against them, so it is no longer.
        ("first set: analysis/bench/python/", os.path.join(HERE, "python"), held_out_labels),
        # Labelled and committed before those rules were written, and not used to write them.
        ("second held-out set: analysis/bench/python-heldout/", os.path.join(HERE, "python-heldout"), held_out_labels),
        (
            "rules' own fixtures (biased)",
            os.path.join(ROOT, "analysis/tests/fixtures/rules/python"),
            fixture_labels,
        ),
    ]
    rows = []
    for name, folder, labeller in sets:
        labels = labeller(folder)
        files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".py"))
        t = time.perf_counter()
        ours = ours_security(pilotfish, files)
        ours_s = time.perf_counter() - t
        t = time.perf_counter()
        theirs = bandit_security(bin_dir, files)
        theirs_s = time.perf_counter() - t
        medium = [f for f in theirs if f[4] in ("medium", "high")]
        for tool, findings, secs in [
            ("pilotfish scan", ours, ours_s),
            ("bandit (all severities)", theirs, theirs_s),
            ("bandit (medium and high)", medium, None),
        ]:
            rows.append((name, tool, score_security(labels, findings), len(findings), secs))
    print("\n### Python security rules vs bandit\n")
    print("| files | tool | recall | false positives on safe lines | elsewhere | findings | time |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for name, tool, s, n, secs in rows:
        t = f"{secs:.2f} s" if secs is not None else "(same run)"
        print(
            f"| {name} | {tool} | {s['found']}/{s['vulnerable']} = {s['recall']:.0%} | "
            f"{s['fp_safe']} of {s['safe_lines']} | {s['fp_elsewhere']} | {n} | {t} |"
        )
    print()
    for name, tool, s, _n, _secs in rows:
        if s["missed"]:
            print(f"- {name}, {tool} missed: {', '.join(f'{k} x{v}' for k, v in s['missed'].items())}")


# --- secrets ------------------------------------------------------------------------------


def ours_secrets(pilotfish, folder):
    hits = []
    for name in sorted(os.listdir(folder)):
        out = subprocess.run([pilotfish, "redact", "--json", os.path.join(folder, name)], capture_output=True, text=True)
        for line in out.stdout.splitlines():
            f = json.loads(line)
            hits.append((name, f["line"], f.get("end_line", f["line"]), f["rule"]))
    return hits


def detect_secrets(bin_dir, folder):
    out = subprocess.run(
        [os.path.join(bin_dir, "detect-secrets"), "scan", "--all-files", "."],
        capture_output=True,
        text=True,
        cwd=folder,
    )
    hits = []
    for path, results in json.loads(out.stdout)["results"].items():
        for r in results:
            hits.append((os.path.basename(path), r["line_number"], r["line_number"], r["type"]))
    return hits


def score_secrets(cases, hits):
    by_file = collections.defaultdict(list)
    for name, start, end, rule in hits:
        by_file[name].append((start, end, rule))
    found, missed, fp = 0, collections.Counter(), collections.Counter()
    for case in cases:
        flagged = any(s <= case["end"] and e >= case["start"] for s, e, _ in by_file[case["file"]])
        if case["secret"]:
            found += flagged
            if not flagged:
                missed[case["kind"]] += 1
        elif flagged:
            fp[case["kind"]] += 1
    positives = sum(c["secret"] for c in cases)
    return found, positives, missed, fp


def secrets(pilotfish, bin_dir, out_dir):
    folder = os.path.join(out_dir, "secrets")
    if os.path.isdir(folder):
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
    cases = secrets_corpus.generate(folder)
    negatives = collections.Counter(c["kind"] for c in cases if not c["secret"])
    t = time.perf_counter()
    ours = score_secrets(cases, ours_secrets(pilotfish, folder))
    ours_s = time.perf_counter() - t
    t = time.perf_counter()
    theirs = score_secrets(cases, detect_secrets(bin_dir, folder))
    theirs_s = time.perf_counter() - t
    print("\n### Secret detection vs detect-secrets\n")
    kinds = sorted(negatives)
    print("| tool | recall | false positives (hard negatives) | " + " | ".join(kinds) + " | time |")
    print("| --- | ---: | ---: | " + " | ".join("---:" for _ in kinds) + " | ---: |")
    for tool, (found, positives, _missed, fp), secs in [
        ("pilotfish redact", ours, ours_s),
        ("detect-secrets (default plugins and filters)", theirs, theirs_s),
    ]:
        total = sum(negatives.values())
        per = " | ".join(f"{fp[k]}/{negatives[k]}" for k in kinds)
        print(f"| {tool} | {found}/{positives} = {found / positives:.0%} | {sum(fp.values())}/{total} | {per} | {secs:.2f} s |")
    print()
    for tool, (_f, _p, missed, _fp) in [("pilotfish redact", ours), ("detect-secrets", theirs)]:
        if missed:
            print(f"- {tool} missed: {', '.join(f'{k} x{v}' for k, v in sorted(missed.items()))}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pilotfish", default=os.path.join(ROOT, "target/release/pilotfish"))
    parser.add_argument("--out", default=os.path.join(ROOT, ".cache/bench"))
    args = parser.parse_args()
    bin_dir = venv(os.path.join(args.out, "venv"))
    print(
        f"bandit {version(bin_dir, 'bandit')}, detect-secrets {version(bin_dir, 'detect-secrets')}, "
        f"pilotfish {args.pilotfish}"
    )
    security(args.pilotfish, bin_dir)
    secrets(args.pilotfish, bin_dir, args.out)


if __name__ == "__main__":
    main()
