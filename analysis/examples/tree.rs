//! Prints a file's tree-sitter tree with field names, for writing rule queries. Run with
//! `cargo run -p pilotfish-analysis --example tree -- FILE`.

fn main() {
    let path = std::env::args().nth(1).expect("usage: tree FILE");
    let text = std::fs::read_to_string(&path).expect("readable UTF-8 file");
    let language = syntax::Language::detect(&path, &text).expect("a known language");
    let grammar = syntax::grammar::grammar(language).expect("its grammar is compiled in");
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&grammar).expect("grammar loads");
    let tree = parser.parse(&text, None).expect("parses");
    print(tree.root_node(), None, 0);
}

fn print(node: tree_sitter::Node, field: Option<&str>, depth: usize) {
    let field = field.map(|f| format!("{f}: ")).unwrap_or_default();
    let at = node.start_position();
    let kind = if node.is_named() {
        node.kind().to_string()
    } else {
        format!("{:?}", node.kind())
    };
    let missing = if node.is_missing() { "MISSING " } else { "" };
    println!(
        "{:indent$}{field}{missing}{kind} [{}:{}]",
        "",
        at.row + 1,
        at.column + 1,
        indent = depth * 2
    );
    let mut cursor = node.walk();
    for (i, child) in node.children(&mut cursor).enumerate() {
        print(child, node.field_name_for_child(i as u32), depth + 1);
    }
}
