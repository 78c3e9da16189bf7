//! Sizes and durations as people write them: `"25 MiB"`, `"30s"`, `"24h"` (STYLE 10).

use std::time::Duration;

use serde::Deserialize;

/// A size as humans write it: `"25 MiB"`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Size(pub(super) u64);

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<bytesize::ByteSize>()
            .map(|b| Size(b.as_u64()))
            .map_err(|_| serde::de::Error::custom(format!("\"{s}\" is not a size; write it like \"25 MiB\"")))
    }
}

/// A duration as humans write it: `"3s"`, `"24h"`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Human(pub(super) Duration);

impl<'de> Deserialize<'de> for Human {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        humantime::parse_duration(&s).map(Human).map_err(|_| {
            serde::de::Error::custom(format!("\"{s}\" is not a duration; write it like \"30s\" or \"24h\""))
        })
    }
}
