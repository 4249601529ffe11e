//! What the index, its collector and its facet tables agree on: the fast fields' names, the
//! packed per-document flags ([`Meta`]), the stored values' separators. A module of its own
//! so that those who read the index and the index itself do not import each other.

use crocevia_core::service_doc::ServiceDoc;

/// Separates the parts of a stored text value: `language`, `name`, `description`.
pub(crate) const UNIT_SEPARATOR: char = '\u{1F}';

/// Fast-field names the collector reads.
pub(crate) mod names {
    pub const CATEGORY_SET: &str = "category_set";
    pub const PLACE_SET: &str = "place_set";
    pub const LANGUAGE_SET: &str = "language_set";
    pub const META: &str = "meta";
    pub const POINT: &str = "point";
    pub const SCHEDULE: &str = "schedule";
}

/// What the collector needs of a document besides its sets, packed into one `u64`: free,
/// accessible, temporarily closed, and the day of the last verification (days from the
/// common era, 0 when never verified).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta(pub u64);

impl Meta {
    const FREE: u64 = 1;
    const ACCESSIBLE: u64 = 2;
    const CLOSED: u64 = 4;
    const DAY_SHIFT: u32 = 3;

    pub(crate) fn of(doc: &ServiceDoc) -> Meta {
        let mut v = 0;
        if doc.free {
            v |= Self::FREE;
        }
        if doc.accessible {
            v |= Self::ACCESSIBLE;
        }
        if doc.status == "temporarily closed" {
            v |= Self::CLOSED;
        }
        if let Some(day) = doc
            .assured_date
            .and_then(|d| u64::try_from(chrono::Datelike::num_days_from_ce(&d)).ok())
        {
            v |= day << Self::DAY_SHIFT;
        }
        Meta(v)
    }

    pub fn free(self) -> bool {
        self.0 & Self::FREE != 0
    }

    pub fn accessible(self) -> bool {
        self.0 & Self::ACCESSIBLE != 0
    }

    pub fn closed(self) -> bool {
        self.0 & Self::CLOSED != 0
    }

    /// Days from the common era of the last verification.
    pub fn assured(self) -> Option<i64> {
        match self.0 >> Self::DAY_SHIFT {
            0 => None,
            day => i64::try_from(day).ok(),
        }
    }
}

/// The value of a facet set with nothing in it (an empty value would not be stored).
pub(crate) const EMPTY_SET: &str = "-";
