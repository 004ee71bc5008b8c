//! Import resolution per language: every import of each fixture file, rendered with the indexed
//! files it resolves to, as one snapshot. The project root is unknown to the resolver, so the
//! fixtures sit under a folder (`repo/`) the code never names.

use assist::context::{Workspace, module_files};
use engine::ProjectConfig;
use expect_test::expect;
use syntax::Language;

const FILES: &[(&str, &str)] = &[
    // Python: relative, absolute (matched as a path suffix), `from pkg import module`.
    (
        "repo/src/shop/orders/service.py",
        "from .models import Order\nfrom ..billing import invoice\nimport shop.billing.tax as tax\nfrom shop.util import *\nimport json\n",
    ),
    ("repo/src/shop/orders/models.py", "class Order:\n    pass\n"),
    ("repo/src/shop/billing/__init__.py", ""),
    (
        "repo/src/shop/billing/invoice.py",
        "def issue():\n    pass\n",
    ),
    ("repo/src/shop/billing/tax.py", "RATE = 1\n"),
    (
        "repo/src/shop/util/__init__.py",
        "def helper():\n    pass\n",
    ),
    // TypeScript: relative with and without an extension, an index file, a package.
    (
        "repo/web/src/app.ts",
        "import { api } from './api';\nimport { Store } from './store/index.js';\nimport * as ui from './ui';\nimport React from 'react';\n",
    ),
    ("repo/web/src/api.ts", "export const api = 1;\n"),
    ("repo/web/src/store/index.ts", "export class Store {}\n"),
    ("repo/web/src/ui/index.tsx", "export function Button() {}\n"),
    // Go: a package is every file of the folder the import path ends with.
    (
        "repo/go/cmd/main.go",
        "package main\n\nimport (\n\t\"fmt\"\n\t\"example.com/app/internal/store\"\n)\n",
    ),
    (
        "repo/go/internal/store/store.go",
        "package store\n\nfunc Open() {}\n",
    ),
    (
        "repo/go/internal/store/cache.go",
        "package store\n\nfunc Cache() {}\n",
    ),
    // Java: a class by its package path; a wildcard by its folder.
    (
        "repo/java/src/main/java/com/acme/app/Main.java",
        "package com.acme.app;\n\nimport com.acme.util.Strings;\nimport com.acme.model.*;\n\nclass Main {}\n",
    ),
    (
        "repo/java/src/main/java/com/acme/util/Strings.java",
        "package com.acme.util;\n\npublic class Strings {}\n",
    ),
    (
        "repo/java/src/main/java/com/acme/model/User.java",
        "package com.acme.model;\n\npublic class User {}\n",
    ),
    // Rust: `crate::` paths as suffixes, `super::` relative, `mod.rs` folders.
    (
        "repo/rs/src/server/handler.rs",
        "use crate::config::Config;\nuse super::router::{self, Route};\nuse std::io;\n",
    ),
    ("repo/rs/src/config.rs", "pub struct Config;\n"),
    ("repo/rs/src/router/mod.rs", "pub struct Route;\n"),
    // C: an include relative to the file, then as a suffix.
    (
        "repo/c/src/main.c",
        "#include <stdio.h>\n#include \"util/list.h\"\n#include \"common.h\"\n",
    ),
    ("repo/c/src/util/list.h", "int list_len(void);\n"),
    ("repo/c/include/common.h", "#define COMMON 1\n"),
];

