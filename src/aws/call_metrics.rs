//! Counts and logs every AWS call attempt from inside the SDK, so no operation can
//! be forgotten: the SDK's own metadata names the operation, which the operation
//! table turns into fixed labels; the outcome comes from the HTTP response. The
//! outcome also tells the rate limiter whether AWS throttled the call. Before each
//! attempt goes out it names the operation on the HTTP request, for the limiter's
//! connector.

use std::sync::Arc;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextMut, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::config_bag::ConfigBag;

use super::ErrorKind;
use super::limiter::{Called, Limiter};
use super::operations::Operation;
use crate::telemetry::Metrics;

pub struct CallMetrics {
    metrics: Arc<Metrics>,
    limiter: Arc<Limiter>,
}

impl CallMetrics {
    pub fn new(metrics: Arc<Metrics>, limiter: Arc<Limiter>) -> Self {
        Self { metrics, limiter }
    }
}

impl std::fmt::Debug for CallMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallMetrics")
    }
}

impl Intercept for CallMetrics {
    fn name(&self) -> &'static str {
        "ecs-operator-call-metrics"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(op) = cfg
            .load::<Metadata>()
            .and_then(|m| Operation::from_name(m.name()))
        {
            context.request_mut().add_extension(Called(op));
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let called = cfg
            .load::<Metadata>()
            .and_then(|m| Operation::from_name(m.name()));
        let (service, operation) = match called {
            Some(op) => (op.service().sdk_name(), op.name()),
            // Only the operation table's calls go through these clients.
            None => ("unknown", "unknown"),
        };
        let response = context.response();
        let outcome = response.map_or("transient", outcome_of);
        let request_id = response.and_then(request_id).unwrap_or("none");
        self.metrics.observe_aws_call(service, operation, outcome);
        match (called, outcome) {
            (Some(op), "success") => self.limiter.succeeded(op),
            (Some(op), "throttled") => self.limiter.throttled(op),
            _ => {}
        }
        if outcome == "success" {
            tracing::debug!(aws_service = %service, operation = %operation, request_id, "AWS call");
        } else {
            tracing::info!(aws_service = %service, operation = %operation, outcome, request_id, "AWS call failed");
        }
        Ok(())
    }
}

fn request_id(response: &Response) -> Option<&str> {
    let headers = response.headers();
    headers
        .get("x-amzn-requestid")
        .or_else(|| headers.get("x-amz-request-id"))
}

/// "success", or the error's category in snake case.
fn outcome_of(response: &Response) -> &'static str {
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        return "success";
    }
    let code = error_code(response).unwrap_or_default();
    let body = response.body().bytes().unwrap_or_default();
    let message = String::from_utf8_lossy(body);
    match ErrorKind::of(&code, &message, Some(status)) {
        ErrorKind::Throttled => "throttled",
        ErrorKind::Transient => "transient",
        ErrorKind::AccessDenied => "access_denied",
        ErrorKind::InvalidInput => "invalid_input",
        ErrorKind::NotFound => "not_found",
        ErrorKind::InUse => "in_use",
    }
}

/// The AWS JSON protocols name the error in a header or in the body's `__type`,
/// sometimes with a namespace prefix (`com.amazonaws.ecs#ThrottlingException`).
fn error_code(response: &Response) -> Option<String> {
    let raw = match response.headers().get("x-amzn-errortype") {
        Some(header) => header.to_string(),
        None => {
            let body: serde_json::Value = serde_json::from_slice(response.body().bytes()?).ok()?;
            body.get("__type")
                .or_else(|| body.get("code"))?
                .as_str()?
                .to_string()
        }
    };
    let without_suffix = raw.split(':').next().unwrap_or(&raw);
    Some(
        without_suffix
            .rsplit('#')
            .next()
            .unwrap_or(without_suffix)
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::body::SdkBody;

    fn response(status: u16, headers: &[(&'static str, &'static str)], body: &str) -> Response {
        let mut builder = http::Response::builder().status(status);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        Response::try_from(builder.body(SdkBody::from(body.to_string())).unwrap()).unwrap()
    }

    #[test]
    fn throttling_is_recognised_from_the_body_or_the_header() {
        let body = response(
            400,
            &[],
            r#"{"__type":"com.amazonaws.ecs#ThrottlingException","message":"Rate exceeded"}"#,
        );
        assert_eq!(outcome_of(&body), "throttled");
        let header = response(
            400,
            &[("x-amzn-ErrorType", "ThrottlingException:http://internal")],
            "{}",
        );
        assert_eq!(outcome_of(&header), "throttled");
    }

    #[test]
    fn outcomes_are_fixed_categories() {
        assert_eq!(outcome_of(&response(200, &[], "{}")), "success");
        assert_eq!(outcome_of(&response(503, &[], "")), "transient");
        assert_eq!(
            outcome_of(&response(
                400,
                &[],
                r#"{"__type":"ClusterNotFoundException"}"#
            )),
            "not_found"
        );
        assert_eq!(
            outcome_of(&response(
                400,
                &[],
                r#"{"__type":"ClientException","message":"bad"}"#
            )),
            "invalid_input"
        );
    }

    #[test]
    fn the_request_id_comes_from_the_response_header() {
        let ok = response(200, &[("x-amzn-RequestId", "abc-123")], "{}");
        assert_eq!(request_id(&ok), Some("abc-123"));
    }
}
