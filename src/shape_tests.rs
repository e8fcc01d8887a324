//! Checks that keep the tree's shape, read from the sources on disk: no import cycle
//! between modules, and no ECS state compared as a string outside the SDK mapping
//! (where ECS's text becomes `aws::states`) and the fake.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every file of the library crate, by module path (`crate::aws::sdk`).
fn library_files() -> BTreeMap<String, String> {
    fn walk(dir: &Path, module: &str, out: &mut BTreeMap<String, String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                walk(&path, &format!("{module}::{name}"), out);
            } else if path.extension().is_some_and(|x| x == "rs") {
                let own = match name.as_str() {
                    "mod" => module.to_string(),
                    "lib" if module == "crate" => module.to_string(),
                    "main" if module == "crate" => continue,
                    _ => format!("{module}::{name}"),
                };
                out.insert(own, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(&src(), "crate", &mut files);
    files
}

/// The source without comments, so prose that names a path or a state is not code.
fn code(source: &str) -> String {
    source
        .lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The full paths a `use` tree names: `a::{b, c::d}` gives `a::b` and `a::c::d`.
fn flatten(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree.split(" as ").next().unwrap_or_default().to_string()];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| flatten(&format!("{prefix}{p}")))
        .collect()
}

/// Every `crate::`, `super::`, `self::` or child-module path the module's code names.
fn paths_named(module: &str, source: &str, modules: &BTreeSet<String>) -> Vec<Vec<String>> {
    let code = code(source);
    let mut named = Vec::new();
    // `use` trees, which may span lines and group items in braces.
    for (at, _) in code.match_indices("use ") {
        // The keyword, not the end of a word such as "pause ".
        if code[..at]
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            continue;
        }
        let statement = &code[at + 4..];
        let Some(tree) = statement.split(';').next() else {
            continue;
        };
        if tree.contains('\n') && !tree.contains('{') {
            continue;
        }
        named.extend(flatten(tree));
    }
    // Paths written inline, such as `crate::reconcile::contained(...)`.
    for start in ["crate::", "super::", "self::"] {
        for (at, _) in code.match_indices(start) {
            let boundary = code[..at]
                .chars()
                .last()
                .is_none_or(|c| !c.is_alphanumeric() && c != '_' && c != ':');
            if boundary {
                let path: String = code[at..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                named.push(path);
            }
        }
    }
    named
        .into_iter()
        .filter_map(|path| absolute(module, &path, modules))
        .collect()
}

/// `path` as seen from `module`, from `crate`; None for another crate's path.
fn absolute(module: &str, path: &str, modules: &BTreeSet<String>) -> Option<Vec<String>> {
    let mut here: Vec<String> = module.split("::").map(str::to_string).collect();
    let mut segments = path.split("::").filter(|s| !s.is_empty()).peekable();
    match segments.peek().copied() {
        Some("crate") => {
            segments.next();
            here.truncate(1);
        }
        Some("super") => {
            while segments.peek() == Some(&"super") {
                segments.next();
                here.pop();
            }
        }
        Some("self") => {
            segments.next();
        }
        Some(first) if modules.contains(&format!("{module}::{first}")) => {}
        _ => return None,
    }
    here.extend(segments.map(str::to_string));
    Some(here)
}

/// The deepest known module that `path` lies in.
fn module_of(path: &[String], modules: &BTreeSet<String>) -> Option<String> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|candidate| modules.contains(candidate))
}

fn nested(outer: &str, inner: &str) -> bool {
    inner.starts_with(&format!("{outer}::"))
}

/// Module to the modules it uses. A module using its own ancestors (its namespace) or
/// descendants (what it declares and re-exports) does not count: those edges are how
/// Rust modules are built, not coupling between parts.
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let files = library_files();
    let modules: BTreeSet<String> = files.keys().cloned().collect();
    files
        .iter()
        .map(|(module, source)| {
            let uses = paths_named(module, source, &modules)
                .iter()
                .filter_map(|path| module_of(path, &modules))
                .filter(|used| used != module && !nested(used, module) && !nested(module, used))
                .collect();
            (module.clone(), uses)
        })
        .collect()
}

