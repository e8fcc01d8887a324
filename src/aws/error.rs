//! AWS errors, classified by what the operator should do about them.

use std::fmt;

/// What kind of failure an AWS call had; decides retry and condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Rate limited: back off and retry.
    Throttled,
    /// 5xx, timeout or connection failure: back off and retry.
    Transient,
    /// The credentials may not make this call: the user must grant the IAM action.
    AccessDenied,
    /// AWS rejected the request's content: the user must fix the spec.
    InvalidInput,
    /// The resource does not exist.
    NotFound,
    /// The resource is busy or still has dependants (for example a cluster with services): retry later.
    InUse,
}

impl ErrorKind {
    /// A fixed label for metrics and condition reasons.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Throttled => "Throttled",
            Self::Transient => "Transient",
            Self::AccessDenied => "AccessDenied",
            Self::InvalidInput => "InvalidInput",
            Self::NotFound => "NotFound",
            Self::InUse => "InUse",
        }
    }

    /// Classifies an AWS error code (with its message and HTTP status, when there was a response).
    pub fn of(code: &str, message: &str, http_status: Option<u16>) -> Self {
        match code {
            "ThrottlingException"
            | "Throttling"
            | "TooManyRequestsException"
            | "RequestLimitExceeded"
            | "LimitExceededException" => Self::Throttled,
            "AccessDeniedException"
            | "AccessDenied"
            | "UnauthorizedOperation"
            | "UnrecognizedClientException"
            | "InvalidSignatureException"
            | "ExpiredTokenException" => Self::AccessDenied,
            // ECS reports missing IAM permissions as ClientException too.
            "ClientException" if message.contains("not authorized to perform") => {
                Self::AccessDenied
            }
            "ClusterNotFoundException"
            | "ResourceNotFoundException"
            | "ServiceNotFoundException"
            | "ObjectNotFoundException" => Self::NotFound,
            // moto answers a missing scalable target, policy or action this way where AWS
            // uses ObjectNotFoundException.
            "ValidationException"
                if message.starts_with("No scalable target found")
                    || message.starts_with("No scaling policy found")
                    || message.starts_with("No scheduled action found") =>
            {
                Self::NotFound
            }
            // Application Auto Scaling cannot reach the resource or alarm it scales with.
            "FailedResourceAccessException" => Self::AccessDenied,
            "ClusterContainsServicesException"
            | "ClusterContainsTasksException"
            | "ClusterContainsContainerInstancesException"
            | "ClusterContainsCapacityProviderException"
            | "UpdateInProgressException"
            | "ResourceInUseException"
            | "ConflictException"
            | "ConcurrentUpdateException" => Self::InUse,
            "ServerException"
            | "ServiceUnavailable"
            | "ServiceUnavailableException"
            | "InternalFailure"
            | "InternalServerError"
            | "InternalServiceException" => Self::Transient,
            "InvalidParameterException"
            | "ClientException"
            | "ValidationException"
            | "InvalidParameterValue"
            | "PlatformUnknownException"
            | "PlatformTaskDefinitionIncompatibilityException" => Self::InvalidInput,
            _ => match http_status {
                Some(429) => Self::Throttled,
                Some(403) => Self::AccessDenied,
                Some(404) => Self::NotFound,
                Some(400..=499) => Self::InvalidInput,
                _ => Self::Transient,
            },
        }
    }

    /// Whether retrying the same request later can succeed without a spec change.
    pub fn is_retryable(self) -> bool {
        matches!(self, Self::Throttled | Self::Transient | Self::InUse)
    }
}

/// A failed AWS call: which operation, how it is classified, and AWS's own code and message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct AwsError {
    pub kind: ErrorKind,
    /// IAM-style action name, for example ecs:CreateCluster.
    pub action: &'static str,
    /// AWS error code, for example ClusterContainsServicesException.
    pub code: String,
    pub message: String,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ErrorKind::AccessDenied => write!(
                f,
                "{} was denied: grant the operator's IAM role the {} action ({}: {})",
                self.action, self.action, self.code, self.message
            ),
            _ => write!(f, "{} failed: {}: {}", self.action, self.code, self.message),
        }
    }
}

impl AwsError {
    pub fn new(
        kind: ErrorKind,
        action: &'static str,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            action,
            code: code.into(),
            message: message.into(),
        }
    }

    /// Classifies an AWS error from its code, message and HTTP status (when it had a response).
    pub fn classify(
        action: &'static str,
        code: Option<&str>,
        message: Option<&str>,
        http_status: Option<u16>,
    ) -> Self {
        let code = code.unwrap_or("Unknown");
        let message = message.unwrap_or("no message");
        let kind = ErrorKind::of(code, message, http_status);
        Self::new(kind, action, code, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecs_client_exception_for_missing_permission_is_access_denied() {
        let e = AwsError::classify(
            "ecs:CreateCluster",
            Some("ClientException"),
            Some("User: arn:aws:iam::1:user/x is not authorized to perform: ecs:CreateCluster"),
            Some(400),
        );
        assert_eq!(e.kind, ErrorKind::AccessDenied);
        assert!(
            e.to_string()
                .contains("grant the operator's IAM role the ecs:CreateCluster action")
        );
    }

    #[test]
    fn other_client_exceptions_are_invalid_input() {
        let e = AwsError::classify(
            "ecs:CreateCluster",
            Some("ClientException"),
            Some("bad name"),
            Some(400),
        );
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert!(!e.kind.is_retryable());
    }

    #[test]
    fn throttling_and_server_errors_are_retried() {
        for (code, status) in [
            (Some("ThrottlingException"), Some(400)),
            (None, Some(503)),
            (None, None),
        ] {
            let e = AwsError::classify("ecs:DescribeClusters", code, None, status);
            assert!(
                e.kind.is_retryable(),
                "{code:?} {status:?} gave {:?}",
                e.kind
            );
        }
    }

    #[test]
    fn a_missing_scaling_object_is_not_found_in_aws_and_in_moto_wording() {
        for (code, message) in [
            ("ObjectNotFoundException", "No scalable target registered"),
            (
                "ValidationException",
                "No scalable target found for service namespace: ecs, resource ID: service/a/b",
            ),
            (
                "ValidationException",
                "No scaling policy found for service namespace: ecs",
            ),
        ] {
            let e = AwsError::classify(
                "application-autoscaling:X",
                Some(code),
                Some(message),
                Some(400),
            );
            assert_eq!(e.kind, ErrorKind::NotFound, "{code}: {message}");
        }
        let other = AwsError::classify(
            "application-autoscaling:RegisterScalableTarget",
            Some("ValidationException"),
            Some("ECS service doesn't exist: service/a/b"),
            Some(400),
        );
        assert_eq!(other.kind, ErrorKind::InvalidInput);
    }

    #[test]
    fn cluster_with_services_is_in_use() {
        let e = AwsError::classify(
            "ecs:DeleteCluster",
            Some("ClusterContainsServicesException"),
            None,
            Some(400),
        );
        assert_eq!(e.kind, ErrorKind::InUse);
    }
}
