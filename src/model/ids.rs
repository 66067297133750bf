//! Typed ids. Each is a prefixed string on the wire (`user_…`, `sess_…`, as Clerk shapes them)
//! and a distinct type in Rust, so a session id can never be passed where a user id is meant.

use serde::{Deserialize, Serialize};

/// A kind of prefixed id.
pub trait PrefixedId: Sized {
    /// The prefix before `_` (`user`, `sess`, …).
    const PREFIX: &'static str;
    /// Wraps an id read from storage or received from a request.
    fn from_string(id: String) -> Self;
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id read from storage or received from a request.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl PrefixedId for $name {
            const PREFIX: &'static str = $prefix;
            fn from_string(id: String) -> Self {
                Self(id)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_string())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

id_type!(
    /// A user (`user_…`).
    UserId,
    "user"
);
id_type!(
    /// A session (`sess_…`).
    SessionId,
    "sess"
);
id_type!(
    /// A browser client (`client_…`): one per browser, holding its sessions.
    ClientId,
    "client"
);
id_type!(
    /// An organization (`org_…`).
    OrgId,
    "org"
);
id_type!(
    /// An invitation to an organization (`orginv_…`).
    InvitationId,
    "orginv"
);
id_type!(
    /// A sign-in attempt (`sia_…`).
    SignInId,
    "sia"
);
id_type!(
    /// A sign-up attempt (`sua_…`).
    SignUpId,
    "sua"
);
