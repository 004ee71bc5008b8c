"""Drives the proxy with the official `openai` Python SDK, exactly as tools would.

Reads PROXY_BASE_URL (e.g. http://127.0.0.1:PORT/v1) and PROXY_TOKEN from the environment,
exercises chat (plain and streamed, with usage), FIM completions, embeddings (the SDK's default
base64 path) and a stream that the upstream drops midway, and prints one JSON object with what
it observed. Any exception fails the run (non-zero exit)."""

import json
import os

import openai

client = openai.OpenAI(base_url=os.environ["PROXY_BASE_URL"], api_key=os.environ["PROXY_TOKEN"], max_retries=0)
out = {"sdk_version": openai.__version__}

chat = client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "hi"}])
out["chat"] = chat.choices[0].message.content
out["chat_usage"] = chat.usage.total_tokens

text, usage = "", None
stream = client.chat.completions.create(
    model="chat",
    messages=[{"role": "user", "content": "hi"}],
    stream=True,
    stream_options={"include_usage": True},
)
for chunk in stream:
    if chunk.choices and chunk.choices[0].delta.content:
        text += chunk.choices[0].delta.content
    if chunk.usage is not None:
        usage = chunk.usage.total_tokens
out["chat_stream"] = text
out["chat_stream_usage"] = usage

text = ""
for chunk in client.chat.completions.create(
    model="claude", messages=[{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}], stream=True
):
    if chunk.choices and chunk.choices[0].delta.content:
        text += chunk.choices[0].delta.content
out["anthropic_stream"] = text

fim = client.completions.create(model="fim", prompt="def f():\n    ", suffix="\n", max_tokens=8)
out["fim"] = fim.choices[0].text

text = ""
for chunk in client.completions.create(model="local-fim", prompt="a", suffix="bc", stream=True):
    text += chunk.choices[0].text
out["fim_stream"] = text

emb = client.embeddings.create(model="embed", input=["a", "b"])
out["embedding"] = [list(map(float, d.embedding)) for d in emb.data]

models = client.models.list()
out["models"] = [m.id for m in models.data]

try:
    client.chat.completions.create(model="not-a-model", messages=[{"role": "user", "content": "x"}])
    out["forbidden"] = None
except openai.PermissionDeniedError as e:
    out["forbidden"] = e.status_code

# The upstream of alias "dropping" breaks its stream after two chunks: the SDK must raise.
got = ""
try:
    for chunk in client.chat.completions.create(
        model="dropping", messages=[{"role": "user", "content": "x"}], stream=True
    ):
        if chunk.choices and chunk.choices[0].delta.content:
            got += chunk.choices[0].delta.content
    out["mid_stream_error"] = None
except openai.APIError as e:
    out["mid_stream_error"] = {"type": type(e).__name__, "message": e.message, "partial": got}

print(json.dumps(out, sort_keys=True))
