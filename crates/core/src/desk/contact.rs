//! The person at the desk: a pseudonymous record (coded facts only) with, only when the
//! person consents, a name and contact details kept apart. Consent is recorded per purpose,
//! with who recorded it and when; the latest record of a purpose is what holds.

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};

use super::DeskError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
    /// Not stated, or neither: the observatory shows it as its own column.
    NotStated,
}

impl Sex {
    pub const ALL: [Sex; 3] = [Sex::Female, Sex::Male, Sex::NotStated];

    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Female => "female",
            Sex::Male => "male",
            Sex::NotStated => "not_stated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Age bands, as the desk records them when the year of birth is not given and as the
/// observatory breaks figures down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AgeBand {
    #[serde(rename = "0-17")]
    Under18,
    #[serde(rename = "18-24")]
    From18To24,
    #[serde(rename = "25-34")]
    From25To34,
    #[serde(rename = "35-44")]
    From35To44,
    #[serde(rename = "45-54")]
    From45To54,
    #[serde(rename = "55-64")]
    From55To64,
    #[serde(rename = "65+")]
    From65,
}

impl AgeBand {
    pub const ALL: [AgeBand; 7] = [
        AgeBand::Under18,
        AgeBand::From18To24,
        AgeBand::From25To34,
        AgeBand::From35To44,
        AgeBand::From45To54,
        AgeBand::From55To64,
        AgeBand::From65,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AgeBand::Under18 => "0-17",
            AgeBand::From18To24 => "18-24",
            AgeBand::From25To34 => "25-34",
            AgeBand::From35To44 => "35-44",
            AgeBand::From45To54 => "45-54",
            AgeBand::From55To64 => "55-64",
            AgeBand::From65 => "65+",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn of_age(age: i32) -> Self {
        match age {
            ..18 => AgeBand::Under18,
            18..25 => AgeBand::From18To24,
            25..35 => AgeBand::From25To34,
            35..45 => AgeBand::From35To44,
            45..55 => AgeBand::From45To54,
            55..65 => AgeBand::From55To64,
            _ => AgeBand::From65,
        }
    }

    /// The band of someone born in `birth_year`, at the end of `year` (birthdays unknown).
    pub fn of_birth_year(birth_year: i32, year: i32) -> Self {
        Self::of_age(year - birth_year)
    }
}

/// What a person consents to, each recorded and withdrawn on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Sharing with another organisation of the network to refer the person there.
    Referral,
    /// Being contacted by phone or e-mail.
    Contact,
    /// Counting in anonymous statistics.
    Statistics,
}

impl Purpose {
    pub const ALL: [Purpose; 3] = [Purpose::Referral, Purpose::Contact, Purpose::Statistics];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Referral => "referral",
            Purpose::Contact => "contact",
            Purpose::Statistics => "statistics",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// One consent record: given or withdrawn, when, by whose hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecord {
    pub purpose: Purpose,
    pub given: bool,
    pub at: DateTime<Utc>,
    /// The account that recorded it.
    pub recorded_by: String,
}

/// Which consents hold now: the latest record of each purpose.
pub fn consent_holds(records: &[ConsentRecord], purpose: Purpose) -> bool {
    records
        .iter()
        .filter(|r| r.purpose == purpose)
        .max_by_key(|r| r.at)
        .is_some_and(|r| r.given)
}

/// Name and contact details: kept only with consent, removed on erasure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalDetails {
    pub given_name: String,
    pub family_name: String,
    pub phone: String,
    pub email: String,
}

impl PersonalDetails {
    pub fn is_empty(&self) -> bool {
        self.given_name.is_empty()
            && self.family_name.is_empty()
            && self.phone.is_empty()
            && self.email.is_empty()
    }

    pub fn full_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
            .trim()
            .to_owned()
    }
}

/// The coded facts about a person: what statistics count and what survives erasure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactFacts {
    pub birth_year: Option<i32>,
    /// Given when the year of birth is not; derived from it otherwise.
    pub age_band: Option<AgeBand>,
    pub sex: Sex,
    /// ISTAT country code of citizenship (`"201"`), when known.
    pub citizenship: Option<String>,
    /// ISTAT code of the comune of residence or domicile.
    pub comune_code: Option<String>,
    /// Languages spoken, ISO 639-1 codes.
    pub languages: Vec<String>,
}

