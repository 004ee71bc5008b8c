//! Context gathering, data-driven: each fixture is a small project written as
//! `//- path` sections, one of which holds the cursor marker `┃`. Every file is indexed through
//! the one [`Workspace`] call, then the context at the cursor is gathered and checked.

use assist::TokenCounter;
use assist::context::{
    Cursor, DocumentTrees, GatherConfig, Gathered, HostState, OpenFile, RecentEdit, Retrieval,
    TaggedFile, Workspace,
};
use assist::{Snippet, SnippetKind};
use engine::ProjectConfig;
use expect_test::{Expect, expect};

const CURSOR: &str = "┃";

/// Counts whitespace-separated words: enough to check that every snippet carries its cost.
struct Words;
impl TokenCounter for Words {
    fn count(&self, text: &str) -> usize {
        text.split_whitespace().count()
    }
}

/// A parsed fixture: the files (cursor marker removed) and where the cursor is.
struct Fixture {
    files: Vec<(String, String)>,
    cursor_path: String,
    cursor_offset: usize,
}

fn parse(fixture: &str) -> Fixture {
    let mut files: Vec<(String, String)> = Vec::new();
    for line in fixture.lines() {
        if let Some(path) = line.strip_prefix("//- ") {
            files.push((path.trim().to_string(), String::new()));
        } else if let Some((_, text)) = files.last_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    let mut cursor = None;
    for (path, text) in &mut files {
        if let Some(at) = text.find(CURSOR) {
            text.replace_range(at..at + CURSOR.len(), "");
            cursor = Some((path.clone(), at));
        }
    }
    let (cursor_path, cursor_offset) = cursor.expect("the fixture has no cursor marker");
    Fixture {
        files,
        cursor_path,
        cursor_offset,
    }
}

fn index(fixture: &Fixture) -> Workspace {
    let mut workspace = Workspace::new(ProjectConfig::default());
    for (path, text) in &fixture.files {
        workspace
            .index_file(path, text.as_bytes(), None)
            .expect("keyword indexing cannot fail");
    }
    workspace
}

fn gather_with(fixture: &Fixture, workspace: &Workspace, host: &HostState) -> Gathered {
    let text = &fixture
        .files
        .iter()
        .find(|(p, _)| *p == fixture.cursor_path)
        .unwrap()
        .1;
    let cursor = Cursor::at_offset(&fixture.cursor_path, text, fixture.cursor_offset).unwrap();
    let gathered = workspace
        .gather(
            &cursor,
            host,
            &GatherConfig::default(),
            Retrieval::Keyword,
            &Words,
        )
        .unwrap();
    for s in &gathered.snippets {
        assert_eq!(s.tokens, Words.count(&s.text), "{s:?}");
        assert!(s.start_line >= 1 && s.start_line <= s.end_line, "{s:?}");
        assert!(!s.why.is_empty(), "{s:?}");
    }
    gathered
}

fn gather(fixture: &str) -> Gathered {
    let fixture = parse(fixture);
    let workspace = index(&fixture);
    gather_with(&fixture, &workspace, &HostState::default())
}

fn of_kind(gathered: &Gathered, kind: SnippetKind) -> Vec<&Snippet> {
    gathered
        .snippets
        .iter()
        .filter(|s| s.kind == kind)
        .collect()
}

/// The snippets of one kind, one block each: where, why, then the text.
fn render(snippets: &[&Snippet]) -> String {
    let mut out = String::new();
    for s in snippets {
        out.push_str(&format!(
            "{}:{}-{} [{:.2}] {}\n",
            s.path, s.start_line, s.end_line, s.score, s.why
        ));
        for line in s.text.lines() {
            out.push_str(&format!("    {line}\n"));
        }
    }
    out
}

fn check_definitions(fixture: &str, expect: Expect) {
    let gathered = gather(fixture);
    expect.assert_eq(&render(&of_kind(&gathered, SnippetKind::Definition)));
}

const PYTHON: &str = r#"
//- app/services/orders.py
from ..models.order import Order, OrderLine as Line
from ..util import money
from . import pricing


def total(order: Order) -> float:
    lines = order.lines
    ┃
    return sum(l.price for l in lines)


def unrelated():
    return 1
//- app/models/order.py
class Order:
    """An order of lines."""

    def __init__(self, lines):
        self.lines = lines

    def add(self, line):
        self.lines.append(line)

    def remove(self, line):
        self.lines.remove(line)


class OrderLine:
    price: float
//- app/util/money.py
def round_cents(value):
    return round(value, 2)
//- app/services/pricing.py
def discount(order, rate):
    return order.total * rate
//- app/legacy/order.py
class Order:
    """The old order, which nothing imports."""
    pass
"#;

#[test]
fn python_imports_resolve_across_files() {
    check_definitions(
        PYTHON,
        expect![[r#"
            app/models/order.py:1-10 [1.01] defines class `Order`: imported from `..models.order` at line 1, used at line 6 (in an imported module)
                class Order:
                ⋮
                    def __init__(self, lines):
                ⋮
                    def add(self, line):
                ⋮
                    def remove(self, line):
            app/models/order.py:14-15 [0.70] defines class `OrderLine`: imported from `..models.order` at line 1, not used yet in this file (in an imported module)
                class OrderLine:
                    price: float
            app/services/pricing.py:1-2 [0.35] defines function `discount`: in module `pricing`, imported from `.` at line 3, not used yet in this file
                def discount(order, rate):
                    return order.total * rate
            app/util/money.py:1-2 [0.35] defines function `round_cents`: in module `money`, imported from `..util` at line 2, not used yet in this file
                def round_cents(value):
                    return round(value, 2)
        "#]],
    );
}

/// The same name defined in the cursor's folder loses to the definition the file imports.
#[test]
fn imports_win_over_same_name_definitions_elsewhere() {
    let gathered = gather(
        r#"
//- src/app/main.ts
import { parse } from '../lib/parser';

export function run(text: string) {
  return parse(text)┃;
}
//- src/lib/parser.ts
export function parse(text: string): string[] {
  return text.split(' ');
}
//- src/app/parse.ts
export function parse(text: string): number {
  return text.length;
}
"#,
    );
    let definitions = of_kind(&gathered, SnippetKind::Definition);
    let parse: Vec<&str> = definitions
        .iter()
        .filter(|s| s.why.contains("`parse`"))
        .map(|s| s.path.as_str())
        .collect();
    assert_eq!(parse, ["src/lib/parser.ts"], "{definitions:#?}");
}

/// Without an import, a name referenced near the cursor resolves in the cursor's folder first,
/// and an alias (`load as loadConfig`) resolves to the imported name.
#[test]
fn typescript_aliases_and_nearby_references() {
    check_definitions(
        r#"
//- src/app/main.ts
import { Config, load as loadConfig } from './config';

export function start(path: string): Config {
  const config = loadConfig(path);
  report(config);
  ┃
}
//- src/app/config.ts
export interface Config {
  name: string;
  port: number;
}

export function load(path: string): Config {
  return JSON.parse(path) as Config;
}
//- src/app/report.ts
export function report(config: unknown): void {
  console.log(config);
}
//- src/other/report.ts
export function report(config: unknown): void {
  console.error(config);
}
"#,
        expect![[r#"
            src/app/config.ts:1-4 [1.00] defines interface `Config`: imported from `./config` at line 1, used at line 3 (in an imported module)
                export interface Config {
                  name: string;
                  port: number;
                }
            src/app/config.ts:6-8 [0.96] defines function `load`: imported from `./config` at line 1, used at line 4 (in an imported module)
                export function load(path: string): Config {
                  return JSON.parse(path) as Config;
                }
            src/app/report.ts:1-3 [0.63] defines function `report`: called at line 5 (same folder)
                export function report(config: unknown): void {
                  console.log(config);
                }
            src/other/report.ts:1-3 [0.47] defines function `report`: called at line 5 (by repo-map rank)
                export function report(config: unknown): void {
                  console.error(config);
                }
        "#]],
    );
}

#[test]
fn prefix_suffix_and_search_hits() {
    let gathered = gather(
        r#"
//- src/cart.py
def checkout(cart):
    subtotal = compute_subtotal(cart)
    shipping = shipping_cost┃(cart)
    return subtotal + shipping
//- src/shipping.py
def shipping_cost(cart):
    weight = sum(item.weight for item in cart.items)
    return 5 + weight * 2
//- src/unrelated.py
def greet(name):
    return "hello " + name
"#,
    );
    assert_eq!(
        gathered.window.prefix,
        "def checkout(cart):\n    subtotal = compute_subtotal(cart)\n    shipping = shipping_cost"
    );
    assert_eq!(
        gathered.window.suffix,
        "(cart)\n    return subtotal + shipping\n"
    );
    assert_eq!(gathered.window.cursor_line, 3);
    let hits = of_kind(&gathered, SnippetKind::SearchHit);
    assert_eq!(
        hits.first().map(|s| s.path.as_str()),
        Some("src/shipping.py"),
        "{hits:#?}"
    );
    assert!(
        hits.iter().all(|s| s.path != "src/cart.py"),
        "the cursor's own window is no hit"
    );
    assert!(hits[0].why.contains("keyword rank"), "{}", hits[0].why);
}

#[test]
fn recent_edits_and_open_files() {
    let fixture = parse(
        r#"
//- src/a.py
def a():
    return 1
┃
def later():
    return 2
//- src/b.py
def b():
    x = 1
    y = 2
    return x + y
//- src/c.py
def c():
    return 3
"#,
    );
    let workspace = index(&fixture);
    let host = HostState {
        recent_edits: vec![
            RecentEdit {
                path: "src/b.py".into(),
                start_line: 2,
                end_line: 3,
                at_ms: 100_000,
            },
            RecentEdit {
                path: "src/c.py".into(),
                start_line: 1,
                end_line: 2,
                at_ms: 160_000,
            },
            // In the cursor's own window: the prefix already shows it.
            RecentEdit {
                path: "src/a.py".into(),
                start_line: 1,
                end_line: 2,
                at_ms: 170_000,
            },
        ],
        open_files: vec![
            OpenFile {
                path: "src/a.py".into(),
                visible: None,
            },
            OpenFile {
                path: "src/b.py".into(),
                visible: Some((1, 2)),
            },
        ],
        now_ms: 220_000,
    };
    let gathered = gather_with(&fixture, &workspace, &host);
    expect![[r#"
        src/c.py:1-2 [0.50] edited 1 min ago
            def c():
                return 3
        src/b.py:2-3 [0.33] edited 2 min ago
                x = 1
                y = 2
    "#]]
    .assert_eq(&render(&of_kind(&gathered, SnippetKind::RecentEdit)));
    expect![[r#"
        src/b.py:1-2 [0.50] open in the editor, lines 1-2 on screen
            def b():
                x = 1
    "#]]
    .assert_eq(&render(&of_kind(&gathered, SnippetKind::OpenFile)));
}

/// Editing one file replaces only its tags, and the repo map's ranks follow on the next read.
#[test]
fn incremental_update_changes_one_file_and_the_ranks() {
    let fixture = parse(
        r#"
//- lib/store.py
class Store:
    def get(self, key):
        return key
//- lib/cache.py
class Cache:
    def lookup(self, key):
        return key
//- app/main.py
from lib.store import Store

def main():
    return Store().get(1)┃
"#,
    );
    let mut workspace = index(&fixture);
    let before_store: TaggedFile = workspace.tags().file("lib/store.py").unwrap().clone();
    let before_cache: TaggedFile = workspace.tags().file("lib/cache.py").unwrap().clone();
    let ranks = workspace.tags().ranks().clone();
    assert!(
        ranks.files["lib/store.py"] > ranks.files["lib/cache.py"],
        "{ranks:?}"
    );

    let edited = "from lib.cache import Cache\n\ndef main():\n    c = Cache()\n    return Cache().lookup(c)\n";
    workspace
        .index_file("app/main.py", edited.as_bytes(), None)
        .unwrap();
    assert!(
        !workspace.tags().ranks_ready(),
        "an edit drops the ranks until they are read"
    );
    assert_eq!(workspace.tags().file("lib/store.py"), Some(&before_store));
    assert_eq!(workspace.tags().file("lib/cache.py"), Some(&before_cache));
    let main = workspace.tags().file("app/main.py").unwrap();
    assert_eq!(main.tags.imports[0].module, "lib.cache");

    let after = workspace.tags().ranks();
    assert!(
        after.files["lib/cache.py"] > after.files["lib/store.py"],
        "{after:?}"
    );
    assert!(after.definition("lib/cache.py", "Cache") > 0.0);
    assert_eq!(after.definition("lib/store.py", "Store"), 0.0);

    // A new definition is found by name; a removed file's are gone.
    workspace
        .index_file(
            "lib/cache.py",
            b"class Cache:\n    pass\n\ndef evict(cache):\n    pass\n",
            None,
        )
        .unwrap();
    assert_eq!(workspace.tags().definitions_named("evict").len(), 1);
    assert!(workspace.remove_file("lib/store.py"));
    assert!(workspace.tags().definitions_named("Store").is_empty());
    assert!(workspace.project().file("lib/store.py").is_none());
    // Unchanged bytes re-tag nothing.
    let report = workspace
        .index_file("app/main.py", edited.as_bytes(), None)
        .unwrap();
    assert!(report.unchanged);
}

/// A restored project (no source text) gets the same tags as one indexed from text.
#[test]
fn tags_rebuilt_from_a_project_alone() {
    let fixture = parse(PYTHON);
    let workspace = index(&fixture);
    let mut project = engine::Project::new(ProjectConfig::default());
    for (path, text) in &fixture.files {
        project.index_file(path, text.as_bytes(), None).unwrap();
    }
    let rebuilt = Workspace::from_project(project);
    for (path, file) in workspace.tags().files() {
        assert_eq!(rebuilt.tags().file(path), Some(file), "{path}");
    }
}

/// A first index parses each file once: the tags come from the chunker's tree. The tags equal a
/// fresh parse's, and unchanged bytes parse nothing.
#[test]
fn first_index_parses_each_file_once() {
    let fixture = parse(PYTHON);
    let mut workspace = Workspace::new(ProjectConfig::default());
    for (path, text) in &fixture.files {
        let before = syntax::parses_on_this_thread();
        workspace.index_file(path, text.as_bytes(), None).unwrap();
        assert_eq!(syntax::parses_on_this_thread() - before, 1, "{path}");
        let language = syntax::Language::detect(path, text).unwrap();
        let fresh = syntax::tags::tags(language, text);
        assert_eq!(
            workspace.tags().file(path).map(|f| &f.tags),
            Some(&fresh),
            "{path}"
        );
    }
    let (path, text) = &fixture.files[0];
    let before = syntax::parses_on_this_thread();
    workspace.index_file(path, text.as_bytes(), None).unwrap();
    assert_eq!(syntax::parses_on_this_thread(), before, "unchanged bytes");
}

/// A document indexed through the editor's trees parses once per edit, incrementally after the
/// first, and indexes exactly what a fresh parse would: same chunks, same tags.
#[test]
fn an_open_document_is_indexed_from_its_incrementally_parsed_tree() {
    let fixture = parse(PYTHON);
    let (path, text) = &fixture.files[0];
    let mut documents = DocumentTrees::new(4);
    let mut open = Workspace::new(ProjectConfig::default());
    let mut fresh = Workspace::new(ProjectConfig::default());
    let language = syntax::Language::detect(path, text).unwrap();
    let middle = text.len() / 2 + text[text.len() / 2..].find('\n').unwrap() + 1;
    let edits = [
        text.clone(),
        format!(
            "{}def typed_here(x):\n    return x + 1\n\n{}",
            &text[..middle],
            &text[middle..]
        ),
        format!("{}#{}", &text[..middle], &text[middle..]),
    ];
    for (i, edited) in edits.iter().enumerate() {
        let before = syntax::parses_on_this_thread();
        open.index_document(path, edited.as_bytes(), None, &mut documents)
            .unwrap();
        assert_eq!(syntax::parses_on_this_thread() - before, 1, "edit {i}");
        // The tree stays with the document: asking for it again parses nothing.
        let (_, parsed) = documents.tree(path, language, edited).unwrap();
        assert_eq!(parsed, syntax::documents::Parsed::Unchanged, "edit {i}");
        fresh.index_file(path, edited.as_bytes(), None).unwrap();
        let chunks = |w: &Workspace| w.project().file(path).unwrap().chunked.chunks.clone();
        assert_eq!(chunks(&open), chunks(&fresh), "edit {i}: chunks");
        assert_eq!(
            open.tags().file(path).map(|f| &f.tags),
            fresh.tags().file(path).map(|f| &f.tags),
            "edit {i}: tags"
        );
    }
}

/// An adopted project is tagged a few files at a time; indexing or removing an untagged file
/// settles it, and the end state is the eager one.
#[test]
fn adopted_projects_are_tagged_on_demand() {
    let fixture = parse(PYTHON);
    let workspace = index(&fixture);
    let mut project = engine::Project::new(ProjectConfig::default());
    for (path, text) in &fixture.files {
        project.index_file(path, text.as_bytes(), None).unwrap();
    }
    let files = fixture.files.len();
    assert!(files >= 3, "the fixture has files to tag");
    let mut adopted = Workspace::adopt(project);
    assert_eq!(adopted.pending_tags(), files);
    assert_eq!(adopted.tags().files().count(), 0);
    let revision = adopted.revision();
    assert_eq!(adopted.tag_pending(1), files - 1);
    assert_ne!(
        adopted.revision(),
        revision,
        "new tags change what gathering reads"
    );
    // Untagged files go in path order, so the two last paths are still untagged.
    let mut by_path: Vec<&(String, String)> = fixture.files.iter().collect();
    by_path.sort();
    let (first, text) = by_path[files - 1];
    adopted.index_file(first, text.as_bytes(), None).unwrap();
    let (second, _) = by_path[files - 2];
    adopted.remove_file(second);
    assert_eq!(adopted.pending_tags(), files - 3);
    assert_eq!(adopted.tag_pending(usize::MAX), 0);
    for (path, file) in workspace.tags().files() {
        if path != second {
            assert_eq!(adopted.tags().file(path), Some(file), "{path}");
        }
    }
}

#[test]
fn gathering_is_deterministic() {
    let fixture = parse(PYTHON);
    let workspace = index(&fixture);
    let one = gather_with(&fixture, &workspace, &HostState::default());
    let two = gather_with(&fixture, &index(&fixture), &HostState::default());
    assert_eq!(one, two);
    let kinds: Vec<SnippetKind> = one.snippets.iter().map(|s| s.kind).collect();
    let mut sorted = kinds.clone();
    sorted.sort();
    assert_eq!(kinds, sorted, "snippets come ordered by kind");
}

#[test]
fn cursor_positions() {
    let text = "ab\néx\n";
    let at = |line, col| Cursor::at_line_col("f.py", text, line, col).map(|c| c.offset);
    assert_eq!(at(1, 1), Some(0));
    assert_eq!(at(1, 3), Some(2));
    assert_eq!(at(2, 2), Some(5));
    assert_eq!(at(2, 3), Some(6));
    assert_eq!(at(2, 4), None);
    assert_eq!(at(9, 1), None);
    assert_eq!(at(1, 0), None);
    assert!(Cursor::at_offset("f.py", text, 4).is_none(), "inside `é`");
}

/// Inside a method, the classes the enclosing class's header names (its bases) come first among
/// the imports: `self.` calls reach their members.
#[test]
fn bases_of_the_enclosing_class_come_first() {
    let gathered = gather(
        r#"
//- app/jobs/report.py
from ..core.base import Job
from ..core.util import helper, other


class Report(Job):
    def run(self):
        ┃

def later():
    return helper(1) + other(2)
//- app/core/base.py
class Job:
    def schedule(self, delay):
        pass

    def cancel(self):
        pass
//- app/core/util.py
def helper(x):
    return x


def other(x):
    return x
"#,
    );
    let first = &of_kind(&gathered, SnippetKind::Definition)[0];
    assert_eq!(first.path, "app/core/base.py", "{first:?}");
    assert!(
        first.why.contains("named in the header of `Report`"),
        "{}",
        first.why
    );
    assert!(
        first.text.contains("def schedule(self, delay):"),
        "{}",
        first.text
    );
}

/// Bulk indexing feeds both indexes and stops where the host says, leaving both in step.
#[test]
fn bulk_indexing_keeps_both_indexes_in_step() {
    let files: [(&str, &[u8]); 3] = [
        ("a.py", b"def a():\n    return 1\n"),
        ("b.py", b"from a import a\n\ndef b():\n    return a()\n"),
        ("c.py", b"def c():\n    return 3\n"),
    ];
    let mut workspace = Workspace::new(ProjectConfig::default());
    let report = workspace
        .index_files(&files, None, |done, _| {
            if done == 2 {
                engine::project::Control::Stop
            } else {
                engine::project::Control::Continue
            }
        })
        .unwrap();
    assert!(report.cancelled);
    assert_eq!(report.files, 2);
    assert_eq!(workspace.project().files(), 2);
    assert_eq!(workspace.tags().len(), 2);
    assert!(workspace.tags().definitions_named("c").is_empty());
    assert!(workspace.tags().ranks().definition("a.py", "a") > 0.0);
}

/// Gathering never panics: at every offset of a file, with host reports that point past the end
/// of files, at unindexed paths and at empty ranges, and for a language with no grammar.
#[test]
fn gathering_anywhere_never_panics() {
    let fixture = parse(PYTHON);
    let workspace = index(&fixture);
    let host = HostState {
        recent_edits: vec![
            RecentEdit {
                path: "app/models/order.py".into(),
                start_line: 0,
                end_line: 10_000,
                at_ms: 5,
            },
            RecentEdit {
                path: "missing.py".into(),
                start_line: 3,
                end_line: 1,
                at_ms: 9_000_000,
            },
        ],
        open_files: vec![
            OpenFile {
                path: "app/util/money.py".into(),
                visible: Some((50, 2)),
            },
            OpenFile {
                path: "nowhere.ts".into(),
                visible: None,
            },
        ],
        now_ms: 1,
    };
    let config = GatherConfig::default();
    for (path, text) in fixture
        .files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .chain([("notes.txt", "plain ┃ text\nwith é and 😀\n")])
    {
        for offset in (0..=text.len()).filter(|&o| text.is_char_boundary(o)) {
            let cursor = Cursor::at_offset(path, text, offset).unwrap();
            let gathered = workspace
                .gather(&cursor, &host, &config, Retrieval::Keyword, &Words)
                .unwrap();
            assert!(
                text[..offset].ends_with(&gathered.window.prefix),
                "{path}@{offset}"
            );
            assert!(
                text[offset..].starts_with(&gathered.window.suffix),
                "{path}@{offset}"
            );
        }
    }
}
