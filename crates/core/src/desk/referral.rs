//! The closed-loop referral: its states, the coded reasons and outcomes, and the one table of
//! transitions. Every transition not in [`Referral::next_state`]'s table is refused with a
//! [`TransitionError`] that says what is allowed instead.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Where a referral stands.
///
/// `sent → accepted | declined → in_progress → completed | closed_unresolved`, plus
/// `cancelled` by the sender before it is over and `expired` when the deadline passes with
/// no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferralState {
    Sent,
    Accepted,
    Declined,
    InProgress,
    Completed,
    ClosedUnresolved,
    Cancelled,
    Expired,
}

impl ReferralState {
    pub const ALL: [ReferralState; 8] = [
        ReferralState::Sent,
        ReferralState::Accepted,
        ReferralState::Declined,
        ReferralState::InProgress,
        ReferralState::Completed,
        ReferralState::ClosedUnresolved,
        ReferralState::Cancelled,
        ReferralState::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReferralState::Sent => "sent",
            ReferralState::Accepted => "accepted",
            ReferralState::Declined => "declined",
            ReferralState::InProgress => "in_progress",
            ReferralState::Completed => "completed",
            ReferralState::ClosedUnresolved => "closed_unresolved",
            ReferralState::Cancelled => "cancelled",
            ReferralState::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == s)
    }

    /// No transition leaves a final state.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ReferralState::Declined
                | ReferralState::Completed
                | ReferralState::ClosedUnresolved
                | ReferralState::Cancelled
                | ReferralState::Expired
        )
    }

    /// The receiver still owes the first answer (the deadline applies).
    pub fn awaits_answer(self) -> bool {
        self == ReferralState::Sent
    }
}

impl fmt::Display for ReferralState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! coded_list {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }
    };
}

coded_list!(
    /// Why a receiver declines a referral (the observatory counts "no capacity" and "not
    /// eligible" separately).
    DeclineReason {
        NotEligible = "not_eligible",
        NoCapacity = "no_capacity",
        OutsideArea = "outside_area",
        ServiceNotOffered = "service_not_offered",
        Duplicate = "duplicate",
        Other = "other",
    }
);

coded_list!(
    /// Why a referral that was taken on ends without the service being provided.
    UnresolvedReason {
        CouldNotContact = "could_not_contact",
        PersonDeclined = "person_declined",
        PersonDidNotAttend = "person_did_not_attend",
        NotEligible = "not_eligible",
        NoCapacity = "no_capacity",
        Other = "other",
    }
);

coded_list!(
    /// How a completed referral ended.
    Outcome {
        ServiceProvided = "service_provided",
        PartiallyProvided = "partially_provided",
        ReferredOnwards = "referred_onwards",
        Other = "other",
    }
);

/// Which side of a referral acts: the organisation that sent it, the one that received it,
/// or the system (the deadline job).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Sender,
    Receiver,
    System,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Sender => "sender",
            Side::Receiver => "receiver",
            Side::System => "system",
        }
    }
}

/// What someone does to a referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ReferralAction {
    Accept,
    Decline { reason: DeclineReason },
    Start,
    Complete { outcome: Outcome },
    CloseUnresolved { reason: UnresolvedReason },
    Cancel,
    Expire,
}

impl ReferralAction {
    /// The action's name, as in URLs, forms and the timeline.
    pub fn name(self) -> &'static str {
        match self {
            ReferralAction::Accept => "accept",
            ReferralAction::Decline { .. } => "decline",
            ReferralAction::Start => "start",
            ReferralAction::Complete { .. } => "complete",
            ReferralAction::CloseUnresolved { .. } => "close_unresolved",
            ReferralAction::Cancel => "cancel",
            ReferralAction::Expire => "expire",
        }
    }

    /// The coded reason or outcome the action carries, if any.
    pub fn code(self) -> Option<&'static str> {
        match self {
            ReferralAction::Decline { reason } => Some(reason.as_str()),
            ReferralAction::Complete { outcome } => Some(outcome.as_str()),
            ReferralAction::CloseUnresolved { reason } => Some(reason.as_str()),
            _ => None,
        }
    }

    /// Builds an action from its name and coded reason, as a form posts them.
    pub fn parse(name: &str, code: Option<&str>) -> Option<Self> {
        Some(match name {
            "accept" => ReferralAction::Accept,
            "decline" => ReferralAction::Decline {
                reason: DeclineReason::parse(code?)?,
            },
            "start" => ReferralAction::Start,
            "complete" => ReferralAction::Complete {
                outcome: Outcome::parse(code?)?,
            },
            "close_unresolved" => ReferralAction::CloseUnresolved {
                reason: UnresolvedReason::parse(code?)?,
            },
            "cancel" => ReferralAction::Cancel,
            "expire" => ReferralAction::Expire,
            _ => return None,
        })
    }

    /// One action of each name, with the first code of its list: enough to walk the table.
    pub fn samples() -> [ReferralAction; 7] {
        [
            ReferralAction::Accept,
            ReferralAction::Decline {
                reason: DeclineReason::NotEligible,
            },
            ReferralAction::Start,
            ReferralAction::Complete {
                outcome: Outcome::ServiceProvided,
            },
            ReferralAction::CloseUnresolved {
                reason: UnresolvedReason::CouldNotContact,
            },
            ReferralAction::Cancel,
            ReferralAction::Expire,
        ]
    }
}

