//! The `RolloutApproval` kind: a person's (or a pipeline's) answer to a PAUSE lifecycle
//! hook that holds a Service's deployment. It names the ECS service deployment and the
//! hook, never a task definition revision, so an approval given for one deployment can
//! never promote another (a redeploy token or a settings change deploys the same
//! revision again). Abort stops the named deployment wherever it is, paused or not. It
//! is a request, not a resource: the operator reads it and answers
//! on the Service (Event and status.rollout); it has no status of its own. Whoever may
//! create RolloutApprovals may approve without being able to edit the Service.

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Continue (or roll back) the named Service's deployment past one lifecycle hook.
// clippy reads each printcolumn's arguments as attributes of the struct, and two columns
// of one type as a duplicate.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "ecs.operator.dev",
    version = "v1alpha1",
    kind = "RolloutApproval",
    namespaced,
    shortname = "ecsapproval",
    category = "ecs",
    doc = "Continues or rolls back a Service's ECS deployment held by a PAUSE lifecycle hook, or aborts it at any stage; immutable, and used at most once.",
    printcolumn(
        name = "Service",
        type_ = "string",
        json_path = ".spec.service",
        description = "The Service whose deployment this answers"
    ),
    printcolumn(
        name = "Action",
        type_ = "string",
        json_path = ".spec.action",
        description = "Continue, Rollback or Abort"
    ),
    printcolumn(
        name = "Approved By",
        type_ = "string",
        json_path = ".spec.approvedBy",
        description = "Who created it, as the API server authenticated them"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[x_kube(validation = Rule::new("self == oldSelf").message("spec is immutable: create a new RolloutApproval instead"))]
#[x_kube(validation = Rule::new(
    "(has(self.action) && self.action == 'Abort') ? !has(self.hookId) : has(self.hookId)"
).message("spec.hookId: Continue and Rollback answer the hook named here; Abort stops the deployment at any stage and names no hook").field_path(".hookId"))]
#[serde(rename_all = "camelCase")]
pub struct RolloutApprovalSpec {
    /// The Service object, in this namespace, whose deployment is held.
    #[schemars(length(min = 1, max = 253))]
    pub service: String,
    /// The ECS service deployment approved, as the Service's
    /// status.rollout.serviceDeploymentArn shows it. A newer deployment of the same
    /// Service is not approved by this.
    #[schemars(length(min = 1, max = 1600))]
    #[schemars(regex(
        pattern = r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:service-deployment/.+"
    ))]
    pub service_deployment_arn: String,
    /// The lifecycle hook answered, as status.rollout.hooks[].hookId shows it: required
    /// for Continue and Rollback, absent for Abort.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 256))]
    pub hook_id: Option<String>,
    /// Continue (the default): the deployment moves on past the hook to its next stage.
    /// Rollback: ECS returns production to the source revision at the hook. Abort: ECS
    /// stops the deployment at whatever stage it is (StopServiceDeployment, ROLLBACK)
    /// and returns to the source revision; it wins over any Continue.
    #[serde(default)]
    pub action: ApprovalAction,
    /// The user creating this approval, exactly as the API server knows them (the
    /// chart's admission policy refuses any other name), recorded in the Service's Event.
    #[schemars(length(min = 1, max = 512))]
    pub approved_by: String,
}

/// What the approval asks ECS to do at the hook.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum ApprovalAction {
    #[default]
    Continue,
    Rollback,
    Abort,
}
