//! What the proxy does to each request: the seeded, pure decision, and the counters
//! the test reads back.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use ecs_operator::aws::Operation;
use ecs_operator::aws::quota::{ActionGroup, Quota, Quotas, TokenBucket};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

/// A fault the proxy can inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fault {
    /// HTTP 400 ThrottlingException "Rate exceeded", as AWS answers an empty bucket.
    Throttle,
    /// HTTP 500 with an AWS server error.
    Error,
    /// The connection is reset before any answer; AWS never saw the request.
    Reset,
    /// The request reaches AWS, but its answer is never delivered: the client times out.
    Drop,
}

/// Random faults, as shares of all requests, and added latency. Changeable at run time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RandomFaults {
    /// Share answered with ThrottlingException, as a busy account's bucket would.
    pub throttle_rate: f64,
    pub error_rate: f64,
    pub reset_rate: f64,
    pub drop_rate: f64,
    /// Each request is delayed by a random time up to this.
    pub latency_ms: u64,
    /// Only requests signed for these regions get the random faults (a regional
    /// outage); empty means every region.
    pub regions: Vec<String>,
}

/// Fail the `nth` call (1-based, counted from when the script was given) of `operation`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedFault {
    pub operation: String,
    pub nth: u64,
    pub fault: Fault,
}

impl std::str::FromStr for ScriptedFault {
    type Err = String;

    /// `CreateService#2=drop`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let usage = || format!("{text:?} is not OPERATION#N=FAULT, e.g. CreateService#2=drop");
        let (call, fault) = text.split_once('=').ok_or_else(usage)?;
        let (operation, nth) = call.split_once('#').ok_or_else(usage)?;
        let nth: u64 = nth.parse().map_err(|_| usage())?;
        let fault = serde_json::from_value(serde_json::Value::String(fault.to_string()))
            .map_err(|_| usage())?;
        if nth == 0 || operation.is_empty() {
            return Err(usage());
        }
        Ok(Self {
            operation: operation.to_string(),
            nth,
            fault,
        })
    }
}

/// What the proxy decided for one request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Decision {
    pub fault: Option<Fault>,
    pub delay: Duration,
}

/// Counters by operation and fault, as `GET /__proxy/stats` reports them.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    /// Every request received, by operation.
    pub requests: BTreeMap<String, u64>,
    /// Requests that reached the upstream (dropped answers included), by operation.
    pub forwarded: BTreeMap<String, u64>,
    /// The same, by quota group (operations outside the quota table left out).
    pub forwarded_by_group: BTreeMap<&'static str, u64>,
    /// Injected faults by kind.
    pub faults: BTreeMap<Fault, u64>,
    /// Injected faults by operation.
    pub faulted: BTreeMap<String, u64>,
}

pub struct Injector {
    rng: StdRng,
    random: RandomFaults,
    quotas: Option<Quotas>,
    /// Buckets per account, region and action group, as AWS keeps them.
    buckets: HashMap<(String, String, ActionGroup), TokenBucket>,
    script: Vec<(String, u64, Fault)>,
    pub stats: Stats,
}

