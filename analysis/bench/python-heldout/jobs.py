"""Batch and deployment jobs, written as a second held-out set for the security benchmark
(analysis/bench/README.md): labelled before the rules added after the first set's misses were
written, and never used to write them.

Each line a reviewer would flag ends with `# vuln: <topic>`; each line that looks like a
finding but is not ends with `# safe: <topic>`. Unmarked lines should not be flagged.
"""

import argparse
import os
import pickle
import stat
import subprocess
import tarfile
import tempfile
from pathlib import Path

import paramiko
import requests

CACHE = Path.home() / ".cache" / "jobs" / "state.pickle"


def publish(build_dir):
    os.chmod(build_dir, 0o777)  # vuln: permissions
    os.chmod(os.path.join(build_dir, "run.sh"), 0o755)  # safe: permissions
    os.chmod(os.path.join(build_dir, "deploy.key"), 0o600)  # safe: permissions
    os.chmod(os.path.join(build_dir, "shared.sock"), stat.S_IRWXU | stat.S_IRWXG | stat.S_IRWXO)  # vuln: permissions
    Path(build_dir, "settings.ini").chmod(0o666)  # vuln: permissions


def lock():
    handle = open("/tmp/jobs.lock", "w")  # vuln: temp-file
    handle.write(str(os.getpid()))
    return handle


def scratch():
    fd, path = tempfile.mkstemp(suffix=".json")  # safe: temp-file
    name = tempfile.mktemp(suffix=".json")  # vuln: temp-file
    Path("/tmp/jobs-report.csv").write_text("id,status\n")  # vuln: temp-file
    return fd, path, name


def archive(folder, dest):
    subprocess.run(["tar", "czf", dest, folder], check=True)  # safe: shell
    subprocess.call("rsync -a %s backup:/srv/" % folder, shell=True)  # vuln: shell


def unpack(bundle, into):
    with tarfile.open(bundle) as tar:
        tar.extractall(into)  # vuln: archive
    with tarfile.open(bundle) as tar:
        tar.extractall(into, filter="data")  # safe: archive


def resume():
    with open(CACHE, "rb") as f:
        return pickle.load(f)  # vuln: deserialization


def remote(host):
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # vuln: ssh
    client.load_system_host_keys()
    client.connect(host)
    return client


def notify(url, payload):
    requests.post(url, json=payload, verify=False, timeout=10)  # vuln: tls
    requests.post(url, json=payload, timeout=10)  # safe: tls


def main():
    parser = argparse.ArgumentParser(description="Run the nightly jobs.")
    parser.add_argument("--scratch", default=None, help="scratch folder (defaults to a fresh folder under /tmp)")  # safe: temp-file
    args = parser.parse_args()
    work = tempfile.mkdtemp(dir=args.scratch)  # safe: temp-file
    publish(work)


if __name__ == "__main__":
    main()
