//! Who may do what in the back office. Every account belongs to one organisation and has one
//! [`Role`]; what a role allows is decided here, once, so the web layer only asks.

use std::fmt;

/// The roles of the back office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages its organisation: its accounts and its services.
    Admin,
    /// Follows the whole network: sees the stale services of every organisation.
    Coordinator,
    /// Keeps its organisation's services up to date.
    Editor,
    /// Works at its organisation's desk; reads its services.
    Operator,
    /// Reads aggregates for the observatory (later); reads its organisation's services.
    Analyst,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Coordinator,
        Role::Editor,
        Role::Operator,
        Role::Analyst,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Coordinator => "coordinator",
            Role::Editor => "editor",
            Role::Operator => "operator",
            Role::Analyst => "analyst",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Edits its own organisation's services (and confirms them still valid).
    pub fn may_edit_services(self) -> bool {
        matches!(self, Role::Admin | Role::Editor)
    }

    /// Imports an HSDS package into the directory: editors and admins for their
    /// organisation, coordinators for the network.
    pub fn may_import_services(self) -> bool {
        self.may_edit_services() || self == Role::Coordinator
    }

    /// Reads the audit trail: admins their organisation's, coordinators the network's.
    pub fn may_read_audit(self) -> bool {
        matches!(self, Role::Admin | Role::Coordinator)
    }

    /// Sees the stale services of every organisation, grouped by organisation.
    pub fn may_review_network(self) -> bool {
        self == Role::Coordinator
    }

    /// Works at its organisation's desk: records contacts and needs, refers, answers
    /// referrals addressed to its organisation.
    pub fn may_use_desk(self) -> bool {
        matches!(self, Role::Admin | Role::Coordinator | Role::Operator)
    }

    /// Sends a referral without the person's referral consent, giving a logged reason.
    pub fn may_override_consent(self) -> bool {
        self == Role::Coordinator
    }

    /// Uploads, deploys and shares its organisation's surveys (XLSForms).
    pub fn may_manage_surveys(self) -> bool {
        matches!(self, Role::Admin | Role::Coordinator)
    }

    /// Reads the analysis of its organisation's surveys: tables with small counts hidden.
    pub fn may_analyse_surveys(self) -> bool {
        matches!(self, Role::Admin | Role::Coordinator | Role::Analyst)
    }

    /// Exports its organisation's survey answers row by row. Rows can single a respondent
    /// out (a rare nationality in a small comune), so only those who run the survey take
    /// them; analysts read the protected tables.
    pub fn may_export_survey_answers(self) -> bool {
        self.may_manage_surveys()
    }

    /// Adds people to its own organisation and resets their passwords.
    pub fn may_manage_accounts(self) -> bool {
        self == Role::Admin
    }

    /// The roles an organisation's admin may give: all but coordinator, which reaches every
    /// organisation of the network and is given by whoever runs the installation.
    pub fn grantable_by_admin(self) -> bool {
        self != Role::Coordinator
    }

    /// Whether an account with this role may act on another account of its organisation
    /// (reset its password, end its sessions). Only what one may grant may one manage: an
    /// admin who could reset a coordinator's password could sign in as the coordinator and
    /// act across the whole network, climbing above the organisation.
    pub fn may_manage(self, other: Role) -> bool {
        self.may_manage_accounts() && other.grantable_by_admin()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// E-mail addresses are compared without surrounding spaces and case.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_allow_what_they_should() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
        assert!(Role::Editor.may_edit_services() && Role::Admin.may_edit_services());
        assert!(!Role::Operator.may_edit_services() && !Role::Coordinator.may_edit_services());
        assert!(Role::Coordinator.may_review_network() && !Role::Editor.may_review_network());
        assert!(
            Role::Operator.may_use_desk()
                && !Role::Editor.may_use_desk()
                && !Role::Analyst.may_use_desk()
        );
        assert!(Role::Coordinator.may_override_consent() && !Role::Operator.may_override_consent());
        assert!(Role::Coordinator.may_manage_surveys() && !Role::Operator.may_manage_surveys());
        assert!(Role::Analyst.may_analyse_surveys() && !Role::Editor.may_analyse_surveys());
        assert!(
            Role::Coordinator.may_export_survey_answers()
                && !Role::Analyst.may_export_survey_answers()
        );
        assert_eq!(normalize_email("  Ada@Example.IT "), "ada@example.it");
    }

    #[test]
    fn no_role_manages_a_role_it_could_not_grant() {
        for manager in Role::ALL {
            for other in Role::ALL {
                if manager.may_manage(other) {
                    assert!(manager.may_manage_accounts() && other.grantable_by_admin());
                }
            }
        }
        assert!(Role::Admin.may_manage(Role::Operator) && Role::Admin.may_manage(Role::Admin));
        assert!(!Role::Admin.may_manage(Role::Coordinator));
        assert!(!Role::Coordinator.may_manage(Role::Operator));
    }
}
