//! Invitations to organizations, through the domain with the clock as a number: the state
//! machine (pending → accepted / revoked / expired), a ticket used once, who may invite, the
//! quota counting pending invitations, and each way to accept — signed in, signing in (password,
//! second factor, client trust) and signing up without a code — with each error. Every test
//! runs on the fake and once more on PostgreSQL (SQLite: `http.rs`, `store.rs`).

use gatehouse::{
    domain::{
        flows::{self, FlowContext, FlowResult},
        invitation::{self, InvitationKey, Inviter},
        mfa,
        notices::Device,
        organization,
        outcome::Outcome,
        session_change::{self, ChangeContext, SessionChange},
    },
    model::{
        flow::{FlowRequest, FlowResponse},
        AuthSnapshot, ClientId, GatehouseError, InvitationStatus, OrgId, SessionId, SessionStatus,
        SignInStatus, UserId,
    },
};

use crate::flows::{also_on_postgres, Flows, PASSWORD};

const T0: i64 = 1_800_000_000;
const DAY: i64 = 24 * 3600;

/// Organizations on, personal accounts off: a session without an organization is pending.
const ENV: &[(&str, &str)] = &[("GATEHOUSE_ORGANIZATIONS__ENABLED", "true")];

/// The ticket in an invitation mail (its body is quoted-printable: long lines).
pub(crate) fn ticket_in(mail: &str) -> Option<String> {
    let text = mail
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let start = text.find("__clerk_ticket=")? + "__clerk_ticket=".len();
    Some(text.get(start..start + 64)?.to_string())
}

/// An instance with Acme, made by Ada (`org:admin`, Acme active in her session).
struct Acme {
    flows: Flows,
    ada: UserId,
    org: OrgId,
}

impl Acme {
    async fn new(extra: &[(&str, &str)]) -> Self {
        let mut env = ENV.to_vec();
        env.extend_from_slice(extra);
        let flows = Flows::with_env(&env);
        let ada = flows.sign_up("ada@example.com", T0).await;
        let (session, user) = (ada.snapshot.session_id.unwrap(), ada.snapshot.user.unwrap());
        let org = organization::create(&flows.gatehouse, &session, &user.id, "Acme", "acme", T0)
            .await
            .unwrap();
        Self {
            flows,
            ada: user.id,
            org,
        }
    }

    /// Ada invites `email` as `role` at `now`.
    async fn invite(
        &self,
        email: &str,
        role: &str,
        now: i64,
    ) -> Result<gatehouse::model::OrganizationInvitation, GatehouseError> {
        let by = Inviter::Member(&self.ada);
        invitation::invite(&self.flows.gatehouse, by, "acme", email, role, now).await
    }

    /// Every ticket mailed to `to` so far.
    fn tickets(&self, to: &str) -> Vec<String> {
        self.flows
            .mails_to(to)
            .iter()
            .filter_map(|mail| ticket_in(mail))
            .collect()
    }

    /// The one ticket mailed to `to`.
    fn ticket(&self, to: &str) -> String {
        let tickets = self.tickets(to);
        assert_eq!(tickets.len(), 1, "one invitation mail to {to}");
        tickets[0].clone()
    }

    async fn role_of(&self, email: &str) -> Option<String> {
        let store = &self.flows.gatehouse.store;
        let user = store.find_user_by_email(email).await.unwrap()?;
        store.membership_role(&self.org, &user.id).await.unwrap()
    }

    /// Signs `email` (an existing user without a second factor) in on a new browser.
    async fn signed_in(&self, email: &str, now: i64) -> (ClientId, AuthSnapshot) {
        let (browser, outcome) = self.flows.sign_in(email, now).await;
        (browser, outcome.snapshot)
    }

    /// A signed-in user's acceptance (`SessionChange::AcceptInvitation`).
    async fn accept(
        &self,
        (browser, snapshot): &(ClientId, AuthSnapshot),
        key: InvitationKey,
        now: i64,
    ) -> Result<Outcome, GatehouseError> {
        let context = ChangeContext {
            snapshot,
            client_id: Some(browser),
            device: &Device::default(),
            target: None,
        };
        let change = SessionChange::AcceptInvitation(key);
        session_change::apply(&self.flows.gatehouse, change, context, now).await
    }

