//! The orientation desk in the back office: contacts and their needs ([`contacts`]),
//! proposals and referrals between organisations ([`referrals`]), and the background jobs
//! that expire late referrals, erase inactive contacts and send e-mail ([`jobs`]).
//!
//! Who sees what is decided by the store's queries (a contact only by its organisation, a
//! referral only by its two sides); anything else answers 404, so ids reveal nothing.

pub mod contacts;
pub mod jobs;
pub mod mail;
pub mod referrals;

use crocevia_core::desk::{AgeBand, Purpose, ReferralState, Sex, SharedField, Urgency};
use crocevia_core::taxonomy::{self, TermCode};
use crocevia_core::territory::countries;

use crate::backoffice::location_editor::comune_label;
use crate::kit::Page;
use crate::territories;

pub use crocevia_app::desk::DeskSettings;

pub use crate::kit::DeskUser;

/// Coded values in the page's language.
pub struct Labels<'p> {
    page: &'p Page,
}

impl<'p> Labels<'p> {
    pub fn new(page: &'p Page) -> Self {
        Labels { page }
    }

    pub fn sex(&self, sex: Sex) -> String {
        self.page.t(&format!("dk-sex-{}", sex.as_str()))
    }

    pub fn age_band(&self, band: Option<AgeBand>) -> String {
        band.map_or_else(|| self.page.t("dk-unknown"), |b| b.as_str().to_owned())
    }

    pub fn purpose(&self, purpose: Purpose) -> String {
        self.page.t(&format!("dk-purpose-{}", purpose.as_str()))
    }

    pub fn state(&self, state: ReferralState) -> String {
        self.page.t(&format!("dk-state-{}", state.as_str()))
    }

    /// A reason or outcome code (`no_capacity`, `service_provided`, …).
    pub fn code(&self, code: &str) -> String {
        self.page.t(&format!("dk-code-{code}"))
    }

    /// An action as a button says it (`accept` → "Accetta").
    pub fn action(&self, action: &str) -> String {
        self.page.t(&format!("dk-action-{action}"))
    }

    /// An action as the timeline tells it (`accept` → "Accettato").
    pub fn event(&self, action: &str) -> String {
        self.page.t(&format!("dk-event-{action}"))
    }

    pub fn shared_field(&self, field: SharedField) -> String {
        self.page.t(&format!("dk-field-{}", field.as_str()))
    }

    pub fn urgency(&self, urgency: Urgency) -> String {
        self.page.t(&format!("dk-urgency-{}", urgency.as_str()))
    }

    /// A country by ISTAT code, in Italian on Italian pages and in English elsewhere.
    pub fn country(&self, code: Option<&str>) -> String {
        match code.and_then(countries::country) {
            Some(c) if self.page.lang == "it" => c.name_it.clone(),
            Some(c) => c.name_en.clone(),
            None => self.page.t("dk-unknown"),
        }
    }

    /// A comune by ISTAT code, as `Name (PR)`.
    pub fn comune(&self, code: Option<&str>) -> String {
        match code.and_then(|c| territories().comune(c)) {
            Some(c) => comune_label(c),
            None => self.page.t("dk-unknown"),
        }
    }

    /// A need by taxonomy code, in the page's language.
    pub fn need(&self, code: &TermCode) -> String {
        code.term().map_or_else(
            || code.to_string(),
            |t| t.label(self.page.lang).name.clone(),
        )
    }

    /// `dd/mm/yyyy hh:mm`, Rome time.
    pub fn when(&self, at: chrono::DateTime<chrono::Utc>) -> String {
        crocevia_core::schedule::rome_time(at)
            .format("%d/%m/%Y %H:%M")
            .to_string()
    }

    /// A list of language codes as names.
    pub fn languages(&self, codes: &[String]) -> String {
        codes
            .iter()
            .map(|c| crate::portal::language_name(c))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One option of a `<select>` or a checkbox group.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The needs taxonomy as `<optgroup>`s: each top-level term with its narrower ones.
pub struct NeedGroup {
    pub label: String,
    pub choices: Vec<Choice>,
}

pub fn need_groups(page: &Page, selected: &str) -> Vec<NeedGroup> {
    let terms = taxonomy::needs_taxonomy();
    terms
        .iter()
        .filter(|t| t.parent.is_none())
        .map(|top| NeedGroup {
            label: top.label(page.lang).name.clone(),
            choices: std::iter::once(top)
                .chain(
                    terms
                        .iter()
                        .filter(|t| t.parent.as_deref() == Some(&top.code)),
                )
                .map(|t| Choice {
                    value: t.code.clone(),
                    label: t.label(page.lang).name.clone(),
                    selected: t.code == selected,
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crocevia_core::desk::{DeclineReason, Outcome, ReferralAction, UnresolvedReason};
    use crocevia_i18n::{LANGUAGES, Messages};

    use super::*;

    /// The labels built from codes at run time (which the message scan cannot see) exist in
    /// every complete language.
    #[test]
    fn every_coded_value_has_its_label() {
        let messages = Messages::embedded();
        let mut ids: Vec<String> = vec!["dk-unknown".into(), "dk-event-send".into()];
        ids.extend(Sex::ALL.iter().map(|v| format!("dk-sex-{}", v.as_str())));
        ids.extend(
            Purpose::ALL
                .iter()
                .map(|v| format!("dk-purpose-{}", v.as_str())),
        );
        ids.extend(
            ReferralState::ALL
                .iter()
                .map(|v| format!("dk-state-{}", v.as_str())),
        );
        ids.extend(
            SharedField::ALL
                .iter()
                .map(|v| format!("dk-field-{}", v.as_str())),
        );
        ids.extend(
            [Urgency::Urgent, Urgency::Normal]
                .iter()
                .map(|v| format!("dk-urgency-{}", v.as_str())),
        );
        ids.extend(
            ReferralAction::samples()
                .iter()
                .map(|a| format!("dk-action-{}", a.name())),
        );
        ids.extend(
            DeclineReason::ALL
                .iter()
                .map(|v| format!("dk-code-{}", v.as_str())),
        );
        ids.extend(
            UnresolvedReason::ALL
                .iter()
                .map(|v| format!("dk-code-{}", v.as_str())),
        );
        ids.extend(
            Outcome::ALL
                .iter()
                .map(|v| format!("dk-code-{}", v.as_str())),
        );
        ids.extend(
            ["received", "answered", "expired", "cancelled"]
                .iter()
                .map(|k| format!("dk-notice-{k}")),
        );
        let missing: Vec<String> = LANGUAGES
            .iter()
            .filter(|l| l.complete)
            .flat_map(|l| {
                ids.iter()
                    .filter(|id| !messages.has(l.code, id))
                    .map(move |id| format!("{id} ({})", l.code))
            })
            .collect();
        assert!(missing.is_empty(), "missing: {missing:?}");
    }
}
