use std::time::Instant;
use tree_sitter::{InputEdit, Parser, Point};
fn reparse(parser: &mut Parser, text: &str, needle: &str) -> f64 {
    let tree = parser.parse(text, None).unwrap();
    let at = text.find(needle).unwrap() + needle.len();
    let new = format!("{} {}", &text[..at], &text[at..]);
    let row = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    let mut old = tree.clone();
    old.edit(&InputEdit {
        start_byte: at,
        old_end_byte: at,
        new_end_byte: at + 1,
        start_position: Point { row, column: col },
        old_end_position: Point { row, column: col },
        new_end_position: Point {
            row,
            column: col + 1,
        },
    });
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        let _ = parser.parse(&new, Some(&old)).unwrap();
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
    }
    best
}
fn main() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../.cache/sample/requests/requests-2.32.3/src/requests/cookies.py");
    let base = std::fs::read_to_string(path).unwrap();
    let lang = syntax::grammar::grammar(syntax::Language::Python).unwrap();
    let mut parser = Parser::new();
    parser.set_language(&lang).unwrap();
    let big = base.repeat(6);
    let t = Instant::now();
    parser.parse(&big, None).unwrap();
    println!(
        "full parse of {} bytes: {:.2} ms",
        big.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    for (label, needle) in [
        ("path != line", "path != cookie.path:"),
        ("domains.append", "domains.append(cookie.domain)"),
        ("other line", "def get_dict(self, domain=None, path=None):"),
    ] {
        println!(
            "{label}: alone {:.2} ms, x6 (first copy) {:.2} ms",
            reparse(&mut parser, &base, needle),
            reparse(&mut parser, &big, needle)
        );
    }
    for variant in [
        "if path is not None and path == cookie.path:",
        "if path != cookie.path:",
        "if path is not None:",
        "if path is None and path != cookie.path:",
    ] {
        let v = big.replace("if path is not None and path != cookie.path:", variant);
        println!(
            "variant {variant:?}: {:.2} ms",
            reparse(&mut parser, &v, variant)
        );
    }
    let t = text_info(&base);
    println!("{t}");
}
fn text_info(base: &str) -> String {
    format!(
        "cookies.py {} bytes, {} lines",
        base.len(),
        base.lines().count()
    )
}