/// The groups of modules that reach one another (Tarjan's strongly connected components).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, node: &'a str) {
        let n = w.index.len();
        w.index.insert(node, n);
        w.low.insert(node, n);
        w.stack.push(node);
        for next in w.graph.get(node).into_iter().flatten() {
            let next = next.as_str();
            if !w.index.contains_key(next) {
                visit(w, next);
                let low = w.low[node].min(w.low[next]);
                w.low.insert(node, low);
            } else if w.stack.contains(&next) {
                let low = w.low[node].min(w.index[next]);
                w.low.insert(node, low);
            }
        }
        if w.low[node] == w.index[node] {
            let mut group = Vec::new();
            while let Some(top) = w.stack.pop() {
                group.push(top.to_string());
                if top == node {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                w.found.push(group);
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node.as_str()) {
            visit(&mut walk, node);
        }
    }
    walk.found
}

#[test]
fn no_two_modules_import_each_other() {
    let graph = import_graph();
    assert!(
        graph.len() > 40 && graph["crate::service"].contains("crate::reconcile"),
        "the import graph was not read: {graph:?}"
    );
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "import cycles between modules (move what both need into a module of its own): {found:?}"
    );
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("crate::a", vec!["crate::b"]),
        ("crate::b", vec!["crate::c::d"]),
        ("crate::c::d", vec!["crate::a"]),
        ("crate::e", vec!["crate::a"]),
    ]
    .into_iter()
    .map(|(m, uses)| {
        (
            m.to_string(),
            uses.into_iter().map(str::to_string).collect(),
        )
    })
    .collect();
    assert_eq!(
        cycles(&graph),
        [vec!["crate::a", "crate::b", "crate::c::d"]]
    );
}

#[test]
fn use_trees_are_read_in_full() {
    let modules: BTreeSet<String> = [
        "crate",
        "crate::aws",
        "crate::aws::limiter",
        "crate::service",
        "crate::service::plan",
    ]
    .into_iter()
    .map(str::to_string)
    .collect();
    let source = "use crate::aws::{limiter::Prepaid, AwsError};\nuse super::plan;\nfn f() { crate::aws::limiter::x() }";
    let named: BTreeSet<String> = paths_named("crate::service::tests", source, &modules)
        .iter()
        .filter_map(|p| module_of(p, &modules))
        .collect();
    assert_eq!(
        named,
        ["crate::aws", "crate::aws::limiter", "crate::service::plan"]
            .map(str::to_string)
            .into()
    );
}

/// The states ECS writes, as `aws/states.rs` lists them.
fn ecs_states() -> Vec<String> {
    let source = std::fs::read_to_string(src().join("aws/states.rs")).unwrap();
    let states: Vec<String> = source
        .lines()
        .filter_map(|line| {
            let (_, text) = line.trim().split_once(" = \"")?;
            Some(format!("\"{}\"", text.strip_suffix("\",")?))
        })
        .collect();
    assert!(states.len() >= 10, "{states:?}");
    states
}

#[test]
fn ecs_states_are_compared_as_enums_outside_the_sdk_mapping_and_the_fake() {
    let states = ecs_states();
    let allowed = ["crate::aws::sdk", "crate::aws::fake", "crate::aws::states"];
    let mut found = Vec::new();
    for (module, source) in library_files() {
        if allowed.iter().any(|a| module == *a || nested(a, &module)) {
            continue;
        }
        for (n, line) in code(&source).lines().enumerate() {
            let compares = ["==", "!=", "=>", "matches!", ".contains("]
                .iter()
                .any(|op| line.contains(op));
            if compares && states.iter().any(|s| line.contains(s.as_str())) {
                found.push(format!("{module}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "compare aws::states variants instead of ECS's text:\n{}",
        found.join("\n")
    );
}
