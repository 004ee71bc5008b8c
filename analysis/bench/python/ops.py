"""Deployment helpers: files, archives, XML, SSH, written for the security benchmark
(analysis/bench/README.md).

Each line a reviewer would flag ends with `# vuln: <topic>`; each line that looks like a
finding but is not ends with `# safe: <topic>`. Unmarked lines should not be flagged.
"""

import marshal
import os
import ssl
import subprocess
import tarfile
import tempfile
import urllib.request
import xml.etree.ElementTree as ET

import paramiko
from lxml import etree


def scratch_file() -> str:
    path = tempfile.mktemp(suffix=".txt")  # vuln: temp-file
    return path


def scratch_file_ok() -> int:
    fd, _ = tempfile.mkstemp(suffix=".txt")  # safe: temp-file
    return fd


def log_path() -> str:
    return "/tmp/deploy.log"  # vuln: temp-file


def unpack(archive: str, dest: str) -> None:
    with tarfile.open(archive) as tar:
        tar.extractall(dest)  # vuln: archive


def unpack_ok(archive: str, dest: str) -> None:
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")  # safe: archive


def parse_feed(xml_text: str):
    parser = etree.XMLParser(resolve_entities=True)  # vuln: xxe
    return etree.fromstring(xml_text.encode(), parser)


def parse_feed_ok(xml_text: str):
    parser = etree.XMLParser(resolve_entities=False, no_network=True)  # safe: xxe
    return etree.fromstring(xml_text.encode(), parser)


def parse_config(xml_text: str):
    return ET.fromstring(xml_text)  # vuln: xml


def connect(host: str) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # vuln: ssh
    client.connect(host)
    return client


def connect_ok(host: str) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.load_system_host_keys()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())  # safe: ssh
    client.connect(host)
    return client


def fetch(url: str) -> bytes:
    ctx = ssl._create_unverified_context()  # vuln: tls
    return urllib.request.urlopen(url, context=ctx).read()


def fetch_ok(url: str) -> bytes:
    ctx = ssl.create_default_context()  # safe: tls
    return urllib.request.urlopen(url, context=ctx).read()


def share(path: str) -> None:
    os.chmod(path, 0o777)  # vuln: permissions


def share_ok(path: str) -> None:
    os.chmod(path, 0o600)  # safe: permissions


def load_cache(blob: bytes):
    return marshal.loads(blob)  # vuln: deserialization


def restart(service: str) -> None:
    subprocess.run(["systemctl", "restart", service], check=True)  # safe: shell


def restart_shell(service: str) -> None:
    subprocess.Popen("systemctl restart " + service, shell=True)  # vuln: shell


def run_hook(code: str) -> None:
    exec(code)  # vuln: eval


def run_fixed_hook() -> None:
    exec("import gc; gc.collect()")  # safe: eval
