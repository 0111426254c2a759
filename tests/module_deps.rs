//! The modules of `src/` depend on each other one way only: no circle, and the layering of
//! `src/lib.rs` (twilio at the bottom; ingest below the presenters and commands) holds.
//!
//! Read from the source text, not the compiler: every `use` of the crate (`crate::`, `super::`,
//! `self::`, a child module) and every `crate::…`/`super::…` path written in code is resolved
//! to the file that defines it, following `pub use` re-exports to their origin. Comments,
//! strings and `#[cfg(test)]` items are left out: tests may use whatever they need, as
//! dev-dependencies may in Cargo.
//!
//! A circle is looked for among the children of every module (the top-level modules, the
//! files of `calls/`, of `tui/ui/`, …): an edge `a::x → b::y` is an edge `a → b` among the
//! top-level modules, `tui::app → tui::ui::header` one among the children of `tui`. A module
//! using its own parent's items (`super::Delivery`) is not an edge between siblings.
//!
//! Run `cargo test --test module_deps -- --nocapture` to print the graph's circles and edges.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path below the crate root, e.g. `["calls", "store"]`.
type ModPath = Vec<String>;

/// Circles still there: the module whose children they join, the children (sorted), and why.
/// The test fails if one of them disappears (then delete it here) or a new one appears.
const KNOWN_CIRCLES: &[(&[&str], &[&str], &str)] = &[];

/// Modules that nothing under `twilio/` may import: everything but the leaf helpers.
const BELOW_TWILIO: &[&str] = &["text", "timestamp"];

#[test]
fn modules_form_no_circle() {
    let graph = Graph::of_crate();
    let circles = graph.circles();
    let mut report = String::new();
    for circle in &circles {
        report.push_str(&graph.describe(circle));
    }
    println!("{report}");
    let found: BTreeSet<(ModPath, Vec<String>)> = circles
        .iter()
        .map(|c| (c.parent.clone(), c.members.clone()))
        .collect();
    let known: BTreeSet<(ModPath, Vec<String>)> = KNOWN_CIRCLES
        .iter()
        .map(|(parent, members, _)| {
            (
                parent.iter().map(|m| m.to_string()).collect(),
                members.iter().map(|m| m.to_string()).collect(),
            )
        })
        .collect();
    let new: Vec<_> = circles
        .iter()
        .filter(|c| !known.contains(&(c.parent.clone(), c.members.clone())))
        .collect();
    assert!(
        new.is_empty(),
        "dependency circles between modules:\n{}",
        new.iter().map(|c| graph.describe(c)).collect::<String>()
    );
    let gone: Vec<_> = known.difference(&found).collect();
    assert!(
        gone.is_empty(),
        "these circles are gone, delete them from KNOWN_CIRCLES: {gone:?}"
    );
}

#[test]
fn twilio_imports_nothing_above_it() {
    let graph = Graph::of_crate();
    let wrong: Vec<String> = graph
        .edges_from("twilio")
        .filter(|(_, to)| to[0] != "twilio" && !BELOW_TWILIO.contains(&to[0].as_str()))
        .map(|(from, to)| format!("{} -> {}", from.join("::"), to.join("::")))
        .collect();
    assert!(
        wrong.is_empty(),
        "twilio/ imports from above it: {wrong:#?}"
    );
}

#[test]
fn ingest_imports_no_presenter_or_command() {
    let graph = Graph::of_crate();
    let wrong: Vec<String> = graph
        .edges_from("ingest")
        .filter(|(_, to)| {
            matches!(
                to[0].as_str(),
                "tui" | "commands" | "cli" | "output" | "session"
            )
        })
        .map(|(from, to)| format!("{} -> {}", from.join("::"), to.join("::")))
        .collect();
    assert!(wrong.is_empty(), "ingest imports from above it: {wrong:#?}");
}

