//! The one clock every "now" comes from. `READINESS_NOW` (RFC 3339) pins it, so runs and
//! tests are reproducible.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

pub const ENV: &str = "READINESS_NOW";

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    fixed: Option<Timestamp>,
}

impl Clock {
    /// Reads `READINESS_NOW`; an unparsable value is an error rather than silently ignored.
    pub fn from_env() -> Result<Self, String> {
        match std::env::var(ENV) {
            Ok(text) if !text.trim().is_empty() => text
                .trim()
                .parse::<Timestamp>()
                .map(Self::fixed)
                .map_err(|e| {
                    format!(
                        "{ENV}={text:?} is not an RFC 3339 timestamp like 2026-11-27T10:00:00Z: {e}"
                    )
                }),
            _ => Ok(Self { fixed: None }),
        }
    }

    pub fn fixed(at: Timestamp) -> Self {
        Self { fixed: Some(at) }
    }

    /// Now, to the second (sign-off files do not need more).
    pub fn now(&self) -> Timestamp {
        let t = self.fixed.unwrap_or_else(Timestamp::now);
        Timestamp::from_second(t.as_second()).unwrap_or(t)
    }

    /// Today's date in UTC.
    pub fn today(&self) -> Date {
        self.now().to_zoned(TimeZone::UTC).date()
    }
}