/// A person recorded by an organisation's desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: String,
    /// The organisation whose desk keeps the record; only it finds the person again.
    pub organization_id: String,
    /// A short code the operator can read out or write on a card (`"K7M-4QX"`).
    pub reference: String,
    pub facts: ContactFacts,
    /// Empty when there is no consent to keep them, or after erasure.
    pub personal: PersonalDetails,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    /// The last time anything was recorded about the person (the retention clock).
    pub last_activity_at: DateTime<Utc>,
    /// Set when the person's personal fields were erased.
    pub erased_at: Option<DateTime<Utc>>,
}

impl ContactFacts {
    /// Checks the facts an operator entered; `year` is the current year.
    pub fn validate(&self, year: i32) -> Result<(), DeskError> {
        if let Some(birth_year) = self.birth_year
            && !(year - 120..=year).contains(&birth_year)
        {
            return Err(DeskError::invalid(
                "birth_year",
                format!(
                    "the year of birth must be between {} and {year}",
                    year - 120
                ),
            ));
        }
        if let Some(code) = &self.citizenship
            && crate::territory::countries::country(code).is_none()
        {
            return Err(DeskError::invalid(
                "citizenship",
                format!("{code} is not an ISTAT country code"),
            ));
        }
        if let Some(lang) = self.languages.iter().find(|l| !is_language_code(l)) {
            return Err(DeskError::invalid(
                "languages",
                format!("{lang} is not a two- or three-letter language code"),
            ));
        }
        Ok(())
    }

    /// The age band, from the year of birth when there is one.
    pub fn age_band_in(&self, year: i32) -> Option<AgeBand> {
        self.birth_year
            .map(|b| AgeBand::of_birth_year(b, year))
            .or(self.age_band)
    }
}

impl Contact {
    pub fn age_band_now(&self, now: DateTime<Utc>) -> Option<AgeBand> {
        self.facts.age_band_in(now.year())
    }
}

fn is_language_code(code: &str) -> bool {
    (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase())
}

/// A short, unambiguous reference for a contact, from random bytes (no 0/O, 1/I/L).
pub fn reference_code(random: [u8; 6]) -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let chars: String = random
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    format!("{}-{}", &chars[..3], &chars[3..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn facts() -> ContactFacts {
        ContactFacts {
            birth_year: Some(1990),
            age_band: None,
            sex: Sex::Female,
            citizenship: Some("201".into()),
            comune_code: Some("058091".into()),
            languages: vec!["sq".into(), "it".into()],
        }
    }

    #[test]
    fn the_latest_record_of_a_purpose_decides() {
        let record = |purpose, given, when| ConsentRecord {
            purpose,
            given,
            at: at(when),
            recorded_by: "op".into(),
        };
        let records = vec![
            record(Purpose::Referral, true, "2026-01-01T10:00:00Z"),
            record(Purpose::Contact, true, "2026-01-01T10:00:00Z"),
            record(Purpose::Referral, false, "2026-02-01T10:00:00Z"),
        ];
        assert!(
            !consent_holds(&records, Purpose::Referral),
            "withdrawn later"
        );
        assert!(consent_holds(&records, Purpose::Contact));
        assert!(!consent_holds(&records, Purpose::Statistics), "never given");
    }

    #[test]
    fn facts_are_checked_and_age_bands_derived() {
        assert_eq!(facts().validate(2026), Ok(()));
        let mut f = facts();
        f.birth_year = Some(2030);
        assert_eq!(f.validate(2026).unwrap_err().field(), Some("birth_year"));
        let mut f = facts();
        f.citizenship = Some("AL".into());
        assert_eq!(f.validate(2026).unwrap_err().field(), Some("citizenship"));
        let mut f = facts();
        f.languages = vec!["Albanian".into()];
        assert_eq!(f.validate(2026).unwrap_err().field(), Some("languages"));
        assert_eq!(facts().age_band_in(2026), Some(AgeBand::From35To44));
        let mut f = facts();
        f.birth_year = None;
        f.age_band = Some(AgeBand::From18To24);
        assert_eq!(f.age_band_in(2026), Some(AgeBand::From18To24));
        assert_eq!(AgeBand::of_age(17), AgeBand::Under18);
        assert_eq!(AgeBand::of_age(65), AgeBand::From65);
        for band in AgeBand::ALL {
            assert_eq!(AgeBand::parse(band.as_str()), Some(band));
        }
    }

    #[test]
    fn reference_codes_avoid_lookalike_characters() {
        let code = reference_code([0, 1, 2, 29, 30, 255]);
        assert_eq!(code.len(), 7);
        assert!(!code.contains(['0', 'O', '1', 'I', 'L']));
        assert_eq!(reference_code([0; 6]), "222-222");
    }
}
