//! ecs-operator: run AWS ECS clusters, task definitions and services from Kubernetes.

#![forbid(unsafe_code)]

pub mod api;
pub mod aws;
mod capacity_provider;
pub mod cli;
mod cluster;
mod conditions;
pub mod controller;
mod digest;
pub mod kubectl;
pub mod leader;
#[cfg(test)]
mod new_kind_tests;
mod ownership;
mod reconcile;
pub mod scheduled_task;
pub mod service;
#[cfg(test)]
mod shape_tests;
mod sync;
mod task;
mod task_definition;
pub mod telemetry;
mod tenancy;
