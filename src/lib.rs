//! ecs-operator: run AWS ECS clusters, task definitions and services from Kubernetes.

pub mod api;
pub mod aws;
pub mod cli;
pub mod cluster;
pub mod conditions;
pub mod controller;
pub mod leader;
pub mod ownership;
pub mod reconcile;
pub mod service;
pub mod task_definition;
pub mod telemetry;