    /// One step through the flows' entry point, on `browser` (a new one when `None`).
    async fn step(
        &self,
        browser: Option<&ClientId>,
        step: FlowRequest,
        now: i64,
    ) -> Result<FlowResult, GatehouseError> {
        let context = FlowContext {
            client_id: browser.cloned(),
            ..FlowContext::default()
        };
        flows::run(&self.flows.gatehouse, step, context, now).await
    }
}

fn code(result: Result<impl std::fmt::Debug, GatehouseError>) -> String {
    result.unwrap_err().first_error().code.to_string()
}

fn field(result: Result<impl std::fmt::Debug, GatehouseError>) -> (String, Option<String>) {
    let error = result.unwrap_err().first_error();
    (error.code.to_string(), error.meta.param_name)
}

/// The client a flow step made (its cookie) or used.
async fn browser_of(acme: &Acme, result: &FlowResult) -> ClientId {
    let token = result.cookie.as_ref().expect("a cookie");
    let store = acme.flows.gatehouse.store.as_ref();
    store
        .resolve_client(&token.hash(), T0)
        .await
        .unwrap()
        .unwrap()
        .client_id
}

fn sign_in_password(identifier: &str, ticket: Option<&str>) -> FlowRequest {
    FlowRequest::SignInPassword {
        identifier: identifier.into(),
        password: PASSWORD.into(),
        ticket: ticket.map(str::to_string),
    }
}

fn sign_up_ticket(email: &str, ticket: &str) -> FlowRequest {
    FlowRequest::SignUpPassword {
        email_address: email.into(),
        password: PASSWORD.into(),
        first_name: Some("Bob".into()),
        last_name: None,
        ticket: Some(ticket.into()),
    }
}

/// The auth change a flow step ended with (a finalized sign-in or sign-up).
fn snapshot_of(result: FlowResult) -> AuthSnapshot {
    result.response.into_change().expect("signed in").snapshot
}

