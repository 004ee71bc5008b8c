//! The key-holding, OpenAI-compatible LLM gateway that browsers talk to.