/// A transition the table does not list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the {side} cannot {action} a referral that is {from}; allowed: {}",
    allowed_text(.allowed)
)]
pub struct TransitionError {
    pub from: ReferralState,
    pub action: &'static str,
    pub side: &'static str,
    /// What this side may do from this state instead (action names).
    pub allowed: Vec<&'static str>,
}

impl TransitionError {
    pub fn code(&self) -> &'static str {
        "transition_not_allowed"
    }
}

fn allowed_text(allowed: &[&str]) -> String {
    if allowed.is_empty() {
        "nothing".to_owned()
    } else {
        allowed.join(", ")
    }
}

/// The transition table: the state `action` by `side` leads to from `from`, or `None`.
pub fn next_state(
    from: ReferralState,
    action: ReferralAction,
    side: Side,
) -> Option<ReferralState> {
    use ReferralAction as A;
    use ReferralState as S;
    match (from, action, side) {
        (S::Sent, A::Accept, Side::Receiver) => Some(S::Accepted),
        (S::Sent, A::Decline { .. }, Side::Receiver) => Some(S::Declined),
        (S::Accepted, A::Start, Side::Receiver) => Some(S::InProgress),
        (S::InProgress, A::Complete { .. }, Side::Receiver) => Some(S::Completed),
        (S::InProgress, A::CloseUnresolved { .. }, Side::Receiver) => Some(S::ClosedUnresolved),
        (S::Sent | S::Accepted | S::InProgress, A::Cancel, Side::Sender) => Some(S::Cancelled),
        (S::Sent, A::Expire, Side::System) => Some(S::Expired),
        _ => None,
    }
}

/// Applies the table, or says why not and what is allowed instead.
pub fn transition(
    from: ReferralState,
    action: ReferralAction,
    side: Side,
) -> Result<ReferralState, TransitionError> {
    next_state(from, action, side).ok_or_else(|| TransitionError {
        from,
        action: action.name(),
        side: side.as_str(),
        allowed: allowed_actions(from, side),
    })
}

/// The action names `side` may take from `from` (what the interface offers).
pub fn allowed_actions(from: ReferralState, side: Side) -> Vec<&'static str> {
    ReferralAction::samples()
        .into_iter()
        .filter(|a| next_state(from, *a, side).is_some())
        .map(ReferralAction::name)
        .collect()
}

/// How urgent a need is; it sets the referral's deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Urgent,
    Normal,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Urgent => "urgent",
            Urgency::Normal => "normal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "urgent" => Some(Urgency::Urgent),
            "normal" => Some(Urgency::Normal),
            _ => None,
        }
    }
}

/// How long a receiver has for the first answer (configurable; 24 h and 72 h by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    pub urgent: Duration,
    pub normal: Duration,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            urgent: Duration::hours(24),
            normal: Duration::hours(72),
        }
    }
}