/// Flags are declared under `cli/` and read from there: the runners in `commands` take them,
/// `config` lays the file and the environment under them, and `cli` needs neither.
#[test]
fn cli_imports_no_command_or_config() {
    let graph = Graph::of_crate();
    let wrong: Vec<String> = graph
        .edges_from("cli")
        .filter(|(_, to)| matches!(to[0].as_str(), "commands" | "config"))
        .map(|(from, to)| format!("{} -> {}", from.join("::"), to.join("::")))
        .collect();
    assert!(wrong.is_empty(), "cli imports from above it: {wrong:#?}");
}

#[test]
fn leaf_helpers_import_nothing_from_the_crate() {
    let graph = Graph::of_crate();
    for leaf in BELOW_TWILIO {
        let wrong: Vec<String> = graph
            .edges_from(leaf)
            .map(|(from, to)| format!("{} -> {}", from.join("::"), to.join("::")))
            .collect();
        assert!(
            wrong.is_empty(),
            "{leaf} imports from the crate: {wrong:#?}"
        );
    }
}

/// The checker itself: a cycle made up in a scratch tree is found, through a re-export.
#[test]
fn a_made_up_circle_is_found() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path();
    let write = |path: &str, text: &str| {
        let path = src.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write("lib.rs", "pub mod a;\npub mod b;\npub mod c;\n");
    write("a.rs", "use crate::b::Thing;\n");
    write(
        "b/mod.rs",
        "mod inner;\npub use inner::Thing;\n// use crate::c::Nothing;\n",
    );
    write(
        "b/inner.rs",
        "pub struct Thing;\nfn f() { let _ = \"crate::c::Text\"; crate::a::g(); }\n#[cfg(test)]\nmod tests { use crate::c::X; }\n",
    );
    write("c.rs", "pub struct X;\n");
    let graph = Graph::of(src);
    let circles = graph.circles();
    let members: Vec<_> = circles.iter().map(|c| c.members.clone()).collect();
    assert_eq!(members, vec![vec!["a".to_owned(), "b".to_owned()]]);
    assert!(graph.edges_from("b").all(|(_, to)| to[0] != "c"));
}

/// A circle among the children of `parent`.
struct Circle {
    parent: ModPath,
    /// Sorted.
    members: Vec<String>,
}

/// Which file-module uses which, and the paths that made each edge.
struct Graph {
    edges: BTreeMap<(ModPath, ModPath), BTreeSet<String>>,
}

impl Graph {
    fn of_crate() -> Self {
        Self::of(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
    }

    fn of(src: &Path) -> Self {
        let mut files = Vec::new();
        collect_rs(src, &mut files);
        let mut modules: BTreeMap<ModPath, String> = BTreeMap::new();
        for file in files {
            let rel = file.strip_prefix(src).expect("under src");
            let mut path: ModPath = rel
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if path == ["lib"] || path == ["main"] {
                path.clear();
            } else if path.last().is_some_and(|last| last == "mod") {
                path.pop();
            }
            if path.is_empty() && rel != Path::new("lib.rs") {
                continue; // main.rs is the binary, not a module of the library.
            }
            let text = std::fs::read_to_string(&file).expect("read source");
            modules.insert(path, without_test_items(&strip(&text)));
        }
        let known: BTreeSet<ModPath> = modules.keys().cloned().collect();

        // Names each module re-exports (`pub use x::Y;`), to follow them to their origin.
        let mut reexports: BTreeMap<ModPath, BTreeMap<String, ModPath>> = BTreeMap::new();
        for (module, text) in &modules {
            for statement in use_statements(text) {
                if !statement.public {
                    continue;
                }
                for (segments, name) in expand_use(&statement.tree) {
                    if let Some(target) = resolve(module, &segments, &known) {
                        reexports
                            .entry(module.clone())
                            .or_default()
                            .insert(name, target);
                    }
                }
            }
        }
        let owner = |target: &ModPath| -> ModPath { owner_of(target, &known, &reexports, 0) };

        let mut edges: BTreeMap<(ModPath, ModPath), BTreeSet<String>> = BTreeMap::new();
        for (module, text) in &modules {
            let mut add = |segments: &[String], shown: String| {
                if let Some(target) = resolve(module, segments, &known) {
                    let to = owner(&target);
                    if !to.is_empty() && &to != module {
                        edges.entry((module.clone(), to)).or_default().insert(shown);
                    }
                }
            };
            let mut code = text.clone();
            for statement in use_statements(text) {
                code.replace_range(statement.span.clone(), &" ".repeat(statement.span.len()));
                if statement.public {
                    continue; // Counted where the re-exported name is used.
                }
                for (segments, _) in expand_use(&statement.tree) {
                    let shown = format!("use {}", segments.join("::"));
                    add(&segments, shown);
                }
            }
            for segments in paths_in_code(&code) {
                let shown = segments.join("::");
                add(&segments, shown);
            }
        }
        Self { edges }
    }

    /// The edges from the modules under `top`, as (from, to).
    fn edges_from<'a>(&'a self, top: &'a str) -> impl Iterator<Item = (&'a ModPath, &'a ModPath)> {
        self.edges
            .keys()
            .filter(move |(from, _)| from.first().is_some_and(|f| f == top))
            .map(|(from, to)| (from, to))
    }