/// Pending → accepted, revoked or expired, with the time a parameter: each state has its own
/// error, and only a pending invitation is listed or accepted.
#[tokio::test]
async fn an_invitation_is_pending_until_accepted_revoked_or_expired() {
    let acme = Acme::new(&[]).await;
    let gatehouse = &acme.flows.gatehouse;
    let now = T0 + 100;
    let invited = acme
        .invite("Bob@Example.com", "org:member", now)
        .await
        .unwrap();
    assert_eq!(invited.email_address, "bob@example.com", "normalised");
    assert_eq!(invited.status, InvitationStatus::Pending);
    assert_eq!(invited.organization_slug, "acme");
    assert_eq!(invited.expires_at, now + 30 * DAY, "30 days by default");
    let ticket = acme.ticket("bob@example.com");
    let mail = &acme.flows.mails_to("bob@example.com")[0];
    assert!(
        mail.contains("Subject: You're invited to join Acme"),
        "{mail}"
    );

    // Pending until the last second, then expired: its link refused, no longer listed.
    let listed = invitation::user_invitations(gatehouse, "bob@example.com", now + 30 * DAY - 1);
    assert_eq!(listed.await.unwrap().len(), 1);
    assert!(
        invitation::check_ticket(gatehouse, &ticket, now + 30 * DAY - 1)
            .await
            .is_ok()
    );
    let expired = invitation::check_ticket(gatehouse, &ticket, now + 30 * DAY).await;
    assert_eq!(
        code(expired.map_err(GatehouseError::from)),
        "ticket_expired_code"
    );
    let listed = invitation::user_invitations(gatehouse, "bob@example.com", now + 30 * DAY);
    assert!(listed.await.unwrap().is_empty());
    let page =
        invitation::organization_invitations(gatehouse, &acme.ada, "acme", 1, 10, now + 30 * DAY);
    assert_eq!(page.await.unwrap().total_count, 0);
    // An expired invitation can be neither revoked nor resent; the address can be invited again.
    let id = invited.id.clone();
    let revoked = invitation::revoke(gatehouse, &acme.ada, "acme", &id, now + 30 * DAY).await;
    assert_eq!(
        code(revoked.map_err(GatehouseError::from)),
        "ticket_expired_code"
    );
    let again = acme
        .invite("bob@example.com", "org:member", now + 30 * DAY)
        .await;
    assert_eq!(again.unwrap().status, InvitationStatus::Pending);

    // Revoked: its link says so.
    let carol = acme
        .invite("carol@example.com", "org:member", now)
        .await
        .unwrap();
    let carol_ticket = acme.ticket("carol@example.com");
    invitation::revoke(gatehouse, &acme.ada, "acme", &carol.id, now + 1)
        .await
        .unwrap();
    let refused = invitation::check_ticket(gatehouse, &carol_ticket, now + 2).await;
    assert_eq!(
        code(refused.map_err(GatehouseError::from)),
        "organization_invitation_revoked_code"
    );
    let twice = invitation::revoke(gatehouse, &acme.ada, "acme", &carol.id, now + 3).await;
    assert_eq!(
        code(twice.map_err(GatehouseError::from)),
        "organization_invitation_revoked_code"
    );

    // Accepted: once.
    acme.flows.sign_up("dan@example.com", now).await;
    acme.invite("dan@example.com", "org:member", now + 10)
        .await
        .unwrap();
    let dan_ticket = acme.ticket("dan@example.com");
    let dan = acme.signed_in("dan@example.com", now + 20).await;
    let joined = acme
        .accept(&dan, InvitationKey::Ticket(dan_ticket.clone()), now + 30)
        .await
        .unwrap();
    assert_eq!(joined.snapshot.org_id.as_ref(), Some(&acme.org));
    let used = invitation::check_ticket(gatehouse, &dan_ticket, now + 31).await;
    assert_eq!(
        code(used.map_err(GatehouseError::from)),
        "organization_invitation_already_accepted"
    );
    let again = acme
        .accept(&dan, InvitationKey::Ticket(dan_ticket), now + 32)
        .await;
    assert_eq!(code(again), "organization_invitation_already_accepted");
    // A made-up ticket.
    let made_up = invitation::check_ticket(gatehouse, &"ab".repeat(32), now).await;
    assert_eq!(
        code(made_up.map_err(GatehouseError::from)),
        "ticket_invalid_code"
    );
    let garbage = invitation::check_ticket(gatehouse, "<script>", now).await;
    assert_eq!(
        code(garbage.map_err(GatehouseError::from)),
        "ticket_invalid_code"
    );
}

/// One pending invitation per address, none for a member or an unknown role, and the quota
/// counts pending invitations beside members.
#[tokio::test]
async fn invitations_are_unique_never_for_members_and_count_toward_the_quota() {
    // Ada is the one member; two places in all.
    let acme = Acme::new(&[("GATEHOUSE_ORGANIZATIONS__MAX_MEMBERSHIPS", "2")]).await;
    let gatehouse = &acme.flows.gatehouse;
    let now = T0 + 100;
    let bob = acme
        .invite("bob@example.com", "org:member", now)
        .await
        .unwrap();
    assert_eq!(
        field(acme.invite("BOB@example.com", "org:admin", now + 1).await),
        (
            "organization_invitation_not_unique".into(),
            Some("email_address".into())
        )
    );
    assert_eq!(
        field(acme.invite("ada@example.com", "org:member", now + 1).await),
        (
            "already_a_member_in_organization".into(),
            Some("email_address".into())
        )
    );
    // Ada + Bob's pending invitation fill it.
    assert_eq!(
        code(
            acme.invite("carol@example.com", "org:member", now + 2)
                .await
        ),
        "organization_membership_quota_exceeded"
    );
    // Revoking Bob's frees the place.
    invitation::revoke(gatehouse, &acme.ada, "acme", &bob.id, now + 3)
        .await
        .unwrap();
    acme.invite("carol@example.com", "org:member", now + 4)
        .await
        .unwrap();
    // An expired invitation frees its place too.
    let later = now + 4 + 30 * DAY;
    acme.invite("dan@example.com", "org:member", later)
        .await
        .unwrap();
    // Bad input: every field's error at once; nothing made.
    let refused = acme
        .invite("not-an-email", "org:owner", later)
        .await
        .unwrap_err();
    let fields: Vec<_> = refused
        .errors()
        .iter()
        .map(|e| (e.code.to_string(), e.meta.param_name.clone().unwrap()))
        .collect();
    assert_eq!(
        fields,
        [
            (
                "form_param_format_invalid".to_string(),
                "email_address".to_string()
            ),
            ("form_param_format_invalid".to_string(), "role".to_string()),
        ]
    );
    let page = invitation::organization_invitations(gatehouse, &acme.ada, "acme", 1, 10, later);
    let page = page.await.unwrap();
    assert_eq!(page.total_count, 1);
    assert_eq!(page.data[0].email_address, "dan@example.com");
}

