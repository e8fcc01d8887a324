//! The new-kind checklist: every kind the CRDs serve (`api::crds()`, which `crds/`
//! matches) must be wired into everything around the operator, and its schema must
//! stay cheap and safe for the API server's CEL rules. Adding a kind without one of
//! these fails here, naming what is missing. A kind with a status subresource is
//! reconciled and needs everything; a kind without one (TenantPolicy, the admin's
//! settings) is only read, and needs the chart's read access, bad input and a page.

use std::path::Path;

use serde_json::Value;

use crate::api::crds;

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// (Kind, plural, singular, reconciled) of every served kind.
fn kinds() -> Vec<(String, String, String, bool)> {
    crds()
        .into_iter()
        .map(|crd| {
            let reconciled = crd.spec.versions[0]
                .subresources
                .as_ref()
                .is_some_and(|s| s.status.is_some());
            let names = crd.spec.names;
            let singular = names.singular.unwrap_or_else(|| names.kind.to_lowercase());
            (names.kind, names.plural, singular, reconciled)
        })
        .collect()
}

/// `TaskDefinition` → `task-definition`, the docs page's name.
fn kebab(kind: &str) -> String {
    let mut out = String::new();
    for (i, c) in kind.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The body of the async test function `name` in `source`, up to the next `pub async fn`.
fn function_body<'a>(source: &'a str, name: &str) -> &'a str {
    let start = source
        .find(&format!("pub async fn {name}"))
        .unwrap_or_else(|| panic!("no test {name}"));
    let rest = &source[start + 1..];
    let end = rest.find("\npub async fn ").map_or(rest.len(), |i| i + 1);
    &rest[..end]
}

