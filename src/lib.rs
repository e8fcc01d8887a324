//! ecs-operator: run AWS ECS clusters, task definitions and services from Kubernetes.
