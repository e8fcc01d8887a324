//! `kubectl ecs`: the friendly path to a Service's staged rollout. `status` shows where
//! it stands; `promote` and `abort` create the RolloutApproval a person would otherwise
//! write by hand, naming the deployment (and hook) the Service reports right now and the
//! user the API server says is asking. The same binary as the operator: installed (or
//! linked) as `kubectl-ecs`, kubectl finds it as a plugin.

mod approve;
mod report;

#[cfg(test)]
mod tests;

use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use kube::api::{ListParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};

use crate::api::{RolloutApproval, Service};
use crate::cli::{PluginArgs, PluginCommand};
pub use approve::PluginError;

/// Runs one plugin command against the kubeconfig's cluster, printing to stdout.
pub async fn run(args: PluginArgs) -> anyhow::Result<()> {
    let options = KubeConfigOptions {
        context: args.context.clone(),
        ..Default::default()
    };
    let config = match Kubeconfig::read() {
        Ok(kubeconfig) => Config::from_custom_kubeconfig(kubeconfig, &options).await?,
        Err(_) => Config::infer().await?,
    };
    let namespace = args
        .namespace
        .clone()
        .unwrap_or_else(|| config.default_namespace.clone());
    let client = Client::try_from(config)?;
    let services: Api<Service> = Api::namespaced(client.clone(), &namespace);
    let approvals: Api<RolloutApproval> = Api::namespaced(client.clone(), &namespace);
    let name = match &args.command {
        PluginCommand::Status { service }
        | PluginCommand::Promote { service, .. }
        | PluginCommand::Abort { service } => service,
    };
    let service = services
        .get_opt(name)
        .await?
        .ok_or_else(|| PluginError::NoService {
            name: name.clone(),
            namespace: namespace.clone(),
        })?;
    let given: Vec<RolloutApproval> = approvals
        .list(&ListParams::default())
        .await?
        .items
        .into_iter()
        .filter(|a| a.spec.service == *name)
        .collect();
    let request = match &args.command {
        PluginCommand::Status { .. } => {
            print!("{}", report::status(&service, &given));
            return Ok(());
        }
        PluginCommand::Promote { rollback, hook, .. } => approve::Request::Hook {
            rollback: *rollback,
            hook: hook.clone(),
        },
        PluginCommand::Abort { .. } => approve::Request::Abort,
    };
    let user = whoami(client).await?;
    let approval = match approve::approval(&service, &given, &request, &user)? {
        approve::Decision::Create(approval) => *approval,
        approve::Decision::AlreadyGiven(said) => {
            println!("{said}");
            return Ok(());
        }
    };
    let created = approvals.create(&PostParams::default(), &approval).await?;
    println!("{}", approve::created(&created, &namespace));
    Ok(())
}

/// The user the API server authenticates this kubeconfig as (SelfSubjectReview), which
/// the chart's admission policy requires approvedBy to be.
async fn whoami(client: Client) -> anyhow::Result<String> {
    let reviews: Api<SelfSubjectReview> = Api::all(client);
    let review = reviews
        .create(&PostParams::default(), &SelfSubjectReview::default())
        .await?;
    review
        .status
        .and_then(|s| s.user_info)
        .and_then(|u| u.username)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| PluginError::Anonymous.into())
}
