//! Finished task runs (a Task's attempts, a ScheduledTask's runs, a Service's pre-deploy
//! task) counted by result and stop code, each run once: when status first shows it
//! finished.

use prometheus_client::encoding::EncodeLabelSet;

use crate::api::task::AttemptStatus;

/// ECS's stop codes (ECS API Reference, Task `stopCode`); anything else counts as `other`.
const STOP_CODES: [&str; 6] = [
    "TaskFailedToStart",
    "EssentialContainerExited",
    "UserInitiated",
    "ServiceSchedulerInitiated",
    "SpotInterruption",
    "TerminationNotice",
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TaskRunLabels {
    pub controller: &'static str,
    /// succeeded or failed.
    pub result: &'static str,
    /// The stop code of the run's first failed task (of its first task when it
    /// succeeded), `none` when it had no task or ECS gave none, `other` when ECS gave
    /// one not listed here.
    pub stop_code: &'static str,
}

/// The runs in `next` that finished since `previous`: a run is known by its number,
/// start and first task, so one seen again is not counted twice.
pub fn newly_finished<'a>(
    previous: &[&AttemptStatus],
    next: &[&'a AttemptStatus],
) -> Vec<&'a AttemptStatus> {
    next.iter()
        .copied()
        .filter(|run| finished(run))
        .filter(|run| {
            !previous
                .iter()
                .any(|before| same_run(before, run) && finished(before))
        })
        .collect()
}

/// The labels a finished run is counted under.
pub fn labels(controller: &'static str, run: &AttemptStatus) -> TaskRunLabels {
    let succeeded = run.result == "Succeeded";
    let telling = if succeeded {
        run.tasks.first()
    } else {
        run.tasks
            .iter()
            .find(|t| {
                t.stop_code.as_deref() != Some("EssentialContainerExited")
                    || t.containers.iter().any(|c| c.exit_code != Some(0))
            })
            .or(run.tasks.first())
    };
    let stop_code = match telling.and_then(|t| t.stop_code.as_deref()) {
        None => "none",
        Some(code) => STOP_CODES
            .iter()
            .find(|known| **known == code)
            .copied()
            .unwrap_or("other"),
    };
    TaskRunLabels {
        controller,
        result: if succeeded { "succeeded" } else { "failed" },
        stop_code,
    }
}

fn finished(run: &AttemptStatus) -> bool {
    run.result == "Succeeded" || run.result == "Failed"
}

fn same_run(a: &AttemptStatus, b: &AttemptStatus) -> bool {
    a.attempt == b.attempt && a.tasks.first().map(|t| &t.arn) == b.tasks.first().map(|t| &t.arn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::service::StoppedContainer;
    use crate::api::task::TaskRunStatus;

    fn run(attempt: i32, result: &str, arn: &str, stop_code: &str, exit: i32) -> AttemptStatus {
        AttemptStatus {
            attempt,
            result: result.into(),
            tasks: vec![TaskRunStatus {
                arn: arn.into(),
                last_status: "STOPPED".into(),
                stop_code: Some(stop_code.into()),
                containers: vec![StoppedContainer {
                    name: "job".into(),
                    exit_code: Some(exit),
                    reason: None,
                }],
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn a_run_counts_once_when_it_first_shows_finished() {
        let running = AttemptStatus {
            result: "Running".into(),
            ..run(1, "", "t1", "EssentialContainerExited", 0)
        };
        let done = run(1, "Succeeded", "t1", "EssentialContainerExited", 0);
        assert_eq!(newly_finished(&[&running], &[&done]), vec![&done]);
        assert_eq!(newly_finished(&[], &[&done]), vec![&done]);
        assert!(
            newly_finished(&[&done], &[&done]).is_empty(),
            "seen finished already"
        );
        assert!(newly_finished(&[], &[&running]).is_empty(), "still running");
    }

    #[test]
    fn another_run_with_the_same_number_is_a_new_run() {
        let old = run(1, "Failed", "t1", "EssentialContainerExited", 3);
        let new = run(1, "Failed", "t2", "EssentialContainerExited", 3);
        assert_eq!(newly_finished(&[&old], &[&new]), vec![&new]);
    }

    #[test]
    fn a_run_is_labelled_by_its_result_and_the_stop_code_that_tells_why() {
        let ok = run(1, "Succeeded", "t1", "EssentialContainerExited", 0);
        assert_eq!(
            labels("task", &ok),
            TaskRunLabels {
                controller: "task",
                result: "succeeded",
                stop_code: "EssentialContainerExited"
            }
        );
        let mut mixed = run(1, "Failed", "t1", "EssentialContainerExited", 0);
        mixed
            .tasks
            .push(run(1, "", "t2", "TaskFailedToStart", 0).tasks.remove(0));
        mixed.tasks[1].containers.clear();
        assert_eq!(labels("task", &mixed).stop_code, "TaskFailedToStart");
        let odd = run(1, "Failed", "t1", "SomethingNew", 1);
        assert_eq!(labels("task", &odd).stop_code, "other");
        let none = AttemptStatus {
            attempt: 1,
            result: "Failed".into(),
            ..Default::default()
        };
        assert_eq!(labels("service", &none).stop_code, "none");
    }
}
