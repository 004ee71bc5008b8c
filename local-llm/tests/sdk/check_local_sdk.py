"""Drives pilotfish-local through the proxy with the official `openai` Python SDK, as tools would.

Reads PROXY_BASE_URL (e.g. http://127.0.0.1:PORT/v1) from the environment; the proxy's aliases
`chat`, `generate` and `autocomplete` all go to the local model. Prints one JSON object with what
it observed; any unexpected exception fails the run (non-zero exit)."""

import json
import os

import openai

client = openai.OpenAI(base_url=os.environ["PROXY_BASE_URL"], api_key="unused-by-the-local-model", max_retries=0)
out = {}
question = [{"role": "user", "content": "What is 2+2?"}]

chat = client.chat.completions.create(model="chat", messages=question, temperature=0, max_tokens=24)
out["chat"] = chat.choices[0].message.content
out["chat_finish"] = chat.choices[0].finish_reason
out["chat_usage"] = [chat.usage.prompt_tokens, chat.usage.completion_tokens, chat.usage.total_tokens]

text, usage = "", None
stream = client.chat.completions.create(
    model="chat",
    messages=question,
    temperature=0,
    max_tokens=24,
    stream=True,
    stream_options={"include_usage": True},
)
for chunk in stream:
    if chunk.choices and chunk.choices[0].delta.content:
        text += chunk.choices[0].delta.content
    if chunk.usage is not None:
        usage = [chunk.usage.prompt_tokens, chunk.usage.completion_tokens, chunk.usage.total_tokens]
out["chat_stream"] = text
out["chat_stream_usage"] = usage

prompt = "def fibonacci(n):"
extra = {"ignore_eos": True}
completion = client.completions.create(
    model="generate", prompt=prompt, temperature=0, max_tokens=16, extra_body=extra
)
out["completion"] = completion.choices[0].text
out["completion_tokens"] = completion.usage.completion_tokens

text = ""
for chunk in client.completions.create(
    model="generate", prompt=prompt, temperature=0, max_tokens=16, extra_body=extra, stream=True
):
    if chunk.choices:
        text += chunk.choices[0].text
out["completion_stream"] = text

stopped = client.completions.create(
    model="autocomplete", prompt=prompt, temperature=0, max_tokens=40, stop=["\n\n"], extra_body=extra
)
out["stopped"] = stopped.choices[0].text
out["stopped_finish"] = stopped.choices[0].finish_reason

seeded = [
    client.chat.completions.create(
        model="chat", messages=question, temperature=1.2, seed=42, max_tokens=16
    ).choices[0].message.content
    for _ in range(2)
]
out["seed_repeats"] = seeded[0] == seeded[1]

try:
    client.completions.create(model="generate", prompt="hello " * 5000, max_tokens=4)
    out["too_long"] = None
except openai.BadRequestError as e:
    out["too_long"] = e.status_code

print(json.dumps(out))
