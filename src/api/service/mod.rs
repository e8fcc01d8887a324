//! The `Service` kind: an ECS service.

mod settings;

pub use settings::*;
