//! The small project both prompt tests index: `app/main.py` imports `load_config` from
//! `app/config.py`, and `other/config.py` defines a same-named decoy that only the import tells
//! apart. The cursor file's current text differs from its indexed copy (an edited line, and an
//! emoji before the cursor so UTF-16 and UTF-8 offsets differ).
// Each test file uses the parts it needs.
#![allow(dead_code)]

pub const FILES: &[(&str, &str)] = &[
    (
        "app/config.py",
        "import json\n\n\ndef load_config(path):\n    \"\"\"Read the application's JSON settings.\"\"\"\n    with open(path) as f:\n        return json.load(f)\n",
    ),
    (
        "other/config.py",
        "def load_config(name, defaults=None):\n    \"\"\"A same-named loader in another package.\"\"\"\n    return dict(defaults or {}, name=name)\n",
    ),
    (
        "app/main.py",
        "from app.config import load_config\n\n\ndef main():\n    settings = load_config(\"settings.json\")\n    print(settings)\n",
    ),
];

/// `app/main.py` as the editor has it now; `┃` marks the cursor.
pub const EDITED: &str = "from app.config import load_config\n\n\ndef main():\n    settings = load_config(\"settings.json\")\n    banner = \"ready 😀\"\n    port = settings.get(\"edited_port\", 8080)\n    return ┃\n";

/// The edited text without the marker and the cursor's offset in UTF-16 code units.
pub fn cursor() -> (String, usize) {
    let at = EDITED.find('┃').expect("a cursor marker");
    let text = EDITED.replacen('┃', "", 1);
    (text, EDITED[..at].encode_utf16().count())
}

/// The UTF-16 offset of the emoji's second half: inside a surrogate pair.
pub fn inside_surrogate_pair() -> usize {
    let at = EDITED.find('😀').expect("an emoji");
    EDITED[..at].encode_utf16().count() + 1
}
