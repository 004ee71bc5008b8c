"""Measures a running pilotfish-local: decode and prefill tokens/s, first-token time of a
1,000-token prompt, and the server's peak RSS. Standard library only.

Usage: python3 local-llm/bench/bench_local.py http://127.0.0.1:PORT SERVER_PID [RUNS]
Prints one JSON object of medians. Start the server with a release build and --threads 2."""

import json
import statistics
import sys
import time
import urllib.request

base, pid = sys.argv[1], int(sys.argv[2])
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5


def post(body, stream=False):
    req = urllib.request.Request(
        base + "/v1/completions",
        json.dumps(dict(body, model="local")).encode(),
        {"content-type": "application/json"},
    )
    return urllib.request.urlopen(req)


def streamed(body):
    """(seconds to the first text, seconds from first to last text, text chunks)."""
    start = time.perf_counter()
    first = last = None
    chunks = 0
    with post(dict(body, stream=True)) as r:
        for line in r:
            line = line.decode().strip()
            if not line.startswith("data:") or line == "data: [DONE]":
                continue
            event = json.loads(line[5:])
            if event["choices"] and event["choices"][0]["text"]:
                now = time.perf_counter()
                first = first or now
                last = now
                chunks += 1
    return first - start, last - first, chunks


# Calibrate a prompt of about 1,000 tokens (SmolLM2's tokenizer: one "word " is about a token).
words = "The quick brown fox jumps over the lazy dog while the compiler checks every borrow. "
prompt = words * 60
usage = json.load(post({"prompt": prompt, "max_tokens": 1, "temperature": 0}))["usage"]
scale = 1000 / usage["prompt_tokens"]
prompt = words * round(60 * scale)
long_tokens = json.load(post({"prompt": prompt, "max_tokens": 1, "temperature": 0}))["usage"][
    "prompt_tokens"
]

decode, first_token, prefill = [], [], []
for _ in range(runs):
    n = 128
    _, span, chunks = streamed(
        {"prompt": "Once upon a time", "max_tokens": n, "temperature": 0, "ignore_eos": True}
    )
    # Text chunks are not tokens when a character spans two; count tokens from the server.
    decode.append((n - 1) / span)
    ttft, _, _ = streamed({"prompt": prompt, "max_tokens": 2, "temperature": 0, "ignore_eos": True})
    first_token.append(ttft)
    prefill.append(long_tokens / ttft)

status = open(f"/proc/{pid}/status").read()
peak_kb = int(next(l for l in status.splitlines() if l.startswith("VmHWM")).split()[1])
print(
    json.dumps(
        {
            "runs": runs,
            "decode_tokens_per_s": round(statistics.median(decode), 1),
            "decode_all": [round(x, 1) for x in decode],
            "prompt_tokens": long_tokens,
            "first_token_s": round(statistics.median(first_token), 3),
            "first_token_all": [round(x, 3) for x in first_token],
            "prefill_tokens_per_s": round(statistics.median(prefill), 1),
            "peak_rss_mb": round(peak_kb / 1024, 1),
        }
    )
)
