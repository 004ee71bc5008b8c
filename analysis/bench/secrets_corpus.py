"""The synthetic secrets corpus for `analysis/bench/run.py`: real provider key formats filled with
seeded random characters, in the contexts they turn up in (Python settings, YAML, JSON, .ini,
shell), and hard negatives that look random but are not secrets: UUIDs, git and content hashes,
lock-file integrity hashes, base64 images, placeholders and documentation examples,
environment-variable references.

The formats are the providers' published shapes (prefix, alphabet, length); they were written
from those, not from either tool's patterns. Nothing here is a live key: every value is random.
The corpus is generated at bench time into an ignored folder, so no key-shaped string is
committed. `generate(out_dir, seed)` writes the files and returns the cases:
`[{file, start, end, kind, secret}]` (1-based line ranges).
"""

import base64
import json
import os
import random
import string
import uuid

ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
B64 = ALNUM + "+/"
HEX = "0123456789abcdef"
UPPER32 = string.ascii_uppercase + "234567"


class Corpus:
    def __init__(self, out_dir, seed):
        self.rng = random.Random(seed)
        self.out_dir = out_dir
        self.files = {}
        self.cases = []

    def chars(self, alphabet, n):
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def add(self, file, lines, kind, secret):
        """Appends `lines` (a case) to `file`, then a blank line."""
        body = self.files.setdefault(file, [])
        start = len(body) + 1
        body.extend(lines)
        self.cases.append(
            {"file": file, "start": start, "end": len(body), "kind": kind, "secret": secret}
        )
        body.append("")

    def write(self):
        os.makedirs(self.out_dir, exist_ok=True)
        for name, lines in self.files.items():
            with open(os.path.join(self.out_dir, name), "w") as fh:
                fh.write("\n".join(lines) + "\n")


def positives(c, per_kind):
    r = c.chars
    for i in range(per_kind):
        c.add("settings.py", [f'AWS_ACCESS_KEY_ID = "AKIA{r(UPPER32, 16)}"'], "aws-access-key-id", True)
        c.add(
            "credentials.ini",
            ["[default]", f"aws_secret_access_key = {r(B64, 40)}"],
            "aws-secret-access-key",
            True,
        )
        c.add("settings.py", [f'GITHUB_TOKEN = "ghp_{r(ALNUM, 36)}"'], "github-pat", True)
        c.add(
            "deploy.sh",
            [f"export GH_TOKEN=github_pat_{r(ALNUM, 22)}_{r(ALNUM, 59)}"],
            "github-fine-grained-pat",
            True,
        )
        c.add("ci.yml", [f"  gitlab_token: glpat-{r(URLSAFE, 20)}"], "gitlab-pat", True)
        c.add(
            "settings.py",
            [f'SLACK_BOT_TOKEN = "xoxb-{r(string.digits, 12)}-{r(string.digits, 13)}-{r(ALNUM, 24)}"'],
            "slack-token",
            True,
        )
        c.add(
            "notify.py",
            [
                "WEBHOOK = (",
                f'    "https://hooks.slack.com/services/T{r(UPPER32, 8)}/B{r(UPPER32, 10)}/{r(ALNUM, 24)}"',
                ")",
            ],
            "slack-webhook",
            True,
        )
        c.add("billing.py", [f'stripe.api_key = "sk_live_{r(ALNUM, 24)}"'], "stripe-secret-key", True)
        c.add("app.json", [f'  "mapsKey": "AIza{r(URLSAFE, 35)}",'], "google-api-key", True)
        c.add(
            "llm.py",
            [f'client = OpenAI(api_key="sk-proj-{r(URLSAFE, 74)}T3BlbkFJ{r(URLSAFE, 74)}")'],
            "openai-api-key",
            True,
        )
        c.add("llm.py", [f'OPENAI_KEY = "sk-{r(ALNUM, 20)}T3BlbkFJ{r(ALNUM, 20)}"'], "openai-api-key-legacy", True)
        c.add(
            "llm.py",
            [f'ANTHROPIC_API_KEY = "sk-ant-api03-{r(URLSAFE, 93)}AA"'],
            "anthropic-api-key",
            True,
        )
        c.add("npmrc.txt", [f"//registry.npmjs.org/:_authToken=npm_{r(ALNUM, 36)}"], "npm-token", True)
        c.add(
            "pypirc.ini",
            ["[pypi]", "username = __token__", f"password = pypi-AgEIcHlwaS5vcmc{r(URLSAFE, 120)}"],
            "pypi-token",
            True,
        )
        c.add("sms.py", [f'TWILIO_API_KEY = "SK{r(HEX, 32)}"'], "twilio-api-key", True)
        c.add("sms.py", [f'TWILIO_AUTH_TOKEN = "{r(HEX, 32)}"'], "twilio-auth-token", True)
        c.add("mail.py", [f'SENDGRID_API_KEY = "SG.{r(URLSAFE, 22)}.{r(URLSAFE, 43)}"'], "sendgrid-api-key", True)
        c.add("mail.py", [f'MAILCHIMP_KEY = "{r(HEX, 32)}-us{c.rng.randint(1, 20)}"'], "mailchimp-api-key", True)
        c.add(
            "storage.py",
            [
                'CONN = "DefaultEndpointsProtocol=https;AccountName=shopdata;'
                f'AccountKey={r(B64, 86)}==;EndpointSuffix=core.windows.net"'
            ],
            "azure-storage-key",
            True,
        )
        body = base64.b64encode(c.rng.randbytes(900)).decode()
        c.add(
            "deploy_key.txt",
            ["-----BEGIN RSA PRIVATE KEY-----"]
            + [body[j : j + 64] for j in range(0, len(body), 64)]
            + ["-----END RSA PRIVATE KEY-----"],
            "private-key",
            True,
        )
        header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
        claims = json.dumps({"sub": str(c.rng.randint(10**6, 10**7)), "name": "Ada", "iat": 1700000000 + i})
        payload = base64.urlsafe_b64encode(claims.encode()).decode().rstrip("=")
        c.add("client.py", [f'AUTH = "Bearer {header}.{payload}.{r(URLSAFE, 43)}"'], "jwt", True)
        password = r(ALNUM + "!@#%^&*", 16)
        c.add(
            "database.yml",
            [f"  url: postgres://shop:{password}@db.internal:5432/shop"],
            "connection-string",
            True,
        )
        c.add("settings.py", [f'DB_PASSWORD = "{r(ALNUM + "!#%&*", 18)}"'], "generic-password", True)
        c.add("config.yaml", [f"client_secret: {r(URLSAFE, 40)}"], "generic-secret", True)
        c.add("bot.py", [f'TELEGRAM_TOKEN = "{c.rng.randint(10**8, 10**9 - 1)}:AA{r(URLSAFE, 33)}"'], "telegram-bot-token", True)
        c.add("shop.py", [f'SHOPIFY_TOKEN = "shpat_{r(HEX, 32)}"'], "shopify-token", True)
        c.add("hub.py", [f'HF_TOKEN = "hf_{r(string.ascii_letters, 34)}"'], "huggingface-token", True)


