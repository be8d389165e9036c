//! Fault injection for tests of clients (`USER_IMPORT_FAULTS`): answers a fraction of API
//! calls with 429, 500 or 503 before doing anything, drops the answer of job-creating POSTs
//! after the job exists, delays that answer, and makes jobs slow or fail.
//!
//! Every decision is drawn from a seeded splitmix64, one stream per kind of decision, so a
//! seed gives the same faults for the same sequence of calls and jobs: how often a client
//! polls does not change which jobs are slow.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use crate::parse_duration;

/// What `USER_IMPORT_FAULTS` asks for: comma-separated `key=value` pairs.
///
/// | key | value | effect |
/// |---|---|---|
/// | `seed` | u64 (default 1) | the generator's seed |
/// | `429`, `500`, `503` | fraction 0..=1 | of `/api/v2` calls answered with that status first |
/// | `drop` | fraction | of job-creating POSTs whose connection closes after the job is created |
/// | `post_delay` | duration | the answer to a job-creating POST waits this long after the job was created |
/// | `slow` | fraction | of jobs that wait `slow_for` (pending) before they run |
/// | `slow_for` | duration | required with `slow` |
/// | `fail` | fraction | of jobs that end `failed` instead of running |
///
/// Durations as [`parse_duration`] reads them (`800ms`, `2s`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct FaultSpec {
    /// The generator's seed.
    pub seed: u64,
    /// Fractions of `/api/v2` calls answered 429, 500 and 503 before anything is done.
    pub status: [(u16, f64); 3],
    /// Fraction of job-creating POSTs whose answer is dropped (the job exists).
    pub drop: f64,
    /// How long the answer to a job-creating POST waits after the job was created.
    pub post_delay: Duration,
    /// Fraction of jobs that wait [`FaultSpec::slow_for`] before they run.
    pub slow: f64,
    /// How long a slow job waits.
    pub slow_for: Duration,
    /// Fraction of jobs that fail instead of running.
    pub fail: f64,
}

impl FaultSpec {
    /// Reads `seed=7,429=0.1,drop=0.2,post_delay=800ms`. White space around keys and values
    /// is ignored; an empty spec is valid (no fault, a line at start says so).
    ///
    /// # Errors
    ///
    /// A message naming the pair at fault: an unknown or repeated key, a fraction outside
    /// 0..=1, fractions of 429/500/503 adding up to more than 1, a malformed number or
    /// duration, `slow` without `slow_for`.
    pub fn parse(text: &str) -> Result<FaultSpec, String> {
        let mut spec = FaultSpec {
            seed: 1,
            status: [(429, 0.0), (500, 0.0), (503, 0.0)],
            drop: 0.0,
            post_delay: Duration::ZERO,
            slow: 0.0,
            slow_for: Duration::ZERO,
            fail: 0.0,
        };
        let mut seen: Vec<&str> = Vec::new();
        let mut slow_for = None;
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, value)) = pair.split_once('=') else {
                return Err(format!("'{pair}' is not key=value"));
            };
            let (key, value) = (key.trim(), value.trim());
            if seen.contains(&key) {
                return Err(format!("'{key}' is given twice"));
            }
            seen.push(key);
            match key {
                "seed" => {
                    spec.seed = value
                        .parse()
                        .map_err(|_| format!("seed={value}: not an unsigned integer"))?;
                }
                "429" => spec.status[0].1 = fraction(key, value)?,
                "500" => spec.status[1].1 = fraction(key, value)?,
                "503" => spec.status[2].1 = fraction(key, value)?,
                "drop" => spec.drop = fraction(key, value)?,
                "slow" => spec.slow = fraction(key, value)?,
                "fail" => spec.fail = fraction(key, value)?,
                "post_delay" => spec.post_delay = duration(key, value)?,
                "slow_for" => slow_for = Some(duration(key, value)?),
                _ => {
                    return Err(format!(
                        "unknown fault '{key}' (known: seed, 429, 500, 503, drop, post_delay, slow, slow_for, fail)"
                    ));
                }
            }
        }
        let statuses: f64 = spec.status.iter().map(|(_, p)| p).sum();
        if statuses > 1.0 {
            return Err(format!(
                "429, 500 and 503 add up to {statuses}: at most 1 (each call gets one of them or none)"
            ));
        }
        match (spec.slow > 0.0, slow_for) {
            (true, None) => return Err("slow=P needs slow_for=DURATION".to_owned()),
            (_, Some(d)) => spec.slow_for = d,
            (false, None) => {}
        }
        Ok(spec)
    }
}

