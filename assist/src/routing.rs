//! Which proxy alias serves which task. Every task has an ordered escalation ladder of aliases:
//! its first rung is the alias a request uses, the rungs after it are stronger aliases a caller
//! may move up to when an answer was not good enough (the analysis issue's refinement loop asks
//! [`Routes::escalate`] with its attempt number). The defaults name the aliases the proxy's demo
//! config defines (`autocomplete`, `chat`, `generate`); the host overrides any task with a table
//! such as `{"refactor": ["generate", "strong"], "chat": "chat-mini"}`.
//!
//! The default ladders have one rung each: which alias is "stronger" is the host's knowledge (its
//! proxy config), so escalation is off until the host names a ladder.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What the person asked the assistant to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    Autocomplete,
    Explain,
    Generate,
    Refactor,
    Chat,
}

impl Task {
    /// Every task, in a fixed order (the order snapshots and tables list them in).
    pub const ALL: [Task; 5] = [
        Task::Autocomplete,
        Task::Explain,
        Task::Generate,
        Task::Refactor,
        Task::Chat,
    ];

    /// The task's name on the wire and in override tables.
    pub fn name(self) -> &'static str {
        match self {
            Task::Autocomplete => "autocomplete",
            Task::Explain => "explain",
            Task::Generate => "generate",
            Task::Refactor => "refactor",
            Task::Chat => "chat",
        }
    }

    /// The proxy alias a task uses when the host overrides nothing.
    pub fn default_alias(self) -> &'static str {
        match self {
            Task::Autocomplete => "autocomplete",
            Task::Explain | Task::Chat => "chat",
            Task::Generate | Task::Refactor => "generate",
        }
    }

    /// The task's position in [`Task::ALL`], for tables indexed by task.
    pub(crate) fn slot(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Task {
    type Err = RoutingError;

    fn from_str(s: &str) -> Result<Task, RoutingError> {
        Task::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| RoutingError::UnknownTask(s.to_owned()))
    }
}

/// A routing table the host could not have meant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutingError {
    #[error(
        "unknown task `{0}` in the routing table: expected one of autocomplete, explain, generate, refactor, chat"
    )]
    UnknownTask(String),
    #[error("task `{0}` has an empty escalation ladder: name at least one alias")]
    EmptyLadder(Task),
    #[error("task `{0}` names an empty alias")]
    EmptyAlias(Task),
    #[error("routing table is not valid JSON: {0}")]
    Json(String),
}

/// One task's entry in an override table: a single alias, or a ladder from weakest to strongest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Ladder {
    One(String),
    Many(Vec<String>),
}

impl Ladder {
    fn into_vec(self) -> Vec<String> {
        match self {
            Ladder::One(a) => vec![a],
            Ladder::Many(v) => v,
        }
    }
}

/// The host's overrides as it sends them: task name → alias or ladder. Task names are checked
/// when the table is applied ([`Routes::with_overrides`]), so a typo is an error that names it.
pub type RouteOverrides = BTreeMap<String, Ladder>;

/// The routing table: an escalation ladder per task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routes {
    ladders: [Vec<String>; 5],
}

impl Default for Routes {
    fn default() -> Routes {
        Routes {
            ladders: Task::ALL.map(|t| vec![t.default_alias().to_owned()]),
        }
    }
}

impl Routes {
    /// The defaults with the host's overrides applied; tasks the table does not name keep their
    /// defaults. The whole table is checked before anything is applied.
    pub fn with_overrides(overrides: &RouteOverrides) -> Result<Routes, RoutingError> {
        let mut routes = Routes::default();
        for (name, ladder) in overrides {
            let task: Task = name.parse()?;
            let rungs = ladder.clone().into_vec();
            if rungs.is_empty() {
                return Err(RoutingError::EmptyLadder(task));
            }
            if rungs.iter().any(|a| a.trim().is_empty()) {
                return Err(RoutingError::EmptyAlias(task));
            }
            routes.ladders[task.slot()] = rungs;
        }
        Ok(routes)
    }

    /// [`Routes::with_overrides`] from the table's JSON text.
    pub fn from_json(json: &str) -> Result<Routes, RoutingError> {
        let table: RouteOverrides =
            serde_json::from_str(json).map_err(|e| RoutingError::Json(e.to_string()))?;
        Routes::with_overrides(&table)
    }

    /// The alias a request for `task` goes to.
    pub fn alias(&self, task: Task) -> &str {
        &self.ladders[task.slot()][0]
    }

    /// The alias for the `attempt`-th try at `task` (0 is the first try, [`Routes::alias`]); `None`
    /// once the ladder has no stronger rung, which tells the caller to stop refining.
    pub fn escalate(&self, task: Task, attempt: usize) -> Option<&str> {
        self.ladders[task.slot()].get(attempt).map(String::as_str)
    }

    /// The whole ladder for `task`, weakest first.
    pub fn ladder(&self, task: Task) -> &[String] {
        &self.ladders[task.slot()]
    }

    /// The table as an override table (every task named), e.g. to show the host what is in force.
    pub fn to_overrides(&self) -> RouteOverrides {
        Task::ALL
            .into_iter()
            .map(|t| {
                let ladder = self.ladder(t);
                let entry = match ladder {
                    [one] => Ladder::One(one.clone()),
                    many => Ladder::Many(many.to_vec()),
                };
                (t.name().to_owned(), entry)
            })
            .collect()
    }
}