def negatives(c, per_kind):
    r = c.chars
    for _ in range(per_kind):
        c.add("settings.py", [f'BUILD_ID = "{uuid.UUID(int=c.rng.getrandbits(128), version=4)}"'], "uuid", False)
        c.add("app.json", [f'  "requestId": "{uuid.UUID(int=c.rng.getrandbits(128), version=4)}",'], "uuid", False)
        c.add("release.yml", [f"commit: {r(HEX, 40)}"], "git-sha", False)
        c.add("checksums.txt", [f"{r(HEX, 64)}  dist/app-1.2.{c.rng.randint(0, 9)}.tar.gz"], "sha256", False)
        c.add("settings.py", [f'STATIC_HASH = "{r(HEX, 32)}"'], "md5-hash", False)
        name = r(string.ascii_lowercase, 7)
        c.add(
            "package-lock.json",
            [
                f'    "node_modules/{name}": {{',
                f'      "version": "1.{c.rng.randint(0, 20)}.{c.rng.randint(0, 9)}",',
                f'      "resolved": "https://registry.npmjs.org/{name}/-/{name}-1.0.0.tgz",',
                f'      "integrity": "sha512-{base64.b64encode(c.rng.randbytes(64)).decode()}"',
                "    },",
            ],
            "lock-file",
            False,
        )
        c.add(
            "poetry.lock",
            [f'{{file = "{name}-1.0.0.tar.gz", hash = "sha256:{r(HEX, 64)}"}},'],
            "lock-file",
            False,
        )
        png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + c.rng.randbytes(300)).decode()
        c.add("styles.css", [f'.logo {{ background: url("data:image/png;base64,{png}"); }}'], "base64-image", False)
        c.add("index.html", [f'<img alt="icon" src="data:image/png;base64,{png[:200]}">'], "base64-image", False)
        c.add("integrity.html", [f'<script src="/app.js" integrity="sha384-{base64.b64encode(c.rng.randbytes(48)).decode()}"></script>'], "sri-hash", False)
    placeholders = [
        'OPENAI_API_KEY = "your-api-key-here"',
        'API_KEY = "<YOUR_API_KEY>"',
        'password = "changeme"',
        'SECRET_KEY = "replace-me-in-production"',
        'GITHUB_TOKEN = "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"',
        'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"',
        'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
        'stripe.api_key = "sk_test_XXXXXXXXXXXXXXXXXXXXXXXX"',
        'DB_PASSWORD = "${DB_PASSWORD}"',
        'password: "{{ vault_db_password }}"',
        'token = os.environ["API_TOKEN"]',
        'SLACK_TOKEN = os.getenv("SLACK_TOKEN")',
        'password = getpass.getpass("Password: ")',
        'url: postgres://user:password@localhost:5432/dev',
        'PASSWORD_MIN_LENGTH = 12',
        'TOKEN_URL = "https://oauth2.googleapis.com/token"',
        'secret_name = "prod/db/password"',
        'api_key = "********"',
        'ANTHROPIC_API_KEY = "sk-ant-..."',
        'password = "password"',
    ]
    for line in placeholders:
        c.add("examples.py", [line], "placeholder", False)


def generate(out_dir, seed=15, per_kind=4):
    c = Corpus(out_dir, seed)
    positives(c, per_kind)
    negatives(c, per_kind * 2)
    c.write()
    return c.cases


if __name__ == "__main__":
    import sys

    cases = generate(sys.argv[1] if len(sys.argv) > 1 else ".cache/bench/secrets")
    print(f"{sum(k['secret'] for k in cases)} secrets, {sum(not k['secret'] for k in cases)} hard negatives")
