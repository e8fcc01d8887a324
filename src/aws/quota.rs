//! AWS request quotas: each action group's token bucket, and the bucket itself. Which
//! group an operation belongs to is in the operation table (`operations`). The
//! operator's client-side limiter and the test proxy's enforcement
//! (`tools/aws-fault-proxy`) share both.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// Operations AWS throttles together: one token bucket per group, account and region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ActionGroup {
    ClusterRead,
    ClusterWrite,
    ServiceRead,
    ServiceWrite,
    TaskDefinitionRead,
    TaskDefinitionWrite,
    ClusterResourceRead,
    ClusterResourceWrite,
    Tagging,
    ScalingRead,
    ScalingWrite,
    SchedulerSchedule,
    SchedulerGroup,
}

/// A token bucket's size (the burst) and refill rate (the sustained rate).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Quota {
    pub burst: u32,
    pub per_second: f64,
}

impl ActionGroup {
    pub const ALL: [ActionGroup; 13] = [
        Self::ClusterRead,
        Self::ClusterWrite,
        Self::ServiceRead,
        Self::ServiceWrite,
        Self::TaskDefinitionRead,
        Self::TaskDefinitionWrite,
        Self::ClusterResourceRead,
        Self::ClusterResourceWrite,
        Self::Tagging,
        Self::ScalingRead,
        Self::ScalingWrite,
        Self::SchedulerSchedule,
        Self::SchedulerGroup,
    ];

    /// The name used by flags, Helm values and metric labels.
    pub fn name(self) -> &'static str {
        match self {
            Self::ClusterRead => "cluster-read",
            Self::ClusterWrite => "cluster-write",
            Self::ServiceRead => "service-read",
            Self::ServiceWrite => "service-write",
            Self::TaskDefinitionRead => "task-definition-read",
            Self::TaskDefinitionWrite => "task-definition-write",
            Self::ClusterResourceRead => "cluster-resource-read",
            Self::ClusterResourceWrite => "cluster-resource-write",
            Self::Tagging => "tagging",
            Self::ScalingRead => "scaling-read",
            Self::ScalingWrite => "scaling-write",
            Self::SchedulerSchedule => "scheduler-schedule",
            Self::SchedulerGroup => "scheduler-group",
        }
    }

    /// The default bucket. ECS: the per-account, per-Region table in the ECS API
    /// Reference, "Request throttling for the Amazon ECS API" (cluster, service and task
    /// definition read and modify actions, tag modify actions, cluster resource read
    /// actions such as DescribeTasks and ListTasks). RunTask and StopTask are cluster
    /// resource modify actions; ECS publishes their bucket in the same table, but this
    /// build could not check the figures against it, so theirs is the service-write
    /// bucket, a conservative reading. Application Auto Scaling
    /// publishes no per-action buckets, so its two are a conservative guess. EventBridge
    /// Scheduler limits each action per second (Scheduler User Guide, "Quotas for Amazon
    /// EventBridge Scheduler"): the schedule actions at 50 or more depending on region and
    /// date (the lowest published figure is used), the schedule group actions and
    /// ListTagsForResource at 10. Accounts with raised quotas override them with
    /// `--aws-rate-limit`.
    pub fn default_quota(self) -> Quota {
        let (burst, per_second) = match self {
            Self::ClusterRead => (50, 20.0),
            Self::ClusterWrite => (20, 1.0),
            Self::ServiceRead => (100, 20.0),
            Self::ServiceWrite => (50, 5.0),
            Self::TaskDefinitionRead => (50, 20.0),
            Self::TaskDefinitionWrite => (20, 1.0),
            Self::ClusterResourceRead => (100, 20.0),
            Self::ClusterResourceWrite => (50, 5.0),
            Self::Tagging => (20, 10.0),
            Self::ScalingRead => (40, 10.0),
            Self::ScalingWrite => (20, 5.0),
            Self::SchedulerSchedule => (50, 50.0),
            Self::SchedulerGroup => (10, 10.0),
        };
        Quota { burst, per_second }
    }
}

impl fmt::Display for ActionGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Every group's quota: the defaults with any overrides applied.
#[derive(Clone, Debug, PartialEq)]
pub struct Quotas(BTreeMap<ActionGroup, Quota>);

impl Default for Quotas {
    fn default() -> Self {
        Self(
            ActionGroup::ALL
                .into_iter()
                .map(|g| (g, g.default_quota()))
                .collect(),
        )
    }
}

impl Quotas {
    pub fn get(&self, group: ActionGroup) -> Quota {
        self.0[&group]
    }

