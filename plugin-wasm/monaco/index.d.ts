// Types of the Monaco adapter (index.js). The engine's own types (SearchHit, Answer, Suggestion,
// PromptRequest, …) are the assistant package's: ../pkg-assistant/plugin_wasm.d.ts.
import type * as Monaco from 'monaco-editor';
import type {
  Answer, BulkReport, CallOptions, EmbedderInfo, EngineOptions, FileInput, PromptRequest, RefinePlan, RefinerOptions,
  SearchHit, SearchOptions,
} from '../pkg-assistant/plugin_wasm';

export interface PilotfishOptions {
  /** The proxy's origin, e.g. "http://127.0.0.1:8787" (a trailing "/v1" is accepted). */
  proxyUrl: string;
  /** The client token the proxy knows this person by (sent as a bearer token, never logged). */
  token?: string;
  /** The project, indexed in the worker after attaching; paths of a restored index that are not
   * among them are removed. The editor's copy of the file it shows wins over the one given here. */
  files?: FileInput[];
  /** Progress of indexing `files`, after each time slice of the worker. */
  onProgress?: (done: number, total: number) => void;
  /** The IndexedDB database the index snapshot (and the response cache) persist in; on the next
   * attach the snapshot is restored and only files whose content changed are re-indexed. A
   * damaged or foreign snapshot is discarded with a console warning. Absent: memory only. */
  persistKey?: string;
  /** Task → proxy alias (or an escalation ladder), as `Engine.configureAssistant` takes it. */
  routes?: Record<string, string | string[]>;
  /** US dollars per million tokens by alias, as `Engine.configureAssistant` takes them: the cost
   * in `metrics()` (an alias missing from the table costs nothing). */
  prices?: Record<string, { input_usd_per_mtok: number; output_usd_per_mtok: number }>;
  /** The most tokens a completion's prompt may cost (the engine's default: 2048). A small model
   * on a CPU answers sooner with less context (the demo gives its local model 512). */
  /** The completion prompt's template: a FIM family ("qwen2.5-coder", the default, "starcoder2",
   * "deepseek-coder", ...) or "plain" for a model without fill-in-the-middle tokens. */
  completionFamily?: string;
  completionBudget?: number;
  /** The engine's adaptive debounce bounds (defaults 50–400 ms). */
  debounce?: { minMs?: number; maxMs?: number; initialMs?: number };
  /** The engine's options (`positionEncoding` is always "utf16", as Monaco counts). */
  engineOptions?: Omit<EngineOptions, 'positionEncoding'>;
  /** The engine's path of a model; default: the model URI's path without the leading "/". */
  pathOf?: (model: Monaco.editor.ITextModel) => string;
  /** Opens a file the panel links to (a citation or search hit) that this editor does not show. */
  openFile?: (path: string, startLine: number, endLine: number) => void;
  /** Pause after the last edit before the edited file is re-indexed; default 300 ms. */
  reindexDelayMs?: number;
  /** A static token table (`.pfst`, as `pilotfish distill` writes it; `cargo xtask serve` names
   * its table in /embed/active.json) to search with instead of the hashed embedder. The worker
   * fetches it and loads it before restoring a snapshot or indexing anything; a snapshot made
   * with another embedder is then discarded (console warning, fresh index). A failed download
   * leaves the hashed embedder in place, with a console warning. Relative URLs resolve against
   * the page. */
  staticTableUrl?: string | URL;
  /** Where the worker script is; default worker.js beside index.js. */
  workerUrl?: string | URL;
  /** Type-check each generate-with-tests round's implementation beside `files` while its tests
   * run: Python with Pyright's browser build (../sandbox/pyright.js), JavaScript and TypeScript
   * with the `typescript` compiler (../sandbox/ts.js), each in its own worker, started on the
   * first round that needs it and terminated by `dispose()`. A type error rejects the round like
   * a failing test and is in the next round's feedback. Their assets are loaded from
   * `node_modules/browser-basedpyright/` and `node_modules/typescript/` beside `plugin-wasm/`
   * (a server at the repository root). Default true; false: rounds are judged by their tests,
   * findings and syntax alone. */
  typeCheck?: boolean;
}

/** `indexFiles`' report: the engine's `BulkReport` summed over the worker's time slices. */
export interface IndexReport extends BulkReport {
  /** Indexed paths removed because they are not in the project (initial `files` only). */
  removed: number;
  /** The snapshot was written to IndexedDB (something changed and `persistKey` is set). */
  persisted: boolean;
}

/** What the adapter counted in this editor (the engine's view is `metrics()`). */
export interface AdapterStats {
  /** Times Monaco asked for ghost text. */
  requested: number;
  shown: number;
  accepted: number;
  /** Requests that ended stale (superseded or cancelled by Monaco). */
  cancelled: number;
  /** Requests that failed (the message is on the console once, and in `lastError`). */
  failed: number;
  lastError: string | null;
  /** Milliseconds from Monaco's request to the worker's answer, for the last suggestion. */
  lastMs: number | null;
  lastSource: 'network' | 'prefix_cache' | 'response_cache' | null;
}