    /// For every edge, the edge between the two siblings it runs between (the children of the
    /// deepest module that holds both ends), keyed by that module.
    fn sibling_edges(&self) -> BTreeMap<ModPath, BTreeMap<(String, String), Vec<String>>> {
        let mut levels: BTreeMap<ModPath, BTreeMap<(String, String), Vec<String>>> =
            BTreeMap::new();
        for (from, to) in self.edges.keys() {
            let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
            if common < from.len() && common < to.len() {
                levels
                    .entry(from[..common].to_vec())
                    .or_default()
                    .entry((from[common].clone(), to[common].clone()))
                    .or_default()
                    .push(format!("{} -> {}", from.join("::"), to.join("::")));
            }
        }
        levels
    }

    fn circles(&self) -> Vec<Circle> {
        let mut circles = Vec::new();
        for (parent, edges) in self.sibling_edges() {
            let mut next: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
            for (a, b) in edges.keys() {
                next.entry(a).or_default().insert(b);
                next.entry(b).or_default();
            }
            for members in strongly_connected(&next) {
                if members.len() > 1 {
                    circles.push(Circle {
                        parent: parent.clone(),
                        members: members.into_iter().map(str::to_owned).collect(),
                    });
                }
            }
        }
        circles
    }

    /// A circle and the edges that make it, each with up to three of the paths behind it.
    fn describe(&self, circle: &Circle) -> String {
        let levels = self.sibling_edges();
        let prefix = |m: &str| {
            let mut p = circle.parent.clone();
            p.push(m.to_owned());
            p.join("::")
        };
        let mut out = format!(
            "circle among the children of `{}`: {}\n",
            if circle.parent.is_empty() {
                "crate".to_owned()
            } else {
                circle.parent.join("::")
            },
            circle
                .members
                .iter()
                .map(|m| prefix(m))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for ((a, b), files) in &levels[&circle.parent] {
            if circle.members.contains(a) && circle.members.contains(b) {
                out.push_str(&format!("    {} -> {}\n", prefix(a), prefix(b)));
                for file_edge in files.iter().take(4) {
                    let (from, to) = file_edge.split_once(" -> ").expect("arrow");
                    let key = (split(from), split(to));
                    let why: Vec<_> = self.edges[&key].iter().take(3).cloned().collect();
                    out.push_str(&format!("        {file_edge}: {}\n", why.join("; ")));
                }
            }
        }
        out
    }
}

fn split(path: &str) -> ModPath {
    path.split("::").map(str::to_owned).collect()
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read src dir")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module that defines what `target` names: the longest prefix that is a file-module,
/// through that module's re-exports.
fn owner_of(
    target: &ModPath,
    known: &BTreeSet<ModPath>,
    reexports: &BTreeMap<ModPath, BTreeMap<String, ModPath>>,
    depth: usize,
) -> ModPath {
    let mut len = target.len();
    while len > 0 && !known.contains(&target[..len].to_vec()) {
        len -= 1;
    }
    let module = target[..len].to_vec();
    if let Some(next) = target.get(len)
        && let Some(origin) = reexports.get(&module).and_then(|r| r.get(next))
        && depth < 16
    {
        let mut origin = origin.clone();
        origin.extend(target[len + 1..].iter().cloned());
        return owner_of(&origin, known, reexports, depth + 1);
    }
    module
}

/// `segments` as written in `module`, as a path from the crate root; `None` for a path into
/// another crate.
fn resolve(module: &ModPath, segments: &[String], known: &BTreeSet<ModPath>) -> Option<ModPath> {
    let first = segments.first()?;
    match first.as_str() {
        "crate" => Some(segments[1..].to_vec()),
        "super" | "self" => {
            let mut base = module.clone();
            let mut rest = segments;
            while let Some(s) = rest.first() {
                match s.as_str() {
                    "super" => {
                        base.pop();
                    }
                    "self" => {}
                    _ => break,
                }
                rest = &rest[1..];
            }
            base.extend(rest.iter().cloned());
            Some(base)
        }
        _ => {
            // A child module named without `self::` (edition 2018 paths).
            let mut child = module.clone();
            child.push(first.clone());
            known.contains(&child).then(|| {
                let mut path = module.clone();
                path.extend(segments.iter().cloned());
                path
            })
        }
    }
}

struct UseStatement {
    public: bool,
    /// The use tree, e.g. `crate::a::{b,c::D as E}`.
    tree: String,
    span: std::ops::Range<usize>,
}

fn use_statements(text: &str) -> Vec<UseStatement> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = find_word(text, "use", from) {
        let end = text[found..]
            .find(';')
            .map_or(text.len(), |i| found + i + 1);
        let line_start = text[..found].rfind('\n').map_or(0, |i| i + 1);
        let before = &text[line_start..found];
        let public = before.trim_start().starts_with("pub");
        let start = if public {
            line_start + before.find("pub").unwrap_or(0)
        } else {
            found
        };
        // White space folded, and none around `::`, braces and commas: `a::{b, c as d}` reads
        // `a::{b,c as d}`.
        let folded = text[found + 3..end.saturating_sub(1)]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let mut tree = String::new();
        for (i, c) in folded.char_indices() {
            let touches = |c: char| matches!(c, ':' | '{' | '}' | ',');
            if c == ' ' {
                let prev = folded[..i].chars().next_back().is_some_and(touches);
                let next = folded[i + 1..].chars().next().is_some_and(touches);
                if prev || next {
                    continue;
                }
            }
            tree.push(c);
        }
        out.push(UseStatement {
            public,
            tree,
            span: start..end,
        });
        from = end;
    }
    out
}

/// The next `word` standing alone (not part of an identifier or a path) at or after `from`.
fn find_word(text: &str, word: &str, mut from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    while let Some(i) = text[from..].find(word).map(|i| from + i) {
        let end = i + word.len();
        let before_ok = i == 0 || !ident(bytes[i - 1]) && bytes[i - 1] != b':';
        let after_ok = end < bytes.len() && bytes[end].is_ascii_whitespace();
        if before_ok && after_ok {
            return Some(i);
        }
        from = end;
    }
    None
}

/// Every path a use tree names, with the name it binds (`a::{b, c::D as E}` → `a::b` as `b`,
/// `a::c::D` as `E`).
fn expand_use(tree: &str) -> Vec<(Vec<String>, String)> {
    let mut out = Vec::new();
    expand_into(&[], tree, &mut out);
    out
}

fn expand_into(prefix: &[String], tree: &str, out: &mut Vec<(Vec<String>, String)>) {
    let tree = tree.trim_start_matches("::");
    if let Some(open) = tree.find('{') {
        let mut head = prefix.to_vec();
        head.extend(
            tree[..open]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        );
        let body = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in body.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand_into(&head, &body[start..i], out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand_into(&head, &body[start..], out);
        return;
    }
    if tree.is_empty() {
        return;
    }
    let (path, alias) = match tree.split_once(" as ") {
        Some((path, alias)) => (path, Some(alias)),
        None => (tree, None),
    };
    let mut segments = prefix.to_vec();
    segments.extend(
        path.split("::")
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    );
    // `a::*` and `a::{self}` name the module `a`.
    let glob = segments.last().is_some_and(|s| s == "*");
    if glob || segments.last().is_some_and(|s| s == "self") {
        segments.pop();
    }
    let name = match (alias, glob) {
        (_, true) => "*".to_owned(),
        (Some(alias), _) => alias.to_owned(),
        (None, _) => segments.last().cloned().unwrap_or_default(),
    };
    out.push((segments, name));
}

/// `crate::…`, `super::…` and `self::…` paths written in code (outside `use`).
fn paths_in_code(code: &str) -> Vec<Vec<String>> {
    let bytes = code.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let at_start = i == 0 || !ident(bytes[i - 1]) && bytes[i - 1] != b':';
        let word = ["crate::", "super::", "self::"]
            .into_iter()
            .find(|w| code[i..].starts_with(w));
        match word {
            Some(_) if at_start => {
                let mut end = i;
                while end < bytes.len() && (ident(bytes[end]) || bytes[end] == b':') {
                    end += 1;
                }
                let path = code[i..end].trim_end_matches(':');
                out.push(path.split("::").map(str::to_owned).collect());
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

/// The source without comments, string and character literals (each becomes `""` or `' '`),
/// so that a path mentioned in a doc comment or a message is not a dependency.
fn strip(src: &str) -> String {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if (c == 'r' || c == 'b')
            && (i == 0 || !ident(chars[i - 1]))
            && raw_string_at(&chars, i).is_some()
        {
            let (hashes, body_start) = raw_string_at(&chars, i).expect("checked");
            let mut j = body_start;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (0..hashes).all(|k| chars.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' || (c == 'b' && next == Some('"') && (i == 0 || !ident(chars[i - 1]))) {
            i += if c == 'b' { 2 } else { 1 };
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A char literal ('a', '\n', '\u{1F600}'), not a lifetime ('a).
            let end = if next == Some('\\') {
                (i + 2..chars.len().min(i + 12)).find(|&j| chars[j] == '\'')
            } else {
                (chars.get(i + 2) == Some(&'\'')).then_some(i + 2)
            };
            match end {
                Some(end) => {
                    out.push_str("' '");
                    i = end + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// At `i`, `r"`, `r#"`, `br"`…: the number of `#` and where the body starts.
fn raw_string_at(chars: &[char], i: usize) -> Option<(usize, usize)> {
    let mut j = i;
    if chars[j] == 'b' {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    (chars.get(j) == Some(&'"')).then_some((hashes, j + 1))
}

/// `text` without the items under `#[cfg(test)]` (test modules, test-only functions and uses).
fn without_test_items(text: &str) -> String {
    let mut text = text.to_owned();
    while let Some(at) = text.find("#[cfg(test)]") {
        let bytes = text.as_bytes();
        let mut end = at + "#[cfg(test)]".len();
        while end < bytes.len() && bytes[end] != b';' && bytes[end] != b'{' {
            end += 1;
        }
        if end < bytes.len() && bytes[end] == b'{' {
            let mut depth = 0;
            while end < bytes.len() {
                match bytes[end] {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                end += 1;
            }
        }
        text.replace_range(at..(end + 1).min(text.len()), "");
    }
    text
}

/// Tarjan's strongly connected components, each sorted, in a stable order.
fn strongly_connected<'a>(next: &BTreeMap<&'a str, BTreeSet<&'a str>>) -> Vec<Vec<&'a str>> {
    struct State<'a> {
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<Vec<&'a str>>,
    }
    fn visit<'a>(v: &'a str, next: &BTreeMap<&'a str, BTreeSet<&'a str>>, s: &mut State<'a>) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for &w in &next[v] {
            if !s.index.contains_key(w) {
                visit(w, next, s);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w);
                if w == v {
                    break;
                }
            }
            component.sort_unstable();
            s.out.push(component);
        }
    }
    let mut state = State {
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for &v in next.keys() {
        if !state.index.contains_key(v) {
            visit(v, next, &mut state);
        }
    }
    state.out.sort();
    state.out
}