    /// Applies overrides such as `service-write=100:10` (burst 100, 10 per second);
    /// `all=` sets every group.
    pub fn with_overrides(mut self, overrides: &[QuotaOverride]) -> Self {
        for o in overrides {
            match o.group {
                Some(group) => {
                    self.0.insert(group, o.quota);
                }
                None => self.0.values_mut().for_each(|q| *q = o.quota),
            }
        }
        self
    }
}

/// One `GROUP=BURST:PER_SECOND` setting; GROUP `all` means every group.
#[derive(Clone, Debug, PartialEq)]
pub struct QuotaOverride {
    pub group: Option<ActionGroup>,
    pub quota: Quota,
}

impl FromStr for QuotaOverride {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let usage = || {
            let groups: Vec<&str> = ActionGroup::ALL.iter().map(|g| g.name()).collect();
            format!(
                "{text:?} is not GROUP=BURST:PER_SECOND (for example service-write=50:5); GROUP is all or one of {}",
                groups.join(", ")
            )
        };
        let (name, numbers) = text.trim().split_once('=').ok_or_else(usage)?;
        let group = match name {
            "all" => None,
            _ => Some(
                *ActionGroup::ALL
                    .iter()
                    .find(|g| g.name() == name)
                    .ok_or_else(usage)?,
            ),
        };
        let (burst, per_second) = numbers.split_once(':').ok_or_else(usage)?;
        let burst: u32 = burst.parse().map_err(|_| usage())?;
        let per_second: f64 = per_second.parse().map_err(|_| usage())?;
        if burst == 0 || !per_second.is_finite() || per_second <= 0.0 {
            return Err(format!(
                "{text:?}: the burst and the rate must be above zero"
            ));
        }
        Ok(Self {
            group,
            quota: Quota { burst, per_second },
        })
    }
}

/// A reserved token's place in its bucket's queue: it is covered once the bucket has
/// been supplied this many tokens in all. How long that takes is worked out when asked,
/// at the rate of the moment, so a queue reserved while a throttle held the rate down
/// moves faster as the rate recovers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ticket(f64);