impl Deadlines {
    pub fn due_at(&self, sent_at: DateTime<Utc>, urgency: Urgency) -> DateTime<Utc> {
        sent_at
            + match urgency {
                Urgency::Urgent => self.urgent,
                Urgency::Normal => self.normal,
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table the issue specifies, written out independently of `next_state`.
    const ALLOWED: &[(ReferralState, &str, Side, ReferralState)] = &[
        (
            ReferralState::Sent,
            "accept",
            Side::Receiver,
            ReferralState::Accepted,
        ),
        (
            ReferralState::Sent,
            "decline",
            Side::Receiver,
            ReferralState::Declined,
        ),
        (
            ReferralState::Accepted,
            "start",
            Side::Receiver,
            ReferralState::InProgress,
        ),
        (
            ReferralState::InProgress,
            "complete",
            Side::Receiver,
            ReferralState::Completed,
        ),
        (
            ReferralState::InProgress,
            "close_unresolved",
            Side::Receiver,
            ReferralState::ClosedUnresolved,
        ),
        (
            ReferralState::Sent,
            "cancel",
            Side::Sender,
            ReferralState::Cancelled,
        ),
        (
            ReferralState::Accepted,
            "cancel",
            Side::Sender,
            ReferralState::Cancelled,
        ),
        (
            ReferralState::InProgress,
            "cancel",
            Side::Sender,
            ReferralState::Cancelled,
        ),
        (
            ReferralState::Sent,
            "expire",
            Side::System,
            ReferralState::Expired,
        ),
    ];

    #[test]
    fn every_listed_transition_is_allowed_and_every_other_refused() {
        let sides = [Side::Sender, Side::Receiver, Side::System];
        let mut allowed_seen = 0;
        for from in ReferralState::ALL {
            for action in ReferralAction::samples() {
                for side in sides {
                    let listed = ALLOWED
                        .iter()
                        .find(|(f, a, s, _)| *f == from && *a == action.name() && *s == side);
                    match (listed, transition(from, action, side)) {
                        (Some((_, _, _, to)), Ok(got)) => {
                            assert_eq!(got, *to, "{from} --{}/{side:?}-->", action.name());
                            allowed_seen += 1;
                        }
                        (None, Err(e)) => {
                            assert_eq!(e.from, from);
                            assert_eq!(e.code(), "transition_not_allowed");
                            assert!(!e.allowed.contains(&action.name()));
                        }
                        (listed, got) => {
                            panic!(
                                "{from} --{}/{side:?}--> gave {got:?}, listed {listed:?}",
                                action.name()
                            )
                        }
                    }
                }
            }
        }
        assert_eq!(allowed_seen, ALLOWED.len());
    }

    #[test]
    fn every_reason_and_outcome_leads_to_the_same_state() {
        for reason in DeclineReason::ALL {
            let action = ReferralAction::Decline { reason: *reason };
            assert_eq!(
                transition(ReferralState::Sent, action, Side::Receiver),
                Ok(ReferralState::Declined)
            );
            assert_eq!(
                ReferralAction::parse("decline", action.code()),
                Some(action)
            );
        }
        for outcome in Outcome::ALL {
            let action = ReferralAction::Complete { outcome: *outcome };
            assert_eq!(
                transition(ReferralState::InProgress, action, Side::Receiver),
                Ok(ReferralState::Completed)
            );
            assert_eq!(
                ReferralAction::parse("complete", action.code()),
                Some(action)
            );
        }
        for reason in UnresolvedReason::ALL {
            let action = ReferralAction::CloseUnresolved { reason: *reason };
            assert_eq!(
                transition(ReferralState::InProgress, action, Side::Receiver),
                Ok(ReferralState::ClosedUnresolved)
            );
            assert_eq!(
                ReferralAction::parse("close_unresolved", action.code()),
                Some(action)
            );
        }
        assert_eq!(
            ReferralAction::parse("decline", None),
            None,
            "a decline needs its reason"
        );
        assert_eq!(ReferralAction::parse("complete", Some("no_capacity")), None);
    }

    #[test]
    fn final_states_allow_nothing_and_errors_say_what_is_allowed() {
        for state in ReferralState::ALL.into_iter().filter(|s| s.is_final()) {
            for side in [Side::Sender, Side::Receiver, Side::System] {
                assert!(allowed_actions(state, side).is_empty(), "{state}");
            }
        }
        let e = transition(ReferralState::Sent, ReferralAction::Start, Side::Receiver).unwrap_err();
        assert_eq!(e.allowed, vec!["accept", "decline"]);
        assert_eq!(
            e.to_string(),
            "the receiver cannot start a referral that is sent; allowed: accept, decline"
        );
        for state in ReferralState::ALL {
            assert_eq!(ReferralState::parse(state.as_str()), Some(state));
        }
    }

    #[test]
    fn deadlines_depend_on_urgency() {
        let sent = DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
            .unwrap()
            .to_utc();
        let d = Deadlines::default();
        assert_eq!(
            d.due_at(sent, Urgency::Urgent).to_rfc3339(),
            "2026-03-03T09:00:00+00:00"
        );
        assert_eq!(
            d.due_at(sent, Urgency::Normal).to_rfc3339(),
            "2026-03-05T09:00:00+00:00"
        );
    }
}
