//! Reverification (Clerk's "step-up"): how recently the session must have verified its factors
//! before a sensitive action. Pure, shared by the server helper, `has()` and the browser prompt.

use serde::{Deserialize, Serialize};

/// How long ago the session verified each factor, in whole minutes (Clerk's
/// `factor_verification_age`). On the wire it is Clerk's pair `[first, second]` with `-1` for
/// "never"; here each side is an `Option`. A second factor of `None` means the user has none
/// enabled (the first then stands in for it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "[i64; 2]", into = "[i64; 2]")]
pub struct FactorAges {
    /// Minutes since the first factor (password, code, SSO) was verified.
    pub first: Option<i64>,
    /// Minutes since the second factor was verified; `None` when the user has none.
    pub second: Option<i64>,
}

impl FactorAges {
    /// Nothing verified, no second factor.
    pub const NEVER: Self = Self {
        first: None,
        second: None,
    };
}

impl From<[i64; 2]> for FactorAges {
    fn from([first, second]: [i64; 2]) -> Self {
        let age = |minutes: i64| (minutes >= 0).then_some(minutes);
        Self {
            first: age(first),
            second: age(second),
        }
    }
}

impl From<FactorAges> for [i64; 2] {
    fn from(ages: FactorAges) -> Self {
        [ages.first.unwrap_or(-1), ages.second.unwrap_or(-1)]
    }
}

/// Which factors a reverification asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReverificationLevel {
    /// The first factor (password).
    FirstFactor,
    /// The second factor; the first when the user has none.
    SecondFactor,
    /// Both factors; the first alone when the user has no second factor.
    MultiFactor,
}

/// Clerk's presets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReverificationPreset {
    /// Both factors within 10 minutes.
    StrictMfa,
    /// The second factor within 10 minutes.
    Strict,
    /// The second factor within 60 minutes.
    Moderate,
    /// The second factor within a day.
    Lax,
}

/// A reverification requirement: a preset (`"strict"`) or `{ level, after_minutes }`. On the wire
/// (Clerk's 403 body) a custom one reads `{"level":"first_factor","afterMinutes":1}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum Reverification {
    /// A preset.
    Preset(ReverificationPreset),
    /// A level and how many minutes a verification stays fresh (1 to 99,999).
    Custom {
        /// The factors asked for.
        level: ReverificationLevel,
        /// Minutes a verification stays fresh.
        #[serde(rename = "afterMinutes", alias = "after_minutes")]
        after_minutes: u32,
    },
}

/// Read by hand rather than as an untagged enum, which buffers its input and, in the wasm,
/// carries a second copy of every decoder below it: a string is a preset, a map is custom.
impl<'de> Deserialize<'de> for Reverification {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{Error, IntoDeserializer, MapAccess, Visitor};

        struct Requirement;

        impl<'de> Visitor<'de> for Requirement {
            type Value = Reverification;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a preset name or { level, afterMinutes }")
            }

            fn visit_str<E: Error>(self, preset: &str) -> Result<Reverification, E> {
                let preset = ReverificationPreset::deserialize(preset.into_deserializer())?;
                Ok(Reverification::Preset(preset))
            }

            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Reverification, M::Error> {
                let (mut level, mut after_minutes) = (None, None);
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match key.as_ref() {
                        "level" => level = Some(map.next_value()?),
                        "afterMinutes" | "after_minutes" => after_minutes = Some(map.next_value()?),
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(Reverification::Custom {
                    level: level.ok_or_else(|| M::Error::missing_field("level"))?,
                    after_minutes: after_minutes
                        .ok_or_else(|| M::Error::missing_field("afterMinutes"))?,
                })
            }
        }

        deserializer.deserialize_any(Requirement)
    }
}

impl Default for Reverification {
    /// `strict`, the account page's default.
    fn default() -> Self {
        Self::Preset(ReverificationPreset::Strict)
    }
}

/// The longest a custom reverification may stay fresh (Clerk's bound, exclusive).
pub const REVERIFICATION_MAX_MINUTES: u32 = 99_999;

/// The factors a session must verify again before an action.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FactorsNeeded {
    /// The password.
    pub first: bool,
    /// The authenticator app (or a backup code).
    pub second: bool,
}

impl FactorsNeeded {
    /// Nothing to verify: the action may run.
    pub fn none(self) -> bool {
        !self.first && !self.second
    }
}

impl Reverification {
    /// The level and the minutes, presets resolved.
    pub fn requirement(self) -> (ReverificationLevel, u32) {
        use ReverificationLevel::{MultiFactor, SecondFactor};
        match self {
            Self::Preset(ReverificationPreset::StrictMfa) => (MultiFactor, 10),
            Self::Preset(ReverificationPreset::Strict) => (SecondFactor, 10),
            Self::Preset(ReverificationPreset::Moderate) => (SecondFactor, 60),
            Self::Preset(ReverificationPreset::Lax) => (SecondFactor, 1440),
            Self::Custom {
                level,
                after_minutes,
            } => (level, after_minutes),
        }
    }

    /// Whether a custom value is within Clerk's bounds (presets always are).
    pub fn is_valid(self) -> bool {
        let (_, minutes) = self.requirement();
        (1..REVERIFICATION_MAX_MINUTES).contains(&minutes)
    }

    /// What the session with `ages` must verify again. A factor is fresh iff
    /// `after_minutes > age`; with no ages at all, everything is needed.
    pub fn needed(self, ages: Option<FactorAges>) -> FactorsNeeded {
        let (level, minutes) = self.requirement();
        let ages = ages.unwrap_or(FactorAges::NEVER);
        let stale = |age: Option<i64>| age.is_none_or(|age| i64::from(minutes) <= age);
        let has_second = ages.second.is_some();
        match level {
            ReverificationLevel::FirstFactor => FactorsNeeded {
                first: stale(ages.first),
                second: false,
            },
            ReverificationLevel::SecondFactor if has_second => FactorsNeeded {
                first: false,
                second: stale(ages.second),
            },
            ReverificationLevel::MultiFactor if has_second => FactorsNeeded {
                first: stale(ages.first),
                second: stale(ages.second),
            },
            // No second factor: the first stands in for it.
            ReverificationLevel::SecondFactor | ReverificationLevel::MultiFactor => FactorsNeeded {
                first: stale(ages.first),
                second: false,
            },
        }
    }

    /// Whether the session is fresh enough (Clerk's `has({ reverification })`).
    pub fn is_fresh(self, ages: Option<FactorAges>) -> bool {
        ages.is_some_and(|ages| ages != FactorAges::NEVER) && self.needed(ages).none()
    }
}
