//! Generate with tests, then refine: the pure half of the `generate` task (issue 15, items 4–5).
//!
//! [`request`] writes what the model is asked for (the implementation and at least three tests,
//! in the test style the browser sandbox runs); [`blocks`] takes the answer apart however the
//! model fenced it; [`feedback`] turns the sandbox's test results, `analysis`'s syntax
//! diagnostics and security findings and the host's diagnostics into a verdict and the message
//! for the next round; [`rounds`] plans the rounds (escalating on the last one) and records what
//! each produced and cost. Running the code is the tab's IO (`plugin-wasm/sandbox/`), never this
//! module's.

pub mod blocks;
pub mod feedback;
pub mod request;
pub mod rounds;

pub use blocks::{CodeBlock, Generated, code_blocks, split_answer};
pub use feedback::{
    CodeFindings, HostDiagnostic, Note, RunReport, TestResult, Verdict, check_code,
    feedback_message,
};
pub use request::{GenerateSpec, TestStyle, generate_request};
pub use rounds::{Outcome, Plan, RefineConfig, Refinement, Round, RoundInput};
