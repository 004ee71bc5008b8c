//! Prompt building under a token budget.