fn fraction(key: &str, value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("{key}={value}: a fraction from 0 to 1 is expected")),
    }
}

fn duration(key: &str, value: &str) -> Result<Duration, String> {
    parse_duration(value).map_err(|e| format!("{key}={value}: {e}"))
}

/// Names the active faults, for the line `serve` prints at start.
impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seed={}", self.seed)?;
        for (status, p) in self.status {
            if p > 0.0 {
                write!(f, ", {status}={p}")?;
            }
        }
        if self.drop > 0.0 {
            write!(f, ", drop={}", self.drop)?;
        }
        if !self.post_delay.is_zero() {
            write!(f, ", post_delay={}ms", self.post_delay.as_millis())?;
        }
        if self.slow > 0.0 {
            write!(
                f,
                ", slow={} for {}ms",
                self.slow,
                self.slow_for.as_millis()
            )?;
        }
        if self.fail > 0.0 {
            write!(f, ", fail={}", self.fail)?;
        }
        Ok(())
    }
}

/// splitmix64: tiny, seedable, and good enough to spread faults; nothing here is a secret.
#[derive(Debug)]
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), from the top 53 bits.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What happens to one job because of the faults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobFault {
    /// How long the job stays pending before it runs.
    pub hold: Duration,
    /// The job fails instead of running.
    pub fail: bool,
}

/// What happens to the answer of a POST that created a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerFault {
    /// Sent this long after the job was created.
    pub delay: Duration,
    /// Not sent at all: the connection closes before any byte of it.
    pub drop: bool,
}

/// The faults in force and their generators.
#[derive(Debug)]
pub struct Faults {
    spec: FaultSpec,
    calls: Mutex<SplitMix>,
    answers: Mutex<SplitMix>,
    jobs: Mutex<SplitMix>,
}

fn draw<T>(g: &Mutex<SplitMix>, f: impl FnOnce(&mut SplitMix) -> T) -> T {
    f(&mut g.lock().unwrap_or_else(|e| e.into_inner()))
}

impl Faults {
    pub fn new(spec: FaultSpec) -> Faults {
        // Independent streams: the seed, then each stream's seed drawn from it.
        let mut root = SplitMix(spec.seed);
        Faults {
            spec,
            calls: Mutex::new(SplitMix(root.next())),
            answers: Mutex::new(SplitMix(root.next())),
            jobs: Mutex::new(SplitMix(root.next())),
        }
    }

    /// The status an API call is answered with instead of being handled, if any.
    pub fn call(&self) -> Option<u16> {
        if self.spec.status.iter().all(|(_, p)| *p == 0.0) {
            return None;
        }
        let u = draw(&self.calls, SplitMix::unit);
        let mut edge = 0.0;
        for (status, p) in self.spec.status {
            edge += p;
            if u < edge {
                return Some(status);
            }
        }
        None
    }

    /// The fate of the answer to a POST that created a job.
    pub fn answer(&self) -> AnswerFault {
        let drop = self.spec.drop > 0.0 && draw(&self.answers, SplitMix::unit) < self.spec.drop;
        AnswerFault {
            delay: self.spec.post_delay,
            drop,
        }
    }