#[test]
fn every_kind_is_wired_into_the_chart_gitops_health_tests_and_docs() {
    let rbac = read("charts/ecs-operator/templates/rbac.yaml");
    let admission = read("charts/ecs-operator/templates/admission-policy.yaml");
    let argocd = read("deploy/argocd/argocd-cm.yaml");
    let argocd_tests = read("hack/argocd/test_health.py");
    let kstatus = read("tests/e2e/kstatus.rs");
    let chart = read("tests/e2e/chart.rs");
    let identity = function_body(
        &chart,
        "the_charts_identity_runs_the_full_lifecycle_and_nothing_more",
    );
    let corpus: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-input"))
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
    let kinds = kinds();
    assert!(kinds.iter().filter(|k| k.3).count() >= 3, "{kinds:?}");
    let mut missing = Vec::new();
    for (kind, plural, singular, reconciled) in &kinds {
        let named = |text: &str| {
            text.contains(&format!("\"{singular}\""))
                || text.contains(&format!("{singular}.ecs.operator.dev"))
        };
        let read_only = [
            ("the chart's RBAC", rbac.contains(plural.as_str())),
            (
                "the bad-input corpus (tests/bad-input/)",
                corpus
                    .iter()
                    .any(|m| m.contains(&format!("\nkind: {kind}\n"))),
            ),
            (
                "a docs page",
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join(format!("docs/{}.md", kebab(kind)))
                    .exists(),
            ),
        ];
        let reconciled_checks = [
            (
                "the chart's RBAC (objects, status and finalizers)",
                [
                    plural.clone(),
                    format!("{plural}/status"),
                    format!("{plural}/finalizers"),
                ]
                .iter()
                .all(|r| rbac.contains(r.as_str())),
            ),
            (
                "the chart's admission policy",
                admission.contains(plural.as_str()),
            ),
            (
                "the Argo CD health customizations",
                argocd.contains(&format!(
                    "resource.customizations.health.ecs.operator.dev_{kind}:"
                )),
            ),
            (
                "the Argo CD health script's tests",
                argocd_tests.contains(&format!("\"{kind}\"")),
            ),
            ("the kstatus cases (tests/e2e/kstatus.rs)", named(&kstatus)),
            ("the chart identity test", named(identity)),
        ];
        let checks = read_only
            .into_iter()
            .chain(reconciled_checks.into_iter().filter(|_| *reconciled));
        for (place, present) in checks {
            if !present {
                missing.push(format!("{kind} is not in {place}"));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// Paths of the lists and maps under `node` that lack maxItems or maxProperties.
fn unbounded(node: &Value, path: &str, out: &mut Vec<String>) {
    let Some(object) = node.as_object() else {
        return;
    };
    let typed = |t: &str| object.get("type").and_then(Value::as_str) == Some(t);
    if typed("array") && !object.contains_key("maxItems") {
        out.push(format!("{path}[]"));
    }
    if typed("object")
        && object
            .get("additionalProperties")
            .is_some_and(Value::is_object)
        && !object.contains_key("maxProperties")
    {
        out.push(format!("{path}{{}}"));
    }
    if let Some(properties) = object.get("properties").and_then(Value::as_object) {
        for (name, child) in properties {
            unbounded(child, &format!("{path}.{name}"), out);
        }
    }
    if let Some(items) = object.get("items") {
        unbounded(items, &format!("{path}[]"), out);
    }
    if let Some(values) = object.get("additionalProperties") {
        unbounded(values, &format!("{path}{{}}"), out);
    }
}

fn schemas() -> Vec<(String, Value)> {
    crds()
        .into_iter()
        .map(|crd| {
            let version = &crd.spec.versions[0];
            let schema = version
                .schema
                .as_ref()
                .and_then(|s| s.open_api_v3_schema.as_ref())
                .map(|s| serde_json::to_value(s).unwrap())
                .unwrap();
            (crd.spec.names.kind, schema)
        })
        .collect()
}

#[test]
fn every_list_and_map_is_bounded() {
    let mut found = Vec::new();
    for (kind, schema) in schemas() {
        let mut paths = Vec::new();
        // Status too: the operator writes it from what AWS reports, and a list that
        // outgrew its bound would have its status write refused.
        for part in ["spec", "status"] {
            unbounded(&schema["properties"][part], part, &mut paths);
        }
        found.extend(paths.into_iter().map(|p| format!("{kind} {p}")));
    }
    // A bound keeps an object's size, and the cost of CEL rules over it, predictable.
    assert!(
        found.is_empty(),
        "give these maxItems or maxProperties (#[schemars(length(max = N))]): {found:?}"
    );
}

/// Every CEL rule of the schemas (`x-kubernetes-validations`), with where it sits.
fn rules(node: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match node {
        Value::Object(object) => {
            for (key, child) in object {
                if key == "x-kubernetes-validations" {
                    for rule in child.as_array().into_iter().flatten() {
                        if let Some(text) = rule["rule"].as_str() {
                            out.push((path.to_string(), text.to_string()));
                        }
                    }
                } else {
                    rules(child, &format!("{path}/{key}"), out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| rules(i, path, out)),
        _ => {}
    }
}

/// The optional fields a rule reads through `self.` or `oldSelf.` (metadata is always
/// there, and a field read inside `has()` is the guard itself).
fn fields_read(rule: &str) -> Vec<String> {
    let mut fields = Vec::new();
    for root in ["oldSelf.", "self."] {
        for (at, _) in rule.match_indices(root) {
            let before = &rule[..at];
            if root == "self." && before.ends_with("old") {
                continue;
            }
            let path: String = rule[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '.' || *c == '_')
                .collect();
            let mut segments = path.split('.').skip(1);
            let first = segments.next().unwrap_or_default();
            let field = if first == "spec" {
                segments.next().map(|s| format!("{root}spec.{s}"))
            } else {
                Some(format!("{root}{first}"))
            };
            if let Some(field) = field
                && !field.contains("metadata")
            {
                fields.push(field);
            }
        }
    }
    fields
}

#[test]
fn transition_rules_guard_every_optional_field_with_has() {
    let mut unguarded = Vec::new();
    for (kind, schema) in schemas() {
        let mut found = Vec::new();
        rules(&schema, "", &mut found);
        for (path, rule) in found.iter().filter(|(_, r)| r.contains("oldSelf")) {
            for field in fields_read(rule) {
                if !rule.contains(&format!("has({field})")) {
                    unguarded.push(format!("{kind} {path}: {field} in {rule}"));
                }
            }
        }
    }
    assert!(
        unguarded.is_empty(),
        "a transition rule reading a field an old object may lack errors on it, and the API \
         server then refuses every write, the operator's finalizer and status included; guard \
         with has():\n{}",
        unguarded.join("\n")
    );
}

#[test]
fn the_rule_checks_find_what_they_look_for() {
    assert_eq!(
        fields_read("(has(self.region) ? self.region : '') == oldSelf.cluster"),
        ["oldSelf.cluster", "self.region", "self.region"]
    );
    let mut paths = Vec::new();
    unbounded(
        &serde_json::json!({"type": "object", "properties": {
            "a": {"type": "array", "items": {"type": "string"}},
            "b": {"type": "array", "maxItems": 2, "items": {"type": "string"}},
            "c": {"type": "object", "additionalProperties": {"type": "string"}}
        }}),
        "spec",
        &mut paths,
    );
    assert_eq!(paths, ["spec.a[]", "spec.c{}"]);
}