/// Only `org:sys_memberships:manage` invites, revokes, resends and lists; a member, a stranger
/// and an unknown organization all get the organizations' not-found answer.
#[tokio::test]
async fn only_admins_invite_revoke_resend_and_list() {
    let acme = Acme::new(&[]).await;
    let gatehouse = &acme.flows.gatehouse;
    let now = T0 + 100;
    let invited = acme
        .invite("carol@example.com", "org:member", now)
        .await
        .unwrap();
    let member = acme.flows.sign_up("bob@example.com", now).await;
    let member = member.snapshot.user.unwrap().id;
    gatehouse
        .store
        .upsert_member(&acme.org, &member, "org:member", now)
        .await
        .unwrap();
    let stranger = acme.flows.sign_up("eve@example.com", now).await;
    let stranger = stranger.snapshot.user.unwrap().id;
    for (user, slug) in [
        (&member, "acme"),
        (&stranger, "acme"),
        (&acme.ada, "nowhere"),
    ] {
        let by = Inviter::Member(user);
        let invite = invitation::invite(gatehouse, by, slug, "dan@example.com", "org:member", now);
        assert_eq!(code(invite.await), "organization_not_found_or_unauthorized");
        let revoke = invitation::revoke(gatehouse, user, slug, &invited.id, now).await;
        assert_eq!(
            code(revoke.map_err(GatehouseError::from)),
            "organization_not_found_or_unauthorized"
        );
        let resend = invitation::resend(gatehouse, user, slug, &invited.id, now + 600).await;
        assert_eq!(
            code(resend.map_err(GatehouseError::from)),
            "organization_not_found_or_unauthorized"
        );
        let list = invitation::organization_invitations(gatehouse, user, slug, 1, 10, now).await;
        assert_eq!(
            code(list.map_err(GatehouseError::from)),
            "organization_not_found_or_unauthorized"
        );
    }
    // Nothing changed: Carol's invitation is still the one, pending.
    assert_eq!(acme.tickets("carol@example.com").len(), 1);
    assert!(acme.tickets("dan@example.com").is_empty());
    // The operator invites without being a member, with any configured role.
    let acme_roles = Acme::new(&[(
        "GATEHOUSE_ORGANIZATIONS__ROLES",
        r#"{ "org:recruiter" = ["org:jobs:post"] }"#,
    )])
    .await;
    let by = Inviter::Operator;
    let gatehouse = &acme_roles.flows.gatehouse;
    let made = invitation::invite(gatehouse, by, "acme", "x@example.com", "org:recruiter", now);
    assert_eq!(made.await.unwrap().role, "org:recruiter");
}

/// Resending mails a new link (the old one stops working) at most once a minute; the new link
/// works for the whole period again.
#[tokio::test]
async fn a_resent_invitation_has_a_new_link_and_the_old_one_stops_working() {
    let acme = Acme::new(&[]).await;
    let gatehouse = &acme.flows.gatehouse;
    let now = T0 + 100;
    let invited = acme
        .invite("bob@example.com", "org:member", now)
        .await
        .unwrap();
    let old = acme.ticket("bob@example.com");
    let early = invitation::resend(gatehouse, &acme.ada, "acme", &invited.id, now + 59).await;
    let early = early.unwrap_err();
    assert_eq!(early.code, "too_many_requests");
    assert_eq!(early.meta.retry_after_seconds, Some(1));
    invitation::resend(gatehouse, &acme.ada, "acme", &invited.id, now + 60)
        .await
        .unwrap();
    let tickets = acme.tickets("bob@example.com");
    assert_eq!(tickets.len(), 2);
    let new = tickets.into_iter().find(|t| *t != old).unwrap();
    let refused = invitation::check_ticket(gatehouse, &old, now + 61).await;
    assert_eq!(
        code(refused.map_err(GatehouseError::from)),
        "ticket_invalid_code"
    );
    // The new link works past the first one's expiry.
    let (row, _) = invitation::check_ticket(gatehouse, &new, now + 30 * DAY + 1)
        .await
        .unwrap();
    assert_eq!(row.expires_at, now + 60 + 30 * DAY);
}