    /// The fate of a job just created.
    pub fn job(&self) -> JobFault {
        let (slow, fail) = draw(&self.jobs, |g| (g.unit(), g.unit()));
        JobFault {
            hold: if slow < self.spec.slow {
                self.spec.slow_for
            } else {
                Duration::ZERO
            },
            fail: fail < self.spec.fail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_spec_reads_back() {
        let s = FaultSpec::parse(
            " seed=11, 429=0.05,500=0.03,503=0.03,drop=0.15,slow=0.2,slow_for=300ms,fail=0.1,post_delay=2s",
        )
        .unwrap();
        assert_eq!(s.seed, 11);
        assert_eq!(s.status, [(429, 0.05), (500, 0.03), (503, 0.03)]);
        assert_eq!((s.drop, s.slow, s.fail), (0.15, 0.2, 0.1));
        assert_eq!(s.slow_for, Duration::from_millis(300));
        assert_eq!(s.post_delay, Duration::from_secs(2));
        assert_eq!(
            s.to_string(),
            "seed=11, 429=0.05, 500=0.03, 503=0.03, drop=0.15, post_delay=2000ms, slow=0.2 for 300ms, fail=0.1"
        );
        let empty = FaultSpec::parse("").unwrap();
        assert_eq!(empty.seed, 1);
        assert_eq!(empty.to_string(), "seed=1");
    }

    #[test]
    fn bad_specs_name_what_is_wrong() {
        let err = |s: &str| FaultSpec::parse(s).unwrap_err();
        assert!(err("drop=1.5").contains("drop=1.5"));
        assert!(err("drop=-0.1").contains("fraction"));
        assert!(err("drop=NaN").contains("fraction"));
        assert!(err("drop").contains("key=value"));
        assert!(err("dorp=0.1").contains("unknown fault 'dorp'"));
        assert!(err("seed=1,seed=2").contains("twice"));
        assert!(err("seed=-1").contains("seed"));
        assert!(err("429=0.5,500=0.4,503=0.2").contains("at most 1"));
        assert!(err("slow=0.5").contains("slow_for"));
        assert!(err("post_delay=fast").contains("post_delay=fast"));
        assert!(err("slow=0.1,slow_for=1x").contains("unit"));
    }

    #[test]
    fn a_seed_gives_the_same_faults_and_rates_hold() {
        let spec = FaultSpec::parse(
            "seed=7,429=0.1,500=0.2,503=0.3,drop=0.25,slow=0.5,slow_for=1s,fail=0.2",
        )
        .unwrap();
        let (a, b) = (Faults::new(spec), Faults::new(spec));
        let n = 20_000;
        let calls: Vec<Option<u16>> = (0..n).map(|_| a.call()).collect();
        assert_eq!(calls, (0..n).map(|_| b.call()).collect::<Vec<_>>());
        let count = |s| calls.iter().filter(|c| **c == s).count() as f64 / f64::from(n);
        assert!((count(Some(429)) - 0.1).abs() < 0.02);
        assert!((count(Some(500)) - 0.2).abs() < 0.02);
        assert!((count(Some(503)) - 0.3).abs() < 0.02);
        assert!((count(None) - 0.4).abs() < 0.02);
        // The job stream does not depend on how many calls were drawn.
        let c = Faults::new(spec);
        let jobs_a: Vec<JobFault> = (0..1000).map(|_| a.job()).collect();
        let jobs_c: Vec<JobFault> = (0..1000).map(|_| c.job()).collect();
        assert_eq!(jobs_a, jobs_c);
        let slow = jobs_a.iter().filter(|j| !j.hold.is_zero()).count();
        let failed = jobs_a.iter().filter(|j| j.fail).count();
        assert!((400..600).contains(&slow), "{slow}");
        assert!((130..270).contains(&failed), "{failed}");
        let dropped = (0..1000).filter(|_| a.answer().drop).count();
        assert!((180..320).contains(&dropped), "{dropped}");
        // Another seed, other faults.
        let other = Faults::new(FaultSpec { seed: 8, ..spec });
        assert_ne!(
            calls[..64],
            (0..64).map(|_| other.call()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn no_fault_is_drawn_at_zero_rates() {
        let f = Faults::new(FaultSpec::parse("seed=3").unwrap());
        assert!((0..1000).all(|_| f.call().is_none()));
        assert!((0..1000).all(|_| f.job() == JobFault::default()));
        assert!((0..1000).all(|_| !f.answer().drop));
        let all = Faults::new(FaultSpec::parse("503=1,drop=1,fail=1").unwrap());
        assert!((0..1000).all(|_| all.call() == Some(503)));
        assert!((0..1000).all(|_| all.answer().drop && all.job().fail));
    }
}
