//! Which AWS operation a request is. ECS and Application Auto Scaling speak the JSON
//! protocol and name it in `X-Amz-Target`; EventBridge Scheduler speaks REST-JSON, so its
//! operation is the method and the path (Scheduler API Reference, each action's
//! "Request Syntax").

use hyper::Method;

/// The operation's name as its API reference spells it, or `other`.
pub fn operation(target: Option<&str>, method: &Method, path: &str) -> String {
    if let Some(target) = target {
        return target.rsplit('.').next().unwrap_or(target).to_string();
    }
    scheduler(method, path).unwrap_or("other").to_string()
}

fn scheduler(method: &Method, path: &str) -> Option<&'static str> {
    let mut segments = path.trim_start_matches('/').splitn(2, '/');
    let collection = segments.next()?;
    let named = segments.next().is_some_and(|name| !name.is_empty());
    let operation = match (collection, named, method.as_str()) {
        ("schedules", true, "POST") => "CreateSchedule",
        ("schedules", true, "GET") => "GetSchedule",
        ("schedules", true, "PUT") => "UpdateSchedule",
        ("schedules", true, "DELETE") => "DeleteSchedule",
        ("schedules", false, "GET") => "ListSchedules",
        ("schedule-groups", true, "POST") => "CreateScheduleGroup",
        ("schedule-groups", true, "GET") => "GetScheduleGroup",
        ("schedule-groups", true, "DELETE") => "DeleteScheduleGroup",
        ("schedule-groups", false, "GET") => "ListScheduleGroups",
        ("tags", true, "GET") => "ListTagsForResource",
        ("tags", true, "POST") => "TagResource",
        ("tags", true, "DELETE") => "UntagResource",
        _ => return None,
    };
    Some(operation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_protocol_calls_are_named_by_their_target() {
        let ecs = Some("AmazonEC2ContainerServiceV20141113.DescribeServices");
        assert_eq!(operation(ecs, &Method::POST, "/"), "DescribeServices");
        let scaling = Some("AnyScaleFrontendService.PutScalingPolicy");
        assert_eq!(operation(scaling, &Method::POST, "/"), "PutScalingPolicy");
    }

    #[test]
    fn scheduler_calls_are_named_by_method_and_path() {
        let cases = [
            (Method::POST, "/schedules/nightly", "CreateSchedule"),
            (Method::GET, "/schedules/nightly", "GetSchedule"),
            (Method::PUT, "/schedules/nightly", "UpdateSchedule"),
            (Method::DELETE, "/schedules/nightly", "DeleteSchedule"),
            (Method::GET, "/schedules", "ListSchedules"),
            (Method::GET, "/schedules/", "ListSchedules"),
            (
                Method::POST,
                "/schedule-groups/team-a",
                "CreateScheduleGroup",
            ),
            (Method::GET, "/schedule-groups/team-a", "GetScheduleGroup"),
            (
                Method::DELETE,
                "/schedule-groups/team-a",
                "DeleteScheduleGroup",
            ),
            (Method::GET, "/schedule-groups", "ListScheduleGroups"),
            (
                Method::GET,
                "/tags/arn:aws:scheduler:x",
                "ListTagsForResource",
            ),
        ];
        for (method, path, expected) in cases {
            assert_eq!(operation(None, &method, path), expected, "{method} {path}");
        }
    }

    #[test]
    fn anything_else_is_other() {
        assert_eq!(operation(None, &Method::PATCH, "/schedules/x"), "other");
        assert_eq!(operation(None, &Method::POST, "/"), "other");
        assert_eq!(
            operation(None, &Method::GET, "/schedules/"),
            "ListSchedules"
        );
    }
}
