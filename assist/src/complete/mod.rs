//! Completion postprocessing.
