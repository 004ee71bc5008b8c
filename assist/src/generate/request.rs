//! What the generate task asks the model for: the implementation and at least three tests, in
//! the test style the browser sandbox runs, in a shape [`super::blocks::split_answer`] can take
//! apart. The text goes in as the `question` of a `generate` chat request, so the retrieved
//! context, the budget and the redaction are the chat prompt builder's as for every other task.

use syntax::Language;

/// How the tests are written, which is what the sandbox will run them with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestStyle {
    /// JavaScript/TypeScript: the sandbox's `test(name, fn)` harness and a `node:assert`-like
    /// `assert` (both globals; `import assert from "node:assert"` also works).
    JsHarness,
    /// Python: `unittest.TestCase` classes.
    PythonUnittest,
    /// Python: `def test_...():` functions with plain `assert` statements.
    PythonAsserts,
}

impl TestStyle {
    /// The style the sandbox runs best for `language`; `None` for a language the sandbox cannot
    /// run.
    pub fn default_for(language: Language) -> Option<TestStyle> {
        match language {
            Language::Python => Some(TestStyle::PythonUnittest),
            Language::JavaScript | Language::TypeScript | Language::Tsx => {
                Some(TestStyle::JsHarness)
            }
            _ => None,
        }
    }

    /// The instructions that describe the style to the model.
    fn instructions(self, module: &str) -> String {
        match self {
            TestStyle::JsHarness => format!(
                "Write the tests with the sandbox's harness: `test(\"name\", () => {{ ... }})` \
                 (the function may be async) and `assert` from `node:assert` (`assert.strictEqual`, \
                 `assert.deepStrictEqual`, `assert.throws`, `assert.ok`). `test` and `assert` are \
                 globals; the tests see the implementation's top-level names, or import them from \
                 `./{module}.js`. No other imports: there is no network, no file system and no npm."
            ),
            TestStyle::PythonUnittest => format!(
                "Write the tests as `unittest.TestCase` classes with `self.assertEqual` and friends; \
                 do not call `unittest.main()`. The tests see the implementation's top-level names, \
                 or import them with `from {module} import ...`. Only the standard library is \
                 available, with no network and no file system."
            ),
            TestStyle::PythonAsserts => format!(
                "Write the tests as top-level `def test_...():` functions using plain `assert` \
                 statements. The tests see the implementation's top-level names, or import them \
                 with `from {module} import ...`. Only the standard library is available, with no \
                 network and no file system."
            ),
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateSpec<'a> {
    /// The person's request in their words.
    pub spec: &'a str,
    pub language: Language,
    pub style: TestStyle,
    /// The name tests may import the implementation from (`solution` by default in the sandbox).
    pub module: &'a str,
    /// The least number of tests to ask for.
    pub min_tests: usize,
}

impl<'a> GenerateSpec<'a> {
    /// A spec with the language's default test style, module `solution` and three tests.
    /// `None` when the sandbox cannot run `language`.
    pub fn new(spec: &'a str, language: Language) -> Option<GenerateSpec<'a>> {
        Some(GenerateSpec {
            spec,
            language,
            style: TestStyle::default_for(language)?,
            module: "solution",
            min_tests: 3,
        })
    }
}

/// The fence tag the answer's blocks should carry.
pub fn fence_tag(language: Language) -> &'static str {
    match language {
        Language::Python => "python",
        Language::TypeScript | Language::Tsx => "ts",
        _ => "js",
    }
}

/// The generate request: the spec, then exactly what the answer must contain and how.
pub fn generate_request(spec: &GenerateSpec<'_>) -> String {
    let tag = fence_tag(spec.language);
    let language = match spec.language {
        Language::Python => "Python",
        Language::TypeScript | Language::Tsx => "TypeScript",
        _ => "JavaScript",
    };
    format!(
        "{request}\n\n\
         Write the implementation in {language} and at least {min} tests for it. {style}\n\n\
         Answer with exactly two fenced code blocks and nothing else in them:\n\
         1. the implementation, fenced as ```{tag}\n\
         2. the tests, fenced as ```{tag} tests\n\
         Cover the normal case, an edge case (empty input, zero, boundaries) and an error case.",
        request = spec.spec.trim(),
        min = spec.min_tests,
        style = spec.style.instructions(spec.module),
    )
}
