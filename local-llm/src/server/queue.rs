//! One worker thread runs generations one after another, off the async runtime, and a bounded
//! queue sits in front of it. Two cores cannot run two generations faster than one after the
//! other, so there is one worker; a request that finds the queue full is refused at once (429)
//! instead of waiting unboundedly. Each job carries the channel its text goes back on: when the
//! client goes away the handler drops the receiving end, and the worker stops at the next token.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};

use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;

use crate::generate::{Finish, Generation, Outcome, generate};
use crate::gguf::Model;

/// Queue settings.
#[derive(Debug, Clone, Copy)]
pub struct QueueConfig {
    /// Requests that may wait while one runs; one more is refused with 429.
    pub capacity: usize,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig { capacity: 4 }
    }
}

/// What the worker sends back for one job.
#[derive(Debug)]
pub enum Event {
    /// Text to show, in order.
    Text(String),
    /// The generation ended.
    Done(Outcome),
    /// The model failed; the detail is for the log.
    Failed(String),
}

/// A generation and where its events go.
#[derive(Debug)]
pub struct Job {
    pub generation: Generation,
    pub events: UnboundedSender<Event>,
}

/// The worker's counters, served at `/v1/internal/stats`.
#[derive(Debug, Default, Serialize)]
pub struct Stats {
    /// Tokens sampled since start, over all requests: what a cancelled request cost is read here.
    pub generated_tokens: AtomicU64,
    pub prompt_tokens: AtomicU64,
    pub waiting: AtomicUsize,
    pub running: AtomicUsize,
    pub completed: AtomicU64,
    pub cancelled: AtomicU64,
    pub rejected: AtomicU64,
}

/// The bounded queue in front of the worker.
#[derive(Debug)]
pub struct Queue {
    jobs: SyncSender<Job>,
    pub stats: Arc<Stats>,
}

/// Why a job was not queued.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejected {
    Full,
    WorkerGone,
}

impl Queue {
    /// Spawns the worker thread for `model`.
    pub fn start(model: Arc<Model>, config: QueueConfig) -> std::io::Result<Self> {
        let (jobs, inbox) = sync_channel::<Job>(config.capacity);
        let stats = Arc::new(Stats::default());
        let worker_stats = stats.clone();
        std::thread::Builder::new()
            .name("local-llm-worker".into())
            .spawn(move || {
                while let Ok(job) = inbox.recv() {
                    worker_stats.waiting.fetch_sub(1, Ordering::SeqCst);
                    run(&model, job, &worker_stats);
                }
            })?;
        Ok(Queue { jobs, stats })
    }

    /// Queues `job`, or refuses it at once when the queue is full.
    pub fn submit(&self, job: Job) -> Result<(), Rejected> {
        self.stats.waiting.fetch_add(1, Ordering::SeqCst);
        let result = self.jobs.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => Rejected::Full,
            TrySendError::Disconnected(_) => Rejected::WorkerGone,
        });
        if result.is_err() {
            self.stats.waiting.fetch_sub(1, Ordering::SeqCst);
            self.stats.rejected.fetch_add(1, Ordering::SeqCst);
        }
        result
    }
}

fn run(model: &Model, job: Job, stats: &Stats) {
    if job.events.is_closed() {
        // The client left while waiting: nothing to compute.
        stats.cancelled.fetch_add(1, Ordering::SeqCst);
        return;
    }
    stats.running.fetch_add(1, Ordering::SeqCst);
    stats
        .prompt_tokens
        .fetch_add(job.generation.prompt.len() as u64, Ordering::SeqCst);
    let result = generate(model, &job.generation, |text| {
        stats.generated_tokens.fetch_add(1, Ordering::SeqCst);
        if job.events.is_closed() {
            return false;
        }
        text.is_empty() || job.events.send(Event::Text(text.to_owned())).is_ok()
    });
    stats.running.fetch_sub(1, Ordering::SeqCst);
    let event = match result {
        Ok(outcome) => {
            let counter = if outcome.finish == Finish::Cancelled {
                &stats.cancelled
            } else {
                &stats.completed
            };
            counter.fetch_add(1, Ordering::SeqCst);
            Event::Done(outcome)
        }
        Err(e) => Event::Failed(e.to_string()),
    };
    let _ = job.events.send(event);
}
