//! The orientation desk: contacts (pseudonymous people with consent), their needs, and
//! closed-loop referrals between organisations. Rules only; the store keeps the records and
//! the audit trail, the web crate shows them.

pub mod audit;
pub mod contact;
pub mod referral;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::taxonomy::TermCode;

pub use contact::{
    AgeBand, ConsentRecord, Contact, ContactFacts, PersonalDetails, Purpose, Sex, consent_holds,
};
pub use referral::{
    Deadlines, DeclineReason, Outcome, ReferralAction, ReferralState, Side, TransitionError,
    UnresolvedReason, Urgency,
};

/// A rule of the desk broken by what was asked, with the field it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeskError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// A referral without the person's consent to share, and no coordinator override.
    #[error("the person has not consented to being referred to another organisation")]
    NoReferralConsent,
    #[error(transparent)]
    Transition(#[from] TransitionError),
}

impl DeskError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        DeskError::Invalid {
            field,
            message: message.into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            DeskError::Invalid { .. } => "invalid_field",
            DeskError::NoReferralConsent => "no_referral_consent",
            DeskError::Transition(e) => e.code(),
        }
    }

    pub fn field(&self) -> Option<&'static str> {
        match self {
            DeskError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// A need a person expressed, coded with the needs taxonomy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Need {
    pub id: String,
    pub contact_id: String,
    pub organization_id: String,
    /// What is needed, as a code of the needs taxonomy.
    pub term: TermCode,
    pub urgency: Urgency,
    pub notes: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// What of a person a referral passes to the receiving organisation, chosen by the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SharedField {
    Name,
    Phone,
    Email,
    AgeBand,
    Sex,
    Citizenship,
    Comune,
    Languages,
    NeedNotes,
}

impl SharedField {
    pub const ALL: [SharedField; 9] = [
        SharedField::Name,
        SharedField::Phone,
        SharedField::Email,
        SharedField::AgeBand,
        SharedField::Sex,
        SharedField::Citizenship,
        SharedField::Comune,
        SharedField::Languages,
        SharedField::NeedNotes,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SharedField::Name => "name",
            SharedField::Phone => "phone",
            SharedField::Email => "email",
            SharedField::AgeBand => "age_band",
            SharedField::Sex => "sex",
            SharedField::Citizenship => "citizenship",
            SharedField::Comune => "comune",
            SharedField::Languages => "languages",
            SharedField::NeedNotes => "need_notes",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Personal details, as opposed to coded facts: sharing them needs the contact consent
    /// as well as the referral one.
    pub fn is_personal(self) -> bool {
        matches!(
            self,
            SharedField::Name | SharedField::Phone | SharedField::Email
        )
    }
}

/// A referral of one need of a person to a service of another organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    pub id: String,
    pub contact_id: String,
    pub need_id: String,
    pub from_organization_id: String,
    pub from_account_id: String,
    pub service_id: String,
    /// The organisation that runs the service: its inbox receives the referral.
    pub to_organization_id: String,
    pub state: ReferralState,
    pub shared: Vec<SharedField>,
    /// What the sender tells the receiver (no personal data beyond the shared fields).
    pub message: String,
    pub urgency: Urgency,
    pub sent_at: DateTime<Utc>,
    /// The first answer is due by then; past it, a referral still `sent` expires.
    pub due_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set when a coordinator sent it without the person's referral consent, with why.
    pub consent_override: Option<String>,
}

/// One step of a referral's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralEvent {
    pub referral_id: String,
    pub at: DateTime<Utc>,
    /// The account that acted; `system` for the deadline job.
    pub account_id: String,
    pub side: Side,
    /// `send`, or a [`ReferralAction`] name.
    pub action: String,
    /// The coded reason or outcome.
    pub code: Option<String>,
    pub note: String,
    pub from_state: Option<ReferralState>,
    pub to_state: ReferralState,
}

/// What the receiving organisation sees of the person: only the shared fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedPerson {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub age_band: Option<AgeBand>,
    pub sex: Option<Sex>,
    pub citizenship: Option<String>,
    pub comune_code: Option<String>,
    pub languages: Option<Vec<String>>,
    pub need_notes: Option<String>,
}

