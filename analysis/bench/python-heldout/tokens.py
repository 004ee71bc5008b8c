"""Token and encryption helpers, written as a second held-out set for the security benchmark
(analysis/bench/README.md): labelled before the rules added after the first set's misses were
written, and never used to write them.

Each line a reviewer would flag ends with `# vuln: <topic>`; each line that looks like a
finding but is not ends with `# safe: <topic>`. Unmarked lines should not be flagged.
"""

import hashlib
import hmac
import os
import random
import secrets

import jwt
from Crypto.Cipher import AES, DES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

SIGNING_KEY = os.environ["TOKEN_SIGNING_KEY"]  # safe: credential
smtp_password = "Winter2024!relay"  # vuln: credential
PASSWORD_FIELD = "password"  # safe: credential


def claims_unchecked(token):
    return jwt.decode(token, options={"verify_signature": False})  # vuln: jwt


def claims_legacy(token):
    return jwt.decode(token, SIGNING_KEY, verify=False)  # vuln: jwt


def claims(token):
    return jwt.decode(token, SIGNING_KEY, algorithms=["HS256"])  # safe: jwt


def issue(user_id):
    return jwt.encode({"sub": user_id}, SIGNING_KEY, algorithm="HS256")  # safe: jwt


def seal_legacy(key, iv, data):
    return DES.new(key, DES.MODE_CBC, iv).encrypt(data)  # vuln: weak-cipher


def seal_blocks(key, data):
    return AES.new(key, AES.MODE_ECB).encrypt(data)  # vuln: weak-cipher


def seal(key, data):
    cipher = AES.new(key, AES.MODE_GCM)  # safe: weak-cipher
    return cipher.nonce, *cipher.encrypt_and_digest(data)


def seal_triple(key, iv):
    return Cipher(algorithms.TripleDES(key), modes.CBC(iv)).encryptor()  # vuln: weak-cipher


def seal_ecb(key):
    return Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # vuln: weak-cipher


def seal_ctr(key, nonce):
    return Cipher(algorithms.AES(key), modes.CTR(nonce)).encryptor()  # safe: weak-cipher


def password_digest(password):
    return hashlib.md5(password.encode()).hexdigest()  # vuln: weak-hash


def etag(body):
    return hashlib.md5(body, usedforsecurity=False).hexdigest()  # safe: weak-hash


def password_hash(password, salt):
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 600_000)  # safe: weak-hash


def reset_code():
    return "".join(random.choice("0123456789") for _ in range(6))  # vuln: weak-random


def session_token():
    return secrets.token_urlsafe(32)  # safe: weak-random


def jitter():
    return random.uniform(0.5, 1.5)  # safe: weak-random


def same(a, b):
    return hmac.compare_digest(a, b)
