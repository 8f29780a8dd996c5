//! The first 80 bits of the time-ordered ids an import gives its new rows
//! (`bellatrix_migrate.ordered_id()`, migration 0008): a UUID version 7 prefix whose timestamp is
//! the import's start, so that the ids of one import, completed by the counter, grow in the order
//! rows are inserted, and those of a later import are greater still.

use std::time::{SystemTime, UNIX_EPOCH};
use uuid::Builder;

/// The prefix `xxxxxxxx-xxxx-7xxx-Vxxx-` of a UUID version 7 for `now` and `random` (its random
/// bits; the part the counter replaces is dropped), as `ordered_id()` concatenates it with a
/// 12-digit hexadecimal counter.
pub fn ordered_prefix(now: SystemTime, random: [u8; 10]) -> String {
    let millis = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let full = Builder::from_unix_timestamp_millis(millis, &random)
        .into_uuid()
        .hyphenated()
        .to_string();
    full[..24].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use uuid::Uuid;

    fn id(prefix: &str, counter: u64) -> Uuid {
        Uuid::parse_str(&format!("{prefix}{counter:012x}")).unwrap()
    }

    #[test]
    fn a_prefix_and_a_counter_make_a_version_7_uuid_of_that_time() {
        let now = UNIX_EPOCH + Duration::from_millis(1_764_601_200_123);
        let prefix = ordered_prefix(now, [0xab; 10]);
        let uuid = id(&prefix, 42);
        assert_eq!(uuid.get_version_num(), 7);
        assert_eq!(uuid.get_variant(), uuid::Variant::RFC4122);
        let (secs, nanos) = uuid.get_timestamp().unwrap().to_unix();
        assert_eq!((secs, nanos / 1_000_000), (1_764_601_200, 123));
        assert!(uuid.to_string().ends_with("00000000002a"));
    }

    #[test]
    fn ids_grow_with_the_counter_and_with_a_later_import() {
        let earlier = ordered_prefix(UNIX_EPOCH + Duration::from_millis(1_000), [0xff; 10]);
        let later = ordered_prefix(UNIX_EPOCH + Duration::from_millis(1_001), [0x00; 10]);
        assert!(id(&earlier, 1) < id(&earlier, 2));
        assert!(id(&earlier, 0xffff_ffff_ffff) < id(&later, 0));
    }
}
