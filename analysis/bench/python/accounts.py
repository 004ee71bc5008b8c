"""Passwords, tokens and crypto, written for the security benchmark (analysis/bench/README.md).

Each line a reviewer would flag ends with `# vuln: <topic>`; each line that looks like a
finding but is not ends with `# safe: <topic>`. Unmarked lines should not be flagged.
"""

import hashlib
import os
import random
import secrets
import string

import jwt
import requests
from Crypto.Cipher import AES, DES

DB_PASSWORD = "Tr0ub4dor&3-prod"  # vuln: credential
API_TOKEN = "9f86d081884c7d659a2feaa0c55ad015"  # vuln: credential
SMTP_PASSWORD = os.environ["SMTP_PASSWORD"]  # safe: credential
EMPTY_PASSWORD = ""  # safe: credential
PASSWORD_FIELD = "password"  # safe: credential
TOKEN_TYPE = "Bearer"  # safe: credential
RESET_TOKEN_URL = "https://example.com/reset"  # safe: credential
PASSWORD_PLACEHOLDER = "changeme"  # safe: credential


def hash_password(password: str) -> str:
    return hashlib.md5(password.encode()).hexdigest()  # vuln: weak-hash


def hash_password_sha1(password: str) -> str:
    return hashlib.sha1(password.encode()).hexdigest()  # vuln: weak-hash


def hash_password_ok(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 600_000)  # safe: weak-hash


def file_checksum(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()  # safe: weak-hash


def etag(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()  # safe: weak-hash


def reset_token() -> str:
    return "".join(random.choice(string.ascii_letters) for _ in range(32))  # vuln: weak-random


def session_id() -> str:
    return str(random.getrandbits(128))  # vuln: weak-random


def reset_token_ok() -> str:
    return secrets.token_urlsafe(32)  # safe: weak-random


def shuffle_cards(deck: list) -> list:
    random.shuffle(deck)  # safe: weak-random
    return deck


def jitter() -> float:
    return random.uniform(0.5, 1.5)  # safe: weak-random


def fetch_profile(url: str) -> dict:
    return requests.get(url, verify=False, timeout=10).json()  # vuln: tls


def fetch_profile_ok(url: str) -> dict:
    return requests.get(url, timeout=10).json()  # safe: tls


def encrypt_legacy(key: bytes, data: bytes) -> bytes:
    return DES.new(key, DES.MODE_ECB).encrypt(data)  # vuln: weak-cipher


def encrypt_ecb(key: bytes, data: bytes) -> bytes:
    return AES.new(key, AES.MODE_ECB).encrypt(data)  # vuln: weak-cipher


def encrypt_ok(key: bytes, data: bytes) -> bytes:
    return AES.new(key, AES.MODE_GCM).encrypt(data)  # safe: weak-cipher


def read_claims(token: str, key: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})  # vuln: jwt


def read_claims_ok(token: str, key: str) -> dict:
    return jwt.decode(token, key, algorithms=["HS256"])  # safe: jwt