/// Signed in as the invited address: the link's ticket joins (the role given) and makes the
/// organization active, which completes the choose-organization task. The link of someone
/// else's invitation is refused on the address, and joins nothing.
#[tokio::test]
async fn a_signed_in_user_joins_by_the_link_and_the_organization_becomes_active() {
    let acme = Acme::new(&[("GATEHOUSE_ORGANIZATIONS__ROLES", r#"{ "org:editor" = [] }"#)]).await;
    let now = T0 + 100;
    acme.flows.sign_up("bob@example.com", now).await;
    acme.flows.sign_up("eve@example.com", now).await;
    let bob = acme.signed_in("bob@example.com", now + 10).await;
    assert_eq!(bob.1.session_status, Some(SessionStatus::Pending));
    acme.invite("bob@example.com", "org:editor", now + 20)
        .await
        .unwrap();
    let ticket = acme.ticket("bob@example.com");

    let eve = acme.signed_in("eve@example.com", now + 30).await;
    assert_eq!(
        field(
            acme.accept(&eve, InvitationKey::Ticket(ticket.clone()), now + 31)
                .await
        ),
        ("ticket_invalid_code".into(), Some("email_address".into()))
    );
    assert_eq!(acme.role_of("eve@example.com").await, None);

    let joined = acme
        .accept(&bob, InvitationKey::Ticket(ticket), now + 40)
        .await
        .unwrap();
    assert_eq!(joined.snapshot.session_status, Some(SessionStatus::Active));
    assert_eq!(joined.snapshot.org_id.as_ref(), Some(&acme.org));
    assert_eq!(joined.snapshot.org_role.as_deref(), Some("org:editor"));
    assert!(joined.snapshot.tasks.is_empty());
    assert_eq!(joined.next.task_url, None);
    assert_eq!(
        acme.role_of("bob@example.com").await.as_deref(),
        Some("org:editor")
    );
}

/// A signed-in user's own pending invitations are listed and accepted by id, without the
/// email; an id of someone else's invitation is not found.
#[tokio::test]
async fn own_invitations_are_listed_and_accepted_without_the_email() {
    let acme = Acme::new(&[]).await;
    let gatehouse = &acme.flows.gatehouse;
    let now = T0 + 100;
    acme.flows.sign_up("bob@example.com", now).await;
    let bob = acme.signed_in("bob@example.com", now + 10).await;
    let for_bob = acme
        .invite("bob@example.com", "org:member", now + 20)
        .await
        .unwrap();
    let for_carol = acme
        .invite("carol@example.com", "org:member", now + 20)
        .await
        .unwrap();

    let mine = invitation::user_invitations(gatehouse, "bob@example.com", now + 30)
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].id, for_bob.id);
    assert_eq!(mine[0].organization_name, "Acme");

    let not_mine = acme
        .accept(&bob, InvitationKey::Id(for_carol.id), now + 40)
        .await;
    assert_eq!(code(not_mine), "not_found");
    let joined = acme
        .accept(&bob, InvitationKey::Id(for_bob.id.clone()), now + 50)
        .await
        .unwrap();
    assert_eq!(joined.snapshot.org_id.as_ref(), Some(&acme.org));
    let mine = invitation::user_invitations(gatehouse, "bob@example.com", now + 60);
    assert!(mine.await.unwrap().is_empty());
    let twice = acme
        .accept(&bob, InvitationKey::Id(for_bob.id), now + 70)
        .await;
    assert_eq!(code(twice), "organization_invitation_already_accepted");
}

/// Signed out with an account: the sign-in carries the ticket through the password and the
/// second factor, and only then joins — the session starts in the organization. A ticket for
/// another address stops it at the password step.
#[tokio::test]
async fn signing_in_with_password_and_totp_carries_the_ticket_and_joins_at_the_end() {
    let acme = Acme::new(&[]).await;
    let gatehouse = &acme.flows.gatehouse;
    let now = T0 + 100;
    let bob = acme.flows.sign_up("bob@example.com", now).await;
    let (session, user) = (bob.snapshot.session_id.unwrap(), bob.snapshot.user.unwrap());
    let secret = enrol_totp(&acme, &user.id, &session, now + 10).await;
    acme.invite("bob@example.com", "org:member", now + 20)
        .await
        .unwrap();
    let ticket = acme.ticket("bob@example.com");

    // Eve's password with Bob's ticket: refused on the identifier before anything else.
    acme.flows.sign_up("eve@example.com", now).await;
    let wrong = acme
        .step(
            None,
            sign_in_password("eve@example.com", Some(&ticket)),
            now + 30,
        )
        .await;
    assert_eq!(
        field(wrong),
        ("ticket_invalid_code".into(), Some("identifier".into()))
    );

    let at = now + 40;
    let first = acme
        .step(None, sign_in_password("bob@example.com", Some(&ticket)), at)
        .await
        .unwrap();
    let browser = browser_of(&acme, &first).await;
    let FlowResponse::SignIn(step) = first.response else {
        panic!("a sign-in step");
    };
    assert_eq!(step.status, SignInStatus::NeedsSecondFactor);
    assert_eq!(acme.role_of("bob@example.com").await, None, "not yet");
    let totp = FlowRequest::SignInSecondFactor {
        strategy: "totp".into(),
        code: mfa::code_at(&secret, at + 1).unwrap(),
    };
    let done = acme.step(Some(&browser), totp, at + 1).await.unwrap();
    let snapshot = snapshot_of(done);
    assert_eq!(snapshot.session_status, Some(SessionStatus::Active));
    assert_eq!(snapshot.org_id.as_ref(), Some(&acme.org));
    assert_eq!(
        acme.role_of("bob@example.com").await.as_deref(),
        Some("org:member")
    );
    let used = invitation::check_ticket(gatehouse, &ticket, at + 2).await;
    assert_eq!(
        code(used.map_err(GatehouseError::from)),
        "organization_invitation_already_accepted"
    );
}

/// Client trust is a step the ticket is kept through too.
#[tokio::test]
async fn signing_in_through_client_trust_keeps_the_ticket() {
    let acme = Acme::new(&[("GATEHOUSE_CLIENT_TRUST__ENABLED", "true")]).await;
    let now = T0 + 100;
    acme.flows.sign_up("bob@example.com", now).await;
    acme.invite("bob@example.com", "org:member", now + 20)
        .await
        .unwrap();
    let ticket = acme.ticket("bob@example.com");
    let first = acme
        .step(
            None,
            sign_in_password("bob@example.com", Some(&ticket)),
            now + 30,
        )
        .await
        .unwrap();
    let browser = browser_of(&acme, &first).await;
    let FlowResponse::SignIn(step) = first.response else {
        panic!("a sign-in step");
    };
    assert_eq!(step.status, SignInStatus::NeedsClientTrust);
    // Mailed in the background: wait for it.
    let mut code = None;
    for _ in 0..200 {
        code = acme
            .flows
            .mails_to("bob@example.com")
            .iter()
            .find_map(|mail| {
                let subject = mail.lines().find_map(|l| l.strip_prefix("Subject: "))?;
                mail.contains("new device")
                    .then(|| subject[..6].to_string())
            });
        if code.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let code = code.expect("the client-trust code");
    let done = acme
        .step(
            Some(&browser),
            FlowRequest::SignInEmailCode { code },
            now + 31,
        )
        .await
        .unwrap();
    assert_eq!(snapshot_of(done).org_id.as_ref(), Some(&acme.org));
}

/// Signed out without an account: the sign-up takes the invitation's address, needs no code
/// (none is mailed), and makes the member with the organization active. Another address, or an
/// address with an account, is refused; the used ticket signs nobody else up.
#[tokio::test]
async fn signing_up_with_a_ticket_needs_no_code_and_joins() {
    let acme = Acme::new(&[]).await;
    let now = T0 + 100;
    acme.invite("bob@example.com", "org:member", now)
        .await
        .unwrap();
    let ticket = acme.ticket("bob@example.com");

    let other = acme
        .step(None, sign_up_ticket("eve@example.com", &ticket), now + 1)
        .await;
    assert_eq!(
        field(other),
        ("ticket_invalid_code".into(), Some("email_address".into()))
    );
    // An empty address is the invitation's.
    let done = acme
        .step(None, sign_up_ticket("", &ticket), now + 2)
        .await
        .unwrap();
    assert!(done.cookie.is_some());
    let FlowResponse::SignUpComplete(change) = done.response else {
        panic!("complete at once");
    };
    let snapshot = change.snapshot;
    assert_eq!(
        snapshot.user.as_ref().unwrap().email_address,
        "bob@example.com"
    );
    assert_eq!(snapshot.session_status, Some(SessionStatus::Active));
    assert_eq!(snapshot.org_id.as_ref(), Some(&acme.org));
    assert_eq!(snapshot.org_role.as_deref(), Some("org:member"));
    assert_eq!(
        acme.flows.mails_to("bob@example.com").len(),
        1,
        "the invitation only: no code"
    );
    // The ticket is used.
    let again = acme.step(None, sign_up_ticket("", &ticket), now + 3).await;
    assert_eq!(code(again), "organization_invitation_already_accepted");

    // An address with an account signs in instead.
    acme.invite("dee@example.com", "org:member", now)
        .await
        .unwrap();
    acme.flows.sign_up("carol@example.com", now).await;
    acme.invite("carol@example.com", "org:member", now)
        .await
        .unwrap();
    let carol = acme.ticket("carol@example.com");
    let taken = acme
        .step(None, sign_up_ticket("carol@example.com", &carol), now + 4)
        .await;
    assert_eq!(
        field(taken),
        (
            "form_identifier_exists".into(),
            Some("email_address".into())
        )
    );
    // A weak password is the form's error, and the ticket still works after it.
    let weak = FlowRequest::SignUpPassword {
        email_address: String::new(),
        password: "short".into(),
        first_name: None,
        last_name: None,
        ticket: Some(acme.ticket("dee@example.com")),
    };
    assert_eq!(
        field(acme.step(None, weak, now + 5).await),
        (
            "form_password_length_too_short".into(),
            Some("password".into())
        )
    );
}

/// A ticket revoked while its sign-in waits for the second factor stops the sign-in with its
/// error: no session, nothing joined.
#[tokio::test]
async fn a_ticket_revoked_during_the_sign_in_joins_nothing() {
    let acme = Acme::new(&[]).await;
    let gatehouse = &acme.flows.gatehouse;
    let now = T0 + 100;
    let bob = acme.flows.sign_up("bob@example.com", now).await;
    let (session, user) = (bob.snapshot.session_id.unwrap(), bob.snapshot.user.unwrap());
    let secret = enrol_totp(&acme, &user.id, &session, now + 10).await;
    let invited = acme
        .invite("bob@example.com", "org:member", now + 20)
        .await
        .unwrap();
    let ticket = acme.ticket("bob@example.com");
    let at = now + 40;
    let first = acme
        .step(None, sign_in_password("bob@example.com", Some(&ticket)), at)
        .await
        .unwrap();
    let browser = browser_of(&acme, &first).await;
    invitation::revoke(gatehouse, &acme.ada, "acme", &invited.id, at + 1)
        .await
        .unwrap();
    let totp = FlowRequest::SignInSecondFactor {
        strategy: "totp".into(),
        code: mfa::code_at(&secret, at + 2).unwrap(),
    };
    let refused = acme.step(Some(&browser), totp, at + 2).await;
    assert_eq!(code(refused), "organization_invitation_revoked_code");
    assert_eq!(acme.role_of("bob@example.com").await, None);
    let resolved = gatehouse
        .store
        .resolve_client_by_id(&browser, at + 3)
        .await
        .unwrap()
        .unwrap();
    assert!(resolved.session.is_none(), "no session was made");
}

/// Two acceptances of one ticket at once (a double click, two tabs) make one membership: one
/// joins, the other gets `organization_invitation_already_accepted`.
#[tokio::test]
async fn two_parallel_acceptances_make_one_membership() {
    let acme = Acme::new(&[]).await;
    let now = T0 + 100;
    acme.flows.sign_up("bob@example.com", now).await;
    let tab = acme.signed_in("bob@example.com", now + 10).await;
    let other_tab = acme.signed_in("bob@example.com", now + 11).await;
    acme.invite("bob@example.com", "org:member", now + 20)
        .await
        .unwrap();
    let ticket = acme.ticket("bob@example.com");
    let (first, second) = tokio::join!(
        acme.accept(&tab, InvitationKey::Ticket(ticket.clone()), now + 30),
        acme.accept(&other_tab, InvitationKey::Ticket(ticket), now + 30),
    );
    let results = [first, second];
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    let refused = results.into_iter().find_map(Result::err).unwrap();
    assert_eq!(
        refused.first_error().code,
        "organization_invitation_already_accepted"
    );
    let members = acme
        .flows
        .gatehouse
        .store
        .list_members(&acme.org)
        .await
        .unwrap();
    assert_eq!(members.len(), 2, "Ada and Bob, once: {members:?}");
}

/// Multi-session: signing in with the ticket as a user this browser already holds a session of
/// switches to that session (Clerk's `identifier_already_signed_in`) and joins with it.
#[tokio::test]
async fn signing_in_again_on_a_browser_that_holds_the_session_joins_with_it() {
    let acme = Acme::new(&[("GATEHOUSE_SESSIONS__MULTI_SESSION", "true")]).await;
    let now = T0 + 100;
    acme.flows.sign_up("bob@example.com", now).await;
    let (browser, _) = acme.signed_in("bob@example.com", now + 10).await;
    acme.invite("bob@example.com", "org:member", now + 20)
        .await
        .unwrap();
    let ticket = acme.ticket("bob@example.com");
    let done = acme
        .step(
            Some(&browser),
            sign_in_password("bob@example.com", Some(&ticket)),
            now + 30,
        )
        .await
        .unwrap();
    let snapshot = snapshot_of(done);
    assert_eq!(snapshot.org_id.as_ref(), Some(&acme.org));
    assert_eq!(snapshot.session_status, Some(SessionStatus::Active));
    assert_eq!(
        acme.role_of("bob@example.com").await.as_deref(),
        Some("org:member")
    );
}

/// Turns TOTP on for a user (as the account page does); returns its secret.
async fn enrol_totp(acme: &Acme, user: &UserId, session: &SessionId, now: i64) -> String {
    let gatehouse = &acme.flows.gatehouse;
    let enrollment = mfa::start_enrollment(gatehouse, user, "bob@example.com", now)
        .await
        .unwrap();
    mfa::confirm_enrollment(
        gatehouse,
        user,
        "bob@example.com",
        session,
        &mfa::code_at(&enrollment.secret, now).unwrap(),
        now,
    )
    .await
    .unwrap();
    enrollment.secret
}

also_on_postgres!(
    an_invitation_is_pending_until_accepted_revoked_or_expired,
    invitations_are_unique_never_for_members_and_count_toward_the_quota,
    only_admins_invite_revoke_resend_and_list,
    a_resent_invitation_has_a_new_link_and_the_old_one_stops_working,
    a_signed_in_user_joins_by_the_link_and_the_organization_becomes_active,
    own_invitations_are_listed_and_accepted_without_the_email,
    signing_in_with_password_and_totp_carries_the_ticket_and_joins_at_the_end,
    signing_in_through_client_trust_keeps_the_ticket,
    signing_up_with_a_ticket_needs_no_code_and_joins,
    a_ticket_revoked_during_the_sign_in_joins_nothing,
    two_parallel_acceptances_make_one_membership,
    signing_in_again_on_a_browser_that_holds_the_session_joins_with_it,
);
