//! (filled by the assistant-pipeline work, issue 12)
