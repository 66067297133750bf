use serde::{Deserialize, Serialize};

/// Serde for an enum spelled on the wire by its `as_str`, read back by its `parse`: one short
/// loop in the wasm instead of serde's generated matches (per format and per reader).
macro_rules! serde_by_name {
    ($ty:ty) => {
        impl Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let name = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
                Self::parse(&name).ok_or_else(|| {
                    serde::de::Error::custom(format_args!("unknown {} `{name}`", stringify!($ty)))
                })
            }
        }
    };
}

serde_by_name!(SessionStatus);
serde_by_name!(TaskKey);
serde_by_name!(SignInStatus);
serde_by_name!(SignUpStatus);

/// Whether a session is fully signed in or still has tasks to complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SessionStatus {
    /// Signed in, no task remains.
    Active,
    /// Authenticated, but at least one session task remains.
    Pending,
}

impl SessionStatus {
    /// The wire name (`active` / `pending`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Pending => "pending",
        }
    }

    /// Parses the wire name.
    pub fn parse(value: &str) -> Option<Self> {
        [Self::Active, Self::Pending]
            .into_iter()
            .find(|status| status.as_str() == value)
    }
}

/// A session task, in the fixed order in which tasks become current.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaskKey {
    /// The password must be replaced before continuing.
    ResetPassword,
    /// The instance requires a second factor and the user has none.
    SetupMfa,
    /// Organizations are required and the session has no active organization.
    ChooseOrganization,
}

impl TaskKey {
    /// Every task, in the documented order (the current task is the first that applies).
    pub const ALL: [TaskKey; 3] = [
        TaskKey::ResetPassword,
        TaskKey::SetupMfa,
        TaskKey::ChooseOrganization,
    ];

    /// The task key as it appears in URLs and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResetPassword => "reset-password",
            Self::SetupMfa => "setup-mfa",
            Self::ChooseOrganization => "choose-organization",
        }
    }

    /// Parses a task key from its wire name.
    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|task| task.as_str() == key)
    }
}

/// Status of a sign-in attempt (Clerk's `SignIn.status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInStatus {
    /// SSO returned an identity with no account: the attempt is transferable to a sign-up.
    NeedsIdentifier,
    /// The password (first factor) is still needed.
    NeedsFirstFactor,
    /// A TOTP or backup code is needed.
    NeedsSecondFactor,
    /// Valid password on an unfamiliar device: an emailed code is needed.
    NeedsClientTrust,
    /// Forgot-password flow: a new password is needed.
    NeedsNewPassword,
    /// Every factor is verified; `finalize` creates the session.
    Complete,
}

impl SignInStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NeedsIdentifier => "needs_identifier",
            Self::NeedsFirstFactor => "needs_first_factor",
            Self::NeedsSecondFactor => "needs_second_factor",
            Self::NeedsClientTrust => "needs_client_trust",
            Self::NeedsNewPassword => "needs_new_password",
            Self::Complete => "complete",
        }
    }

    /// Parses the wire name.
    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::NeedsIdentifier,
            Self::NeedsFirstFactor,
            Self::NeedsSecondFactor,
            Self::NeedsClientTrust,
            Self::NeedsNewPassword,
            Self::Complete,
        ]
        .into_iter()
        .find(|status| status.as_str() == value)
    }
}

/// Status of a sign-up attempt (Clerk's `SignUp.status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignUpStatus {
    /// Something is still unverified or missing (here: the email address).
    MissingRequirements,
    /// Everything is verified; `finalize` creates the user and the session.
    Complete,
    /// Inactive for over 24 hours.
    Abandoned,
}

impl SignUpStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingRequirements => "missing_requirements",
            Self::Complete => "complete",
            Self::Abandoned => "abandoned",
        }
    }

    /// Parses the wire name.
    pub fn parse(value: &str) -> Option<Self> {
        [Self::MissingRequirements, Self::Complete, Self::Abandoned]
            .into_iter()
            .find(|status| status.as_str() == value)
    }
}
