//! Integer bounds on every CRD field. The API server does not enforce an integer
//! `format`, so without a `minimum` and `maximum` it stores a number the operator's
//! types cannot hold (a `stopTimeout` of 8892544677285570127 in an `int32` field), and
//! the object can then never be read back. Bounded, the API server refuses it and
//! names the field.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
};

/// The widest range an `int64` field gets: 2^53, the largest magnitude up to which
/// every integer is exact in the float the schema's bounds are written as (and in the
/// JSON numbers most clients use). Generations and counts never come near it.
const INT64_LIMIT: f64 = 9_007_199_254_740_992.0;

/// The range of values a field of integer `format` holds.
pub(super) fn format_range(format: &str) -> Option<(f64, f64)> {
    match format {
        "int32" => Some((f64::from(i32::MIN), f64::from(i32::MAX))),
        "int64" => Some((-INT64_LIMIT, INT64_LIMIT)),
        _ => None,
    }
}

/// Gives every integer field of `crd` a minimum and a maximum within its format,
/// keeping any narrower bound the type already declares.
pub(super) fn bound_integers(crd: &mut CustomResourceDefinition) {
    for version in &mut crd.spec.versions {
        let schema = version
            .schema
            .as_mut()
            .and_then(|validation| validation.open_api_v3_schema.as_mut());
        if let Some(schema) = schema {
            bound(schema);
        }
    }
}

fn bound(schema: &mut JSONSchemaProps) {
    if schema.type_.as_deref() == Some("integer") {
        let (low, high) = schema
            .format
            .as_deref()
            .and_then(format_range)
            .unwrap_or((-INT64_LIMIT, INT64_LIMIT));
        schema.minimum = Some(schema.minimum.map_or(low, |m| m.max(low)));
        schema.maximum = Some(schema.maximum.map_or(high, |m| m.min(high)));
    }
    for child in children(schema) {
        bound(child);
    }
}

/// Every schema nested directly in `schema`.
pub(super) fn children(schema: &mut JSONSchemaProps) -> Vec<&mut JSONSchemaProps> {
    let mut nested: Vec<&mut JSONSchemaProps> = Vec::new();
    if let Some(properties) = schema.properties.as_mut() {
        nested.extend(properties.values_mut());
    }
    match schema.items.as_mut() {
        Some(JSONSchemaPropsOrArray::Schema(item)) => nested.push(item),
        Some(JSONSchemaPropsOrArray::Schemas(items)) => nested.extend(items.iter_mut()),
        None => {}
    }
    if let Some(JSONSchemaPropsOrBool::Schema(values)) = schema.additional_properties.as_mut() {
        nested.push(values);
    }
    for alternatives in [
        schema.all_of.as_mut(),
        schema.any_of.as_mut(),
        schema.one_of.as_mut(),
    ]
    .into_iter()
    .flatten()
    {
        nested.extend(alternatives.iter_mut());
    }
    if let Some(not) = schema.not.as_mut() {
        nested.push(not);
    }
    nested
}

#[cfg(test)]
mod tests {
    use super::*;

    fn integers(
        schema: &mut JSONSchemaProps,
        path: String,
        found: &mut Vec<(String, JSONSchemaProps)>,
    ) {
        if schema.type_.as_deref() == Some("integer") {
            found.push((path.clone(), schema.clone()));
        }
        for (index, child) in children(schema).into_iter().enumerate() {
            integers(child, format!("{path}/{index}"), found);
        }
    }

    /// The case the API server used to store and the operator could not read.
    #[test]
    fn an_int32_field_refuses_what_an_i32_cannot_hold() {
        let mut schema = JSONSchemaProps {
            type_: Some("integer".into()),
            format: Some("int32".into()),
            minimum: Some(0.0),
            ..Default::default()
        };
        bound(&mut schema);
        assert_eq!(schema.minimum, Some(0.0), "the type's own bound is kept");
        assert_eq!(schema.maximum, Some(2_147_483_647.0));
        assert!(8_892_544_677_285_570_127.0 > schema.maximum.unwrap());
    }

    #[test]
    fn a_narrower_declared_range_is_kept() {
        let mut schema = JSONSchemaProps {
            type_: Some("integer".into()),
            format: Some("int32".into()),
            minimum: Some(6.0),
            maximum: Some(100.0),
            ..Default::default()
        };
        bound(&mut schema);
        assert_eq!((schema.minimum, schema.maximum), (Some(6.0), Some(100.0)));
    }

    /// Every integer in every committed CRD carries both bounds, within what its Rust
    /// type holds: a field added later is bounded without anyone remembering to.
    #[test]
    fn every_integer_field_of_every_crd_is_bounded_within_its_format() {
        let mut found = Vec::new();
        for mut crd in crate::api::crds() {
            let name = crd.metadata.name.clone().unwrap_or_default();
            for version in &mut crd.spec.versions {
                let schema = version
                    .schema
                    .as_mut()
                    .and_then(|v| v.open_api_v3_schema.as_mut());
                integers(
                    schema.expect("every version has a schema"),
                    name.clone(),
                    &mut found,
                );
            }
        }
        assert!(
            found.len() > 50,
            "the walk reaches the integer fields: {}",
            found.len()
        );
        for (path, schema) in found {
            let format = schema.format.as_deref().unwrap_or_default();
            let (low, high) = format_range(format)
                .unwrap_or_else(|| panic!("{path}: integer format {format:?} has no known range"));
            let (min, max) = (schema.minimum, schema.maximum);
            assert!(
                min.is_some_and(|m| m >= low) && max.is_some_and(|m| m <= high),
                "{path}: bounds {min:?}..{max:?} not within {format} ({low}..{high})"
            );
        }
    }
}
