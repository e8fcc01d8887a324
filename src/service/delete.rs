//! Deleting the ECS service before the finalizer goes: scale to 0, DeleteService, and
//! wait until ECS reports it INACTIVE (ECS API Reference, DeleteService).

use super::references;
use crate::api::{DeletionPolicy, Service, ServiceStatus};
use crate::aws::{AwsApi, AwsError, ErrorKind, ServiceState, UpdateService};
use crate::controller::Index;
use crate::ownership::owner_of;
use crate::reconcile::{CONVERGE_POLL, Cleanup, Health, Next, Note, Outcome};

pub async fn cleanup(
    service: &Service,
    ecs: &dyn AwsApi,
    objects: &dyn Index,
) -> Result<Cleanup<ServiceStatus>, AwsError> {
    let name = service.service_name();
    if service.spec.deletion_policy == DeletionPolicy::Retain {
        return Ok(Cleanup::Done(vec![Note::normal(
            "Retained",
            format!("deletionPolicy is Retain: ECS service {name} keeps running"),
        )]));
    }
    let previous = service.status.clone().unwrap_or_default();
    // The cluster this object created its service in; without one, nothing was created.
    let cluster = match previous.cluster_arn.clone() {
        Some(arn) => arn,
        None => match references::cluster(service, objects) {
            Ok(cluster) => cluster,
            Err(_) => return Ok(Cleanup::Done(Vec::new())),
        },
    };
    let found = match ecs.describe_service(&cluster, &name).await {
        Ok(found) => found,
        // The cluster itself is gone, and its services with it.
        Err(e) if e.kind == ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let Some(found) = found.filter(|s| s.status != ServiceState::Inactive) else {
        return Ok(Cleanup::Done(Vec::new()));
    };
    if !owner_of(&found.tags, service).is_this_object() {
        // Never delete what this object does not own.
        return Ok(Cleanup::Done(Vec::new()));
    }
    let waiting = |status: &ServiceState, message: String, notes: Vec<Note>| {
        Cleanup::Waiting(Outcome {
            status: ServiceStatus {
                status: Some(status.to_string()),
                ..previous.clone()
            },
            health: Health::Progressing {
                reason: "Deleting",
                message,
            },
            notes,
            next: Next::After(CONVERGE_POLL),
        })
    };
    if found.status == ServiceState::Draining {
        return Ok(waiting(
            &found.status,
            format!(
                "ECS service {} is DRAINING; waiting for INACTIVE",
                found.arn
            ),
            Vec::new(),
        ));
    }
    // A scaler left registered would raise the count again while the service scales down.
    super::autoscaling::remove_before_delete(service, ecs, &cluster).await?;
    let daemon = found.settings.scheduling_strategy.as_deref() == Some("DAEMON");
    if found.desired_count > 0 && !daemon {
        ecs.update_service(&UpdateService {
            cluster: cluster.clone(),
            service: found.arn.clone(),
            desired_count: Some(0),
            ..Default::default()
        })
        .await?;
    }
    let deleted = match ecs.delete_service(&cluster, &found.arn).await {
        Ok(deleted) => deleted,
        Err(e) if e.kind == ErrorKind::NotFound => return Ok(Cleanup::Done(Vec::new())),
        Err(e) => return Err(e),
    };
    let note = Note::normal("Deleting", format!("deleting ECS service {}", found.arn));
    if deleted.status == ServiceState::Inactive {
        return Ok(Cleanup::Done(vec![note]));
    }
    Ok(waiting(
        &deleted.status,
        format!(
            "ECS service {} is {}; waiting for INACTIVE",
            found.arn, deleted.status
        ),
        vec![note],
    ))
}