impl SharedPerson {
    pub fn of(contact: &Contact, need: &Need, shared: &[SharedField], now: DateTime<Utc>) -> Self {
        let mut view = SharedPerson::default();
        let text = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        for field in shared {
            match field {
                SharedField::Name => view.name = text(&contact.personal.full_name()),
                SharedField::Phone => view.phone = text(&contact.personal.phone),
                SharedField::Email => view.email = text(&contact.personal.email),
                SharedField::AgeBand => view.age_band = contact.age_band_now(now),
                SharedField::Sex => view.sex = Some(contact.facts.sex),
                SharedField::Citizenship => view.citizenship = contact.facts.citizenship.clone(),
                SharedField::Comune => view.comune_code = contact.facts.comune_code.clone(),
                SharedField::Languages => view.languages = Some(contact.facts.languages.clone()),
                SharedField::NeedNotes => view.need_notes = text(&need.notes),
            }
        }
        view
    }
}

/// Checks a referral request against the person's consents. `override_reason` is a
/// coordinator's logged reason to send without the referral consent.
pub fn check_referral_consent(
    consents: &[ConsentRecord],
    shared: &[SharedField],
    override_reason: Option<&str>,
) -> Result<(), DeskError> {
    let overridden = override_reason.is_some_and(|r| !r.trim().is_empty());
    if !consent_holds(consents, Purpose::Referral) && !overridden {
        return Err(DeskError::NoReferralConsent);
    }
    if shared.iter().any(|f| f.is_personal()) && !consent_holds(consents, Purpose::Contact) {
        return Err(DeskError::invalid(
            "shared",
            "name, phone and e-mail can be shared only with the person's consent to be contacted",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn consent(purpose: Purpose, given: bool) -> ConsentRecord {
        ConsentRecord {
            purpose,
            given,
            at: at("2026-01-01T00:00:00Z"),
            recorded_by: "op".into(),
        }
    }

    #[test]
    fn a_referral_needs_consent_unless_a_coordinator_overrides() {
        let none: Vec<ConsentRecord> = vec![];
        assert_eq!(
            check_referral_consent(&none, &[SharedField::Sex], None),
            Err(DeskError::NoReferralConsent)
        );
        assert_eq!(
            check_referral_consent(&none, &[SharedField::Sex], Some("  ")),
            Err(DeskError::NoReferralConsent),
            "an empty reason is no reason"
        );
        assert_eq!(
            check_referral_consent(&none, &[SharedField::Sex], Some("urgent health risk")),
            Ok(())
        );
        let referral_only = vec![consent(Purpose::Referral, true)];
        assert_eq!(
            check_referral_consent(&referral_only, &[SharedField::Sex], None),
            Ok(())
        );
        assert_eq!(
            check_referral_consent(&referral_only, &[SharedField::Phone], None)
                .unwrap_err()
                .field(),
            Some("shared")
        );
        let both = vec![
            consent(Purpose::Referral, true),
            consent(Purpose::Contact, true),
        ];
        assert_eq!(
            check_referral_consent(&both, &[SharedField::Phone], None),
            Ok(())
        );
    }

    #[test]
    fn the_receiver_sees_only_the_shared_fields() {
        let now = at("2026-06-01T00:00:00Z");
        let contact = Contact {
            id: "c".into(),
            organization_id: "o".into(),
            reference: "ABC-DEF".into(),
            facts: ContactFacts {
                birth_year: Some(2000),
                age_band: None,
                sex: Sex::Male,
                citizenship: Some("201".into()),
                comune_code: Some("058091".into()),
                languages: vec!["sq".into()],
            },
            personal: PersonalDetails {
                given_name: "Arben".into(),
                family_name: "Hoxha".into(),
                phone: "+39 333 0000000".into(),
                email: String::new(),
            },
            created_at: now,
            created_by: "op".into(),
            last_activity_at: now,
            erased_at: None,
        };
        let need = Need {
            id: "n".into(),
            contact_id: "c".into(),
            organization_id: "o".into(),
            term: TermCode::new("health"),
            urgency: Urgency::Normal,
            notes: "needs a family doctor".into(),
            created_at: now,
            created_by: "op".into(),
        };
        let view = SharedPerson::of(
            &contact,
            &need,
            &[SharedField::AgeBand, SharedField::Phone, SharedField::Email],
            now,
        );
        assert_eq!(view.age_band, Some(AgeBand::From25To34));
        assert_eq!(view.phone.as_deref(), Some("+39 333 0000000"));
        assert_eq!(view.email, None, "empty fields stay empty");
        assert_eq!(
            (view.name, view.sex, view.citizenship, view.need_notes),
            (None, None, None, None)
        );
    }
}