impl Injector {
    pub fn new(seed: u64, random: RandomFaults, quotas: Option<Quotas>) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            random,
            quotas,
            buckets: HashMap::new(),
            script: Vec::new(),
            stats: Stats::default(),
        }
    }

    pub fn set_random(&mut self, random: RandomFaults) {
        self.random = random;
    }

    /// Adds scripted faults, counting calls from now.
    pub fn add_script(&mut self, faults: Vec<ScriptedFault>) {
        for f in faults {
            let seen = self.stats.requests.get(&f.operation).copied().unwrap_or(0);
            self.script.push((f.operation, seen + f.nth, f.fault));
        }
    }

    /// The buckets enforced, by group; None when quotas are not enforced.
    pub fn quota_table(&self) -> Option<BTreeMap<&'static str, Quota>> {
        let quotas = self.quotas.as_ref()?;
        Some(
            ActionGroup::ALL
                .into_iter()
                .map(|g| (g.name(), quotas.get(g)))
                .collect(),
        )
    }

    pub fn reset_stats(&mut self) {
        self.stats = Stats::default();
        self.script.clear();
    }

    /// Decides one request's fate. Scripted faults come first, then the account's token
    /// bucket, then the random faults.
    pub fn decide(
        &mut self,
        operation: &str,
        account: &str,
        region: &str,
        now: Instant,
    ) -> Decision {
        let count = {
            let seen = self
                .stats
                .requests
                .entry(operation.to_string())
                .or_insert(0);
            *seen += 1;
            *seen
        };
        let scripted = self
            .script
            .iter()
            .position(|(op, nth, _)| op == operation && *nth == count)
            .map(|i| self.script.remove(i).2);
        let fault = scripted
            .or_else(|| {
                self.throttled(operation, account, region, now)
                    .then_some(Fault::Throttle)
            })
            .or_else(|| self.random_fault(region));
        let delay = match self.random.latency_ms {
            0 => Duration::ZERO,
            max => Duration::from_millis(self.rng.random_range(0..=max)),
        };
        if let Some(fault) = fault {
            *self.stats.faults.entry(fault).or_insert(0) += 1;
            *self.stats.faulted.entry(operation.to_string()).or_insert(0) += 1;
        }
        if !matches!(fault, Some(Fault::Throttle | Fault::Error | Fault::Reset)) {
            *self
                .stats
                .forwarded
                .entry(operation.to_string())
                .or_insert(0) += 1;
            if let Some(group) = Operation::from_name(operation).map(Operation::group) {
                *self
                    .stats
                    .forwarded_by_group
                    .entry(group.name())
                    .or_insert(0) += 1;
            }
        }
        Decision { fault, delay }
    }

    fn throttled(&mut self, operation: &str, account: &str, region: &str, now: Instant) -> bool {
        let (Some(quotas), Some(group)) = (
            &self.quotas,
            Operation::from_name(operation).map(Operation::group),
        ) else {
            return false;
        };
        let quota = quotas.get(group);
        let bucket = self
            .buckets
            .entry((account.to_string(), region.to_string(), group))
            .or_insert_with(|| TokenBucket::full(quota, now));
        !bucket.try_take(now)
    }

    fn random_fault(&mut self, region: &str) -> Option<Fault> {
        let RandomFaults {
            throttle_rate,
            error_rate,
            reset_rate,
            drop_rate,
            ..
        } = self.random;
        let in_scope =
            self.random.regions.is_empty() || self.random.regions.iter().any(|r| r == region);
        if !in_scope || throttle_rate + error_rate + reset_rate + drop_rate <= 0.0 {
            return None;
        }
        let draw: f64 = self.rng.random_range(0.0..1.0);
        if draw < throttle_rate {
            Some(Fault::Throttle)
        } else if draw < throttle_rate + error_rate {
            Some(Fault::Error)
        } else if draw < throttle_rate + error_rate + reset_rate {
            Some(Fault::Reset)
        } else if draw < throttle_rate + error_rate + reset_rate + drop_rate {
            Some(Fault::Drop)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use ecs_operator::aws::quota::QuotaOverride;

    use super::*;

    fn faults_of(injector: &mut Injector, n: usize) -> Vec<Option<Fault>> {
        let now = Instant::now();
        (0..n)
            .map(|_| {
                injector
                    .decide("DescribeServices", "AKID", "us-east-1", now)
                    .fault
            })
            .collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_faults() {
        let random = RandomFaults {
            error_rate: 0.1,
            reset_rate: 0.1,
            drop_rate: 0.1,
            ..Default::default()
        };
        let mut a = Injector::new(7, random.clone(), None);
        let mut b = Injector::new(7, random.clone(), None);
        let mut c = Injector::new(8, random, None);
        let (fa, fb, fc) = (
            faults_of(&mut a, 200),
            faults_of(&mut b, 200),
            faults_of(&mut c, 200),
        );
        assert_eq!(fa, fb);
        assert_ne!(fa, fc);
        let faulted = fa.iter().filter(|f| f.is_some()).count();
        assert!((30..=90).contains(&faulted), "{faulted} of 200 at 30 %");
        for kind in [Fault::Error, Fault::Reset, Fault::Drop] {
            assert!(fa.contains(&Some(kind)), "{kind:?} never drawn");
        }
    }

    #[test]
    fn the_bucket_throttles_past_its_burst_per_account_and_region() {
        let quotas = Quotas::default()
            .with_overrides(&["service-write=2:1".parse::<QuotaOverride>().unwrap()]);
        let mut injector = Injector::new(1, RandomFaults::default(), Some(quotas));
        let now = Instant::now();
        let mut create =
            |account, region| injector.decide("CreateService", account, region, now).fault;
        assert_eq!(create("A", "us-east-1"), None);
        assert_eq!(create("A", "us-east-1"), None);
        assert_eq!(create("A", "us-east-1"), Some(Fault::Throttle));
        assert_eq!(
            create("A", "eu-west-1"),
            None,
            "another region has its own bucket"
        );
        assert_eq!(
            create("B", "us-east-1"),
            None,
            "another account has its own bucket"
        );
        let later = now + Duration::from_secs(1);
        assert_eq!(
            injector
                .decide("CreateService", "A", "us-east-1", later)
                .fault,
            None
        );
        assert_eq!(injector.stats.faults[&Fault::Throttle], 1);
        assert_eq!(injector.stats.forwarded["CreateService"], 5);
        // The benchmark sets calls per group against the table it was held to.
        assert_eq!(injector.stats.forwarded_by_group["service-write"], 5);
        assert_eq!(injector.quota_table().unwrap()["service-write"].burst, 2);
    }

    #[test]
    fn a_scripted_fault_hits_exactly_the_nth_call_from_now() {
        let mut injector = Injector::new(1, RandomFaults::default(), None);
        let now = Instant::now();
        injector.decide("CreateService", "A", "r", now);
        injector.add_script(vec!["CreateService#2=drop".parse().unwrap()]);
        let faults: Vec<_> = (0..3)
            .map(|_| injector.decide("CreateService", "A", "r", now).fault)
            .collect();
        assert_eq!(faults, [None, Some(Fault::Drop), None]);
        assert_eq!(injector.stats.requests["CreateService"], 4);
        // A dropped answer was still forwarded: AWS acted on it.
        assert_eq!(injector.stats.forwarded["CreateService"], 4);
    }

    #[test]
    fn scripts_say_what_they_expect() {
        for bad in [
            "CreateService",
            "CreateService#0=drop",
            "CreateService#1=explode",
            "#1=drop",
        ] {
            let error = bad.parse::<ScriptedFault>().unwrap_err();
            assert!(error.contains("OPERATION#N=FAULT"), "{error}");
        }
    }

    #[test]
    fn latency_stays_within_its_bound() {
        let random = RandomFaults {
            latency_ms: 20,
            ..Default::default()
        };
        let mut injector = Injector::new(3, random, None);
        let now = Instant::now();
        for _ in 0..50 {
            let delay = injector.decide("DescribeServices", "A", "r", now).delay;
            assert!(delay <= Duration::from_millis(20));
        }
    }

    #[test]
    fn random_faults_scoped_to_a_region_leave_the_others_alone() {
        let random = RandomFaults {
            throttle_rate: 0.5,
            error_rate: 0.5,
            regions: vec!["us-west-2".to_string()],
            ..Default::default()
        };
        let mut injector = Injector::new(5, random, None);
        let now = Instant::now();
        for _ in 0..50 {
            let east = injector.decide("DescribeClusters", "A", "us-east-1", now);
            assert_eq!(east.fault, None);
            let west = injector.decide("DescribeClusters", "A", "us-west-2", now);
            assert!(
                matches!(west.fault, Some(Fault::Throttle | Fault::Error)),
                "{west:?}"
            );
        }
    }
}
