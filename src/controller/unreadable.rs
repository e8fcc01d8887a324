//! Objects the operator's types cannot read: which field, and a Stalled status that
//! says so. The API server accepts some values the types cannot hold (numbers beyond a
//! field's integer format stored before the CRD bounded them, for one), and such an
//! object must stop only itself.

use std::sync::OnceLock;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, ObjectMeta, Time};
use kube::api::{ApiResource, DynamicObject, Patch, PatchParams};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::api::{FINALIZER, MANAGER};
use crate::conditions::{REASON_INVALID_SPEC, conditions, is_kstatus};
use crate::reconcile::Health;

/// An object that did not convert to its kind's type, and why.
#[derive(Debug)]
pub struct Unreadable {
    pub metadata: ObjectMeta,
    status: Option<Value>,
    /// The field that failed, as a path from the object's root (`spec.x[0].y`).
    field: String,
    error: String,
}

impl Unreadable {
    /// `object` as K, or what made it unreadable.
    pub fn convert<K>(object: DynamicObject) -> Result<K, Box<Self>>
    where
        K: Resource<DynamicType = ()> + DeserializeOwned,
    {
        let DynamicObject { metadata, data, .. } = object;
        let mut value = data;
        if let Value::Object(fields) = &mut value {
            let meta = serde_json::to_value(&metadata).unwrap_or(Value::Null);
            fields.insert("metadata".to_string(), meta);
        }
        match serde_path_to_error::deserialize::<_, K>(&value) {
            Ok(object) => Ok(object),
            Err(error) => {
                // serde loses the path inside a flattened struct (a TaskDefinition's
                // spec is one), so the integers are checked against the CRD to find it.
                let mut beyond = Vec::new();
                if let Some(schema) = schema_of(&K::kind(&())) {
                    beyond_format(&value, schema, String::new(), &mut beyond);
                }
                let field = if beyond.is_empty() {
                    error.path().to_string()
                } else {
                    beyond.join(", ")
                };
                let error = error.into_inner().to_string();
                let status = match value {
                    Value::Object(mut fields) => fields.remove("status"),
                    _ => None,
                };
                Err(Box::new(Self {
                    metadata,
                    status,
                    field,
                    error,
                }))
            }
        }
    }

    /// What the user must do, as the Stalled condition says it.
    pub fn message(&self) -> String {
        let field = match self.field.as_str() {
            "" | "." => "the object".to_string(),
            path => path.to_string(),
        };
        let problem = format!("the operator cannot read {field}: {}", self.error);
        let ours = self
            .metadata
            .finalizers
            .iter()
            .flatten()
            .any(|f| f == FINALIZER);
        if self.metadata.deletion_timestamp.is_some() && ours {
            format!(
                "{problem}. Deleting waits until that field holds a value the type accepts; \
                 or remove the finalizer {FINALIZER} to leave this object's AWS resources \
                 behind"
            )
        } else {
            format!(
                "{problem}. Until that field is fixed nothing is done in AWS for this object; \
                 apply it again with a value the CRD accepts"
            )
        }
    }

    /// The status conditions that report it, or None when the object already shows them.
    fn conditions(&self, now: &Time) -> Option<Vec<Condition>> {
        let status = self.status.as_ref();
        let previous: Vec<Condition> = status
            .and_then(|s| s.get("conditions"))
            .and_then(|c| serde_json::from_value(c.clone()).ok())
            .unwrap_or_default();
        let generation = self.metadata.generation;
        let health = Health::Stalled {
            reason: REASON_INVALID_SPEC,
            message: self.message(),
        };
        let mut next = conditions(&health, &previous, generation, now);
        next.extend(previous.iter().filter(|c| !is_kstatus(c)).cloned());
        let observed = status
            .and_then(|s| s.get("observedGeneration"))
            .and_then(Value::as_i64);
        (next != previous || observed != generation).then_some(next)
    }
}

/// The schema of `kind`'s CRD, as the operator generates it.
fn schema_of(kind: &str) -> Option<&'static JSONSchemaProps> {
    static CRDS: OnceLock<Vec<CustomResourceDefinition>> = OnceLock::new();
    CRDS.get_or_init(crate::api::crds)
        .iter()
        .find(|crd| crd.spec.names.kind == kind)
        .and_then(|crd| crd.spec.versions.first())
        .and_then(|version| version.schema.as_ref())
        .and_then(|validation| validation.open_api_v3_schema.as_ref())
}

/// Collects the paths (`spec.x[0].y`) where `value` holds an integer its schema's
/// format cannot.
fn beyond_format(value: &Value, schema: &JSONSchemaProps, path: String, found: &mut Vec<String>) {
    match value {
        Value::Number(number) if schema.type_.as_deref() == Some("integer") => {
            let fits = match schema.format.as_deref() {
                Some("int32") => number.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
                _ => number.as_i64().is_some(),
            };
            if !fits {
                found.push(path);
            }
        }
        Value::Object(fields) => {
            for (name, field) in fields {
                let properties = schema.properties.as_ref();
                if let Some(child) = properties.and_then(|p| p.get(name)) {
                    let path = if path.is_empty() {
                        name.clone()
                    } else {
                        format!("{path}.{name}")
                    };
                    beyond_format(field, child, path, found);
                } else if let Some(JSONSchemaPropsOrBool::Schema(values)) =
                    &schema.additional_properties
                {
                    beyond_format(field, values, format!("{path}[{name}]"), found);
                }
            }
        }
        Value::Array(items) => {
            if let Some(JSONSchemaPropsOrArray::Schema(item)) = &schema.items {
                for (index, element) in items.iter().enumerate() {
                    beyond_format(element, item, format!("{path}[{index}]"), found);
                }
            }
        }
        _ => {}
    }
}