export interface PilotfishHandle {
  /** What was restored from IndexedDB: indexed files, why a snapshot was discarded, its size in
   * bytes, and the milliseconds the worker took to read and restore it (`readMs` of them reading). */
  readonly restored: { files: number; discarded: string | null; bytes: number; ms: number; readMs: number };
  /** The embedder that searches: `kind` "static" when `staticTableUrl` loaded, else "hashed". */
  readonly embedder: EmbedderInfo;
  /** Settles when `options.files` are indexed (null without `files`). */
  readonly indexed: Promise<IndexReport | null>;
  /** Indexes (or re-indexes) files in the worker; unchanged files cost a hash. */
  indexFiles(files: FileInput[], onProgress?: (done: number, total: number) => void): Promise<IndexReport>;
  search(query: string, options?: SearchOptions): Promise<SearchHit[]>;
  /** "Pilotfish: explain selection": streams the answer into the panel and resolves to it. */
  explain(): Promise<Answer | null>;
  /** The engine's `chat` (tasks chat, explain, generate, refactor) through the worker. */
  chat(request: PromptRequest & { task?: string }, options?: CallOptions): Promise<Answer | null>;
  /** A generate-with-tests loop's decisions (`Engine.refiner` in the worker), as
   * ../sandbox/refine.js takes its `steps`; `free()` when done. */
  refiner(options: RefinerOptions): Promise<RefinerSteps>;
  /** Generate with tests: asks the model (task `generate`) from `request` (default: the shown
   * file at the cursor), runs the answer's tests in the sandbox and type-checks it (`typeCheck`),
   * and refines until a round passes or the rounds run out; `onRound` sees each round as it ends. */
  generate(options: GenerateOptions): Promise<{ accepted: boolean; rounds: GenerateRound[]; costMicroUsd: number }>;
  /** The engine's `metrics()`: latency percentiles, cache hit rate, acceptance, tokens, cost. */
  metrics(): Promise<unknown>;
  /** Re-indexes the shown file and writes the snapshot and response cache now. */
  flush(): Promise<void>;
  stats(): AdapterStats;
  /** Removes the provider, listeners, actions and panel, and terminates the worker. */
  dispose(): void;
}

export interface RefinerSteps {
  request(): string;
  plan(): Promise<RefinePlan | null>;
  split(answer: string): Promise<{ implementation: string; tests: string; notes: string[] }>;
  record(plan: RefinePlan, input: { answer: string; usage?: unknown; run: unknown; host?: HostDiagnostic[] }): Promise<{ accepted: boolean; feedback: string | null }>;
  /** The engine's record of every round (findings, tokens, cost). */
  rounds(): Promise<unknown[]>;
  costMicroUsd(): Promise<number>;
  free(): Promise<void>;
}

export interface GenerateOptions extends RefinerOptions {
  /** Where the context comes from (`chat`'s request without task and question). */
  request?: PromptRequest;
  /** The sandbox's wall-clock limit per run. */
  timeoutMs?: number;
  signal?: AbortSignal;
  onRound?: (round: GenerateRound) => void | Promise<void>;
}

/** A type checker's finding in a round's implementation (1-based line and column). */
export interface HostDiagnostic {
  /** With the checker's rule or code, e.g. "... (reportReturnType)" or "... (TS2322)". */
  message: string;
  line: number;
  column: number;
  severity: 'error' | 'warning' | 'information' | 'hint';
  source: 'pyright' | 'typescript';
}

/** One round as ../sandbox/refine.js reports it, with the adapter's `typeCheck`. */
export interface GenerateRound {
  round: number;
  attempt: number;
  model: string;
  usage: { prompt_tokens: number; completion_tokens: number } | null;
  promptTokens: number;
  implementation: string;
  tests: string;
  /** The sandbox's report: per-test pass/fail, stdout, stderr, time. */
  run: { tests: { name: string; passed: boolean; error: string | null; stdout: string; stderr: string; ms: number }[];
    error: string | null; timedOut: boolean; truncated: boolean; stdout: string; stderr: string };
  /** Syntax errors and security findings of the implementation and of the tests. */
  findings: { syntax: unknown[]; security: unknown[] } | null;
  testFindings: { syntax: unknown[]; security: unknown[] } | null;
  /** The type checker's diagnostics of the implementation ([] when clean or not checked). */
  host: HostDiagnostic[];
  /** What the type check did: the checker, the path the implementation was checked at (the
   * request's file, or `pilotfish_generated.<ext>` beside it when that is of another language),
   * its time, and why it failed (then the round was judged without it); null when `typeCheck` is
   * false or the language has no checker. */
  typeCheck: { checker: 'pyright' | 'typescript'; path: string; ms: number; error: string | null } | null;
  notes: string[];
  costMicroUsd: number | null;
  accepted: boolean;
  /** What the next round sends (null when accepted). */
  feedback: string | null;
}

export function attachPilotfish(
  editor: Monaco.editor.IStandaloneCodeEditor,
  monaco: typeof Monaco,
  options: PilotfishOptions,
): Promise<PilotfishHandle>;