#[test]
fn imports_resolve_to_indexed_files() {
    let mut workspace = Workspace::new(ProjectConfig::default());
    for (path, text) in FILES {
        workspace.index_file(path, text.as_bytes(), None).unwrap();
    }
    let mut out = String::new();
    for (path, text) in FILES {
        let language = Language::detect(path, text).unwrap();
        let tags = syntax::tags::tags(language, text);
        for import in &tags.imports {
            let files = module_files(workspace.tags(), path, language, import);
            out.push_str(&format!(
                "{path}:{} {} {:?} -> {files:?}\n",
                import.line,
                import.module,
                import.local_name()
            ));
        }
    }
    expect![[r#"
        repo/src/shop/orders/service.py:1 .models Some("Order") -> ["repo/src/shop/orders/models.py"]
        repo/src/shop/orders/service.py:2 ..billing Some("invoice") -> ["repo/src/shop/billing/invoice.py", "repo/src/shop/billing/__init__.py"]
        repo/src/shop/orders/service.py:3 shop.billing.tax Some("tax") -> ["repo/src/shop/billing/tax.py"]
        repo/src/shop/orders/service.py:4 shop.util None -> ["repo/src/shop/util/__init__.py"]
        repo/src/shop/orders/service.py:5 json Some("json") -> []
        repo/web/src/app.ts:1 ./api Some("api") -> ["repo/web/src/api.ts"]
        repo/web/src/app.ts:2 ./store/index.js Some("Store") -> ["repo/web/src/store/index.ts"]
        repo/web/src/app.ts:3 ./ui Some("ui") -> ["repo/web/src/ui/index.tsx"]
        repo/web/src/app.ts:4 react Some("React") -> []
        repo/go/cmd/main.go:4 fmt Some("fmt") -> []
        repo/go/cmd/main.go:5 example.com/app/internal/store Some("store") -> ["repo/go/internal/store/cache.go", "repo/go/internal/store/store.go"]
        repo/java/src/main/java/com/acme/app/Main.java:3 com.acme.util Some("Strings") -> ["repo/java/src/main/java/com/acme/util/Strings.java"]
        repo/java/src/main/java/com/acme/app/Main.java:4 com.acme.model None -> ["repo/java/src/main/java/com/acme/model/User.java"]
        repo/rs/src/server/handler.rs:1 crate::config Some("Config") -> ["repo/rs/src/config.rs"]
        repo/rs/src/server/handler.rs:2 super::router Some("router") -> ["repo/rs/src/router/mod.rs"]
        repo/rs/src/server/handler.rs:2 super::router Some("Route") -> ["repo/rs/src/router/mod.rs"]
        repo/rs/src/server/handler.rs:3 std Some("io") -> []
        repo/c/src/main.c:1 stdio.h Some("stdio") -> []
        repo/c/src/main.c:2 util/list.h Some("list") -> ["repo/c/src/util/list.h"]
        repo/c/src/main.c:3 common.h Some("common") -> ["repo/c/include/common.h"]
    "#]].assert_eq(&out);
}

#[test]
fn a_removed_or_renamed_file_no_longer_resolves() {
    let mut workspace = Workspace::new(ProjectConfig::default());
    let from = "repo/app/main.py";
    let text = "from shop.models import Order\n";
    for (path, body) in [
        (from, text),
        ("repo/a/shop/models.py", "class Order: pass\n"),
        ("repo/b/shop/models.py", "class Order: pass\n"),
        ("repo/b/shop/models.pyi", "class Order: ...\n"),
    ] {
        workspace.index_file(path, body.as_bytes(), None).unwrap();
    }
    let import = &syntax::tags::tags(Language::Python, text).imports[0];
    fn resolved(w: &Workspace, from: &str, import: &syntax::tags::Import) -> Vec<String> {
        module_files(w.tags(), from, Language::Python, import)
            .into_iter()
            .map(str::to_string)
            .collect()
    }
    let resolve = |w: &Workspace| resolved(w, from, import);
    assert_eq!(
        resolve(&workspace),
        [
            "repo/a/shop/models.py",
            "repo/b/shop/models.py",
            "repo/b/shop/models.pyi"
        ]
    );
    workspace.remove_file("repo/b/shop/models.py");
    workspace.remove_file("repo/a/shop/models.py");
    assert_eq!(resolve(&workspace), ["repo/b/shop/models.pyi"]);
    workspace.remove_file("repo/b/shop/models.pyi");
    assert!(resolve(&workspace).is_empty());
    workspace
        .index_file("repo/c/shop/models.py", b"class Order: pass\n", None)
        .unwrap();
    assert_eq!(resolve(&workspace), ["repo/c/shop/models.py"]);
}