/// Writes the Stalled status of unreadable objects of one kind.
pub struct UnreadableReporter {
    client: Client,
    resource: ApiResource,
}

impl UnreadableReporter {
    pub fn new(client: Client, resource: ApiResource) -> Self {
        Self { client, resource }
    }

    /// Marks `object` Stalled, naming the field, unless its status already says so.
    /// A merge patch of the conditions alone: the rest of the status (ARNs, the
    /// revisions a TaskDefinition still owns) is kept for when the object is fixed.
    pub fn report(&self, object: &Unreadable) {
        let now = Time(k8s_openapi::jiff::Timestamp::now());
        let Some(conditions) = object.conditions(&now) else {
            return;
        };
        let (Some(namespace), Some(name)) = (&object.metadata.namespace, &object.metadata.name)
        else {
            return;
        };
        tracing::warn!(
            kind = self.resource.kind,
            object = %format!("{namespace}/{name}"),
            field = object.field,
            error = object.error,
            "object cannot be read; marked Stalled"
        );
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), namespace, &self.resource);
        let patch = json!({"status": {
            "conditions": conditions,
            "observedGeneration": object.metadata.generation,
        }});
        let name = name.clone();
        tokio::spawn(async move {
            let params = PatchParams {
                field_manager: Some(MANAGER.to_string()),
                ..PatchParams::default()
            };
            if let Err(error) = api.patch_status(&name, &params, &Patch::Merge(patch)).await {
                tracing::warn!(object = name, %error, "could not mark an unreadable object Stalled");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::TaskDefinition;
    use crate::api::common::condition::{READY, STALLED};

    const BEYOND_I32: u64 = 8_892_544_677_285_570_127;

    fn task_definition(stop_timeout: Value, extra_metadata: Value) -> DynamicObject {
        let mut metadata = json!({"name": "web", "namespace": "team-a", "generation": 3});
        if let (Value::Object(m), Value::Object(extra)) = (&mut metadata, extra_metadata) {
            m.extend(extra);
        }
        serde_json::from_value(json!({
            "apiVersion": "ecs.operator.dev/v1alpha1",
            "kind": "TaskDefinition",
            "metadata": metadata,
            "spec": {
                "family": "web",
                "cpu": "256",
                "memory": "512",
                "containerDefinitions": [{"name": "web", "image": "nginx", "stopTimeout": stop_timeout}],
            },
            "status": {"arn": "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:2"},
        }))
        .unwrap()
    }

    #[test]
    fn a_readable_object_converts_to_its_type() {
        let object = task_definition(json!(30), json!({}));
        let converted: TaskDefinition = Unreadable::convert(object).expect("readable");
        assert_eq!(
            converted.spec.definition.container_definitions[0].stop_timeout,
            Some(30)
        );
    }

    #[test]
    fn an_integer_beyond_its_type_names_the_field_and_the_value() {
        let object = task_definition(json!(BEYOND_I32), json!({}));
        let unreadable = Unreadable::convert::<TaskDefinition>(object).unwrap_err();
        let message = unreadable.message();
        assert!(
            message.contains("spec.containerDefinitions[0].stopTimeout")
                && message.contains("8892544677285570127")
                && message.contains("apply it again"),
            "{message}"
        );
    }

    #[test]
    fn an_unreadable_object_being_deleted_says_how_to_let_it_go() {
        let metadata = json!({
            "deletionTimestamp": "2026-12-03T10:00:00Z",
            "finalizers": [FINALIZER],
        });
        let object = task_definition(json!(BEYOND_I32), metadata);
        let message = Unreadable::convert::<TaskDefinition>(object)
            .unwrap_err()
            .message();
        assert!(message.contains("remove the finalizer"), "{message}");
    }

    #[test]
    fn it_is_reported_once_then_left_alone() {
        let now = Time(k8s_openapi::jiff::Timestamp::now());
        let object = task_definition(json!(BEYOND_I32), json!({}));
        let mut unreadable = Unreadable::convert::<TaskDefinition>(object).unwrap_err();
        let conditions = unreadable.conditions(&now).expect("first report writes");
        let stalled = conditions.iter().find(|c| c.type_ == STALLED).unwrap();
        assert_eq!(
            (stalled.status.as_str(), stalled.reason.as_str()),
            ("True", REASON_INVALID_SPEC)
        );
        assert_eq!(stalled.observed_generation, Some(3));
        let ready = conditions.iter().find(|c| c.type_ == READY).unwrap();
        assert_eq!(ready.status, "False");

        // The watch sees the object again after the write: it already says all this.
        unreadable.status = Some(json!({"conditions": conditions, "observedGeneration": 3}));
        assert_eq!(unreadable.conditions(&now), None);

        // A new generation, still unreadable, is reported for that generation.
        unreadable.metadata.generation = Some(4);
        assert!(unreadable.conditions(&now).is_some());
    }

    #[test]
    fn a_kinds_own_conditions_are_kept() {
        let now = Time(k8s_openapi::jiff::Timestamp::now());
        let object = task_definition(json!(BEYOND_I32), json!({}));
        let mut unreadable = Unreadable::convert::<TaskDefinition>(object).unwrap_err();
        unreadable.status = Some(json!({"conditions": [{
            "type": "AutoscalingReady", "status": "True", "reason": "Registered",
            "message": "", "lastTransitionTime": "2026-12-03T10:00:00Z",
        }]}));
        let conditions = unreadable.conditions(&now).unwrap();
        assert!(conditions.iter().any(|c| c.type_ == "AutoscalingReady"));
    }
}
