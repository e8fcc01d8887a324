//! The HTTP connector every AWS request passes through: it takes the request's token
//! from the limiter first, unless the request carries a receipt for it.

use std::sync::Arc;

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::{Builder, Connector, tls};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

use super::{Called, Limiter, Prepaid};
use crate::aws::operations::Operation;

/// The SDK's HTTPS client (rustls, proxy settings from the environment) with every
/// request passing through `limiter` first.
pub fn limited_https_client(limiter: Arc<Limiter>) -> SharedHttpClient {
    let inner = Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector = Connector::builder().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    });
    SharedHttpClient::new(LimitedClient { inner, limiter })
}

#[derive(Debug)]
struct LimitedClient {
    inner: SharedHttpClient,
    limiter: Arc<Limiter>,
}

impl HttpClient for LimitedClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(LimitedConnector {
            inner: self.inner.http_connector(settings, components),
            limiter: self.limiter.clone(),
        })
    }
}

#[derive(Debug)]
struct LimitedConnector {
    inner: SharedHttpConnector,
    limiter: Arc<Limiter>,
}

/// The operation `request` must take a token for: None for a request outside the
/// operation table (a credentials request, say) and for one that carries its token.
fn charged(request: &HttpRequest) -> Option<Operation> {
    let Called(operation) = *request.extension::<Called>()?;
    let paid = request
        .extension::<Prepaid>()
        .is_some_and(|receipt| receipt.operation == operation);
    (!paid).then_some(operation)
}

impl HttpConnector for LimitedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let operation = charged(&request);
        let inner = self.inner.clone();
        let limiter = self.limiter.clone();
        HttpConnectorFuture::new(async move {
            if let Some(operation) = operation {
                limiter.acquire(operation).await;
            }
            inner.call(request).await
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_types::body::SdkBody;

    use super::*;
    use crate::aws::quota::{QuotaOverride, Quotas};
    use crate::telemetry::Metrics;
    use Operation::{DescribeServices, TagResource};

    fn limiter(setting: &str) -> Limiter {
        let quotas = Quotas::default().with_overrides(&[setting.parse::<QuotaOverride>().unwrap()]);
        Limiter::new(quotas, Arc::new(Metrics::default()))
    }

    /// Answers every request at once with 200.
    #[derive(Debug)]
    struct Answering;

    impl HttpConnector for Answering {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            HttpConnectorFuture::ready(Ok(HttpResponse::new(
                200.try_into().unwrap(),
                SdkBody::empty(),
            )))
        }
    }

    fn request(operation: Option<Operation>, receipt: Option<Prepaid>) -> HttpRequest {
        let mut request = HttpRequest::empty();
        if let Some(operation) = operation {
            request.add_extension(Called(operation));
        }
        if let Some(receipt) = receipt {
            receipt.attach(&mut request);
        }
        request
    }

    /// Whether the connector answers `request` within 200 ms (not held for a token).
    async fn sent_at_once(connector: &LimitedConnector, request: HttpRequest) -> bool {
        tokio::time::timeout(Duration::from_millis(200), connector.call(request))
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn a_receipt_lets_through_only_the_request_it_is_attached_to() {
        // One token, refilled only after about three hours.
        let limiter = Arc::new(limiter("service-read=1:0.0001"));
        let connector = LimitedConnector {
            inner: SharedHttpConnector::new(Answering),
            limiter: limiter.clone(),
        };
        let receipt = limiter.prepay(DescribeServices).await;
        // A request outside the table on the same connector (credentials, say) takes
        // no token, and cannot take the receipt's.
        assert!(sent_at_once(&connector, request(None, None)).await);
        // A receipt for another operation is no payment for this one.
        let other = limiter.prepay(TagResource).await;
        assert!(!sent_at_once(&connector, request(Some(DescribeServices), Some(other))).await);
        // The request the batch attached its receipt to is not charged again ...
        assert!(sent_at_once(&connector, request(Some(DescribeServices), Some(receipt))).await);
        // ... and one without a receipt waits for the refill.
        assert!(!sent_at_once(&connector, request(Some(DescribeServices), None)).await);
    }
}