/// A token bucket that refills continuously at `rate` tokens per second up to its burst.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    capacity: f64,
    rate: f64,
    tokens: f64,
    /// Every token the bucket has held, the first burst included.
    supplied: f64,
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket, as AWS starts an account.
    pub fn full(quota: Quota, now: Instant) -> Self {
        Self {
            capacity: f64::from(quota.burst),
            rate: quota.per_second,
            tokens: f64::from(quota.burst),
            supplied: f64::from(quota.burst),
            updated: now,
        }
    }

    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Refills at `rate` from `now` on, for callers already queued as well as later
    /// ones: a queued caller's wait is its ticket's distance at the rate then.
    pub fn set_rate(&mut self, rate: f64, now: Instant) {
        self.refill(now);
        self.rate = rate;
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        let added = (elapsed * self.rate)
            .min(self.capacity - self.tokens)
            .max(0.0);
        self.tokens += added;
        self.supplied += added;
        self.updated = now;
    }

    /// Takes a token if one is there, as AWS does: a request without one is throttled.
    pub fn try_take(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// How long a caller reserving now would wait: the debt of the callers queued
    /// before it, and the refill of the token it needs.
    pub fn backlog(&mut self, now: Instant) -> Duration {
        self.refill(now);
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - self.tokens) / self.rate)
        }
    }

    /// Reserves the next token, going into debt if need be, and returns how long the
    /// caller must wait for it at the present rate. Callers queue in the order they
    /// reserve.
    pub fn reserve(&mut self, now: Instant) -> Duration {
        let ticket = self.ticket(now);
        Duration::from_secs_f64(self.owed(ticket, now) / self.rate)
    }

    /// Reserves the next token, going into debt if need be, and returns its place.
    pub fn ticket(&mut self, now: Instant) -> Ticket {
        self.refill(now);
        self.tokens -= 1.0;
        Ticket(self.supplied + (-self.tokens).max(0.0))
    }

    /// How many tokens the bucket must still be supplied before `ticket` is covered.
    pub fn owed(&mut self, ticket: Ticket, now: Instant) -> f64 {
        self.refill(now);
        (ticket.0 - self.supplied).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queued_ticket_moves_at_the_rate_of_the_moment() {
        let start = Instant::now();
        let quota = Quota {
            burst: 1,
            per_second: 2.0,
        };
        let mut bucket = TokenBucket::full(quota, start);
        let burst = bucket.ticket(start);
        assert_eq!(bucket.owed(burst, start), 0.0, "the burst is covered");
        let tickets: Vec<Ticket> = (0..4).map(|_| bucket.ticket(start)).collect();
        let owed: Vec<f64> = tickets.iter().map(|t| bucket.owed(*t, start)).collect();
        assert_eq!(owed, [1.0, 2.0, 3.0, 4.0]);
        bucket.set_rate(0.5, start);
        let one_second = start + Duration::from_secs(1);
        assert_eq!(
            bucket.owed(tickets[3], one_second),
            3.5,
            "slowed to 0.5 a second"
        );
        bucket.set_rate(2.0, one_second);
        let two_seconds = start + Duration::from_secs(2);
        assert_eq!(bucket.owed(tickets[0], two_seconds), 0.0);
        assert_eq!(
            bucket.owed(tickets[3], two_seconds),
            1.5,
            "the same queue, at full rate again"
        );
        assert_eq!(
            bucket.reserve(two_seconds),
            Duration::from_millis(1250),
            "a newcomer queues behind the tickets"
        );
    }

    #[test]
    fn every_group_throttles_some_operation() {
        use crate::aws::Operation;
        for group in ActionGroup::ALL {
            assert!(
                Operation::ALL.iter().any(|op| op.group() == group),
                "{group} has no operation: remove it, or give an operation that group"
            );
        }
    }

    /// The flag's help and the chart list the groups by hand: they must name every one.
    #[test]
    fn the_flag_and_the_chart_name_every_group() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let read = |path: &str| std::fs::read_to_string(root.join(path)).unwrap();
        let schema: serde_json::Value =
            serde_json::from_str(&read("charts/ecs-operator/values.schema.json")).unwrap();
        let listed =
            &schema["properties"]["aws"]["properties"]["rateLimits"]["propertyNames"]["enum"];
        let mut expected = vec!["all".to_string()];
        expected.extend(ActionGroup::ALL.iter().map(|g| g.name().to_string()));
        assert_eq!(*listed, serde_json::json!(expected), "values.schema.json");
        let values = read("charts/ecs-operator/values.yaml").replace("\n  #", "");
        let help = read("src/cli.rs").replace("\n    ///", "");
        for group in ActionGroup::ALL {
            assert!(values.contains(group.name()), "values.yaml lacks {group}");
            assert!(
                help.contains(group.name()),
                "--aws-rate-limit's help lacks {group}"
            );
        }
    }

    #[test]
    fn overrides_set_one_group_or_all() {
        let one: QuotaOverride = "service-write=100:10".parse().unwrap();
        let all: QuotaOverride = "all=1000:500.5".parse().unwrap();
        let quotas = Quotas::default().with_overrides(std::slice::from_ref(&one));
        assert_eq!(
            quotas.get(ActionGroup::ServiceWrite),
            Quota {
                burst: 100,
                per_second: 10.0
            }
        );
        assert_eq!(
            quotas.get(ActionGroup::ServiceRead),
            ActionGroup::ServiceRead.default_quota()
        );
        let quotas = Quotas::default().with_overrides(&[all, one]);
        assert_eq!(quotas.get(ActionGroup::ClusterRead).burst, 1000);
        assert_eq!(quotas.get(ActionGroup::ServiceWrite).burst, 100);
    }

    #[test]
    fn bad_overrides_say_what_is_expected() {
        for bad in [
            "service-write",
            "services=1:1",
            "service-write=1",
            "service-write=0:1",
            "service-write=1:-2",
            "service-write=a:b",
        ] {
            let error = bad.parse::<QuotaOverride>().unwrap_err();
            assert!(error.contains(bad), "{error}");
        }
    }

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::full(
            Quota {
                burst: 3,
                per_second: 2.0,
            },
            start,
        );
        assert!((0..3).all(|_| bucket.try_take(start)));
        assert!(!bucket.try_take(start));
        assert!(!bucket.try_take(start + Duration::from_millis(400)));
        assert!(bucket.try_take(start + Duration::from_millis(500)));
        // Refill never exceeds the burst.
        let later = start + Duration::from_secs(60);
        assert_eq!((0..10).filter(|_| bucket.try_take(later)).count(), 3);
    }

    #[test]
    fn reservations_queue_callers_at_the_refill_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::full(
            Quota {
                burst: 1,
                per_second: 4.0,
            },
            start,
        );
        let waits: Vec<Duration> = (0..4).map(|_| bucket.reserve(start)).collect();
        assert_eq!(
            waits,
            [0, 250, 500, 750].map(Duration::from_millis).to_vec()
        );
    }
}
