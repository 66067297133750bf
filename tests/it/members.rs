//! Running an organization through the domain, the clock a number: every action checks its
//! system permission (a member without it, and a stranger, get the same answer as for an
//! organization that does not exist, and nothing changes), roles change and members go, the
//! last admin stays, and what a member sees of the organization. Each test runs on the fake and
//! once more on PostgreSQL (the store suite covers SQLite and the parallel changes).

use gatehouse::{
    domain::{
        account::AccountHolder,
        invitation::{self, Inviter},
        membership,
        notices::Device,
        organization::{self, Actor},
        outcome::Outcome,
        session,
        session_change::{self, ChangeContext, SessionChange},
        verified_domain,
    },
    model::{
        AuthSnapshot, ClientId, EnrollmentMode, GatehouseError, InvitationId, OrgId, SessionStatus,
        TaskKey, UserId,
    },
};

use crate::flows::{also_on_postgres, Flows};

const T0: i64 = 1_800_000_000;

/// Acme, made by Ada (`org:admin`); Bob is an `org:member`; Carol belongs to none. Organizations
/// on, personal accounts off: a session without an organization is pending.
struct Acme {
    flows: Flows,
    ada: Person,
    bob: Person,
    carol: Person,
    org: OrgId,
}

struct Person {
    id: UserId,
    browser: ClientId,
    signed_in: Outcome,
}

impl Acme {
    async fn new() -> Self {
        let flows = Flows::with_env(&[("GATEHOUSE_ORGANIZATIONS__ENABLED", "true")]);
        let ada = flows.sign_up("ada@example.com", T0).await;
        let (session, ada_id) = (
            ada.snapshot.session_id.clone().unwrap(),
            ada.snapshot.user.clone().unwrap().id,
        );
        let org = organization::create(&flows.gatehouse, &session, &ada_id, "Acme", "acme", T0)
            .await
            .unwrap();
        let mut people = Vec::new();
        for email in ["bob@example.com", "carol@example.com"] {
            flows.sign_up(email, T0).await;
            let (browser, signed_in) = flows.sign_in(email, T0 + 10).await;
            people.push(Person {
                id: signed_in.snapshot.user.clone().unwrap().id,
                browser,
                signed_in,
            });
        }
        let carol = people.pop().unwrap();
        let bob = people.pop().unwrap();
        let store = &flows.gatehouse.store;
        store
            .upsert_member(&org, &bob.id, "org:member", T0)
            .await
            .unwrap();
        let bob_session = bob.signed_in.snapshot.session_id.clone().unwrap();
        organization::set_active(&flows.gatehouse, &bob_session, &bob.id, Some(&org))
            .await
            .unwrap();
        let (ada_browser, ada_in) = flows.sign_in("ada@example.com", T0 + 10).await;
        let ada_session = ada_in.snapshot.session_id.clone().unwrap();
        organization::set_active(&flows.gatehouse, &ada_session, &ada_id, Some(&org))
            .await
            .unwrap();
        Self {
            flows,
            ada: Person {
                id: ada_id,
                browser: ada_browser,
                signed_in: ada_in,
            },
            bob,
            carol,
            org,
        }
    }

    /// `person`'s auth at `now`, as their next request resolves it.
    async fn auth_of(&self, person: &Person, now: i64) -> AuthSnapshot {
        let gatehouse = &self.flows.gatehouse;
        let token = person.signed_in.cookie.as_ref();
        session::resolve(gatehouse.store.as_ref(), &gatehouse.config, token, now)
            .await
            .unwrap()
            .snapshot
    }

    async fn role_of(&self, person: &Person) -> Option<String> {
        let store = &self.flows.gatehouse.store;
        store.membership_role(&self.org, &person.id).await.unwrap()
    }

    /// A session change made by `person`'s browser at `now`.
    async fn change(
        &self,
        person: &Person,
        change: SessionChange,
        now: i64,
    ) -> Result<Outcome, GatehouseError> {
        let snapshot = self.auth_of(person, now).await;
        let context = ChangeContext {
            snapshot: &snapshot,
            client_id: Some(&person.browser),
            device: &Device::default(),
            target: Some("/dashboard"),
        };
        session_change::apply(&self.flows.gatehouse, change, context, now).await
    }
}

fn code<T: std::fmt::Debug, E: Into<GatehouseError>>(result: Result<T, E>) -> String {
    result
        .map_err(Into::into)
        .unwrap_err()
        .first_error()
        .code
        .to_string()
}

/// Every organization action, by `by` on Acme, as each answers (the code, or "ok").
async fn every_action(acme: &Acme, by: &Person, now: i64) -> Vec<(&'static str, String)> {
    let g = &acme.flows.gatehouse;
    let actor = Actor::Member(&by.id);
    let answer = |result: Result<(), GatehouseError>| match result {
        Ok(()) => "ok".to_string(),
        Err(error) => error.first_error().code.to_string(),
    };
    let invited = invitation::invite(
        g,
        Inviter::Member(&acme.ada.id),
        "acme",
        "dan@example.com",
        "org:member",
        now,
    )
    .await
    .map(|invitation| invitation.id)
    .unwrap_or_else(|_| InvitationId::new("orginv_none"));
    let holder = AccountHolder::of_session(&acme.auth_of(by, now).await).unwrap();
    // A real domain of Acme's for the domain actions (made by Ada once).
    let ada = Actor::Member(&acme.ada.id);
    let mode = EnrollmentMode::AutomaticSuggestion;
    let _ = verified_domain::add(g, ada, "acme", "acme-table.test", mode, now).await;
    let domain = verified_domain::list(g, ada, "acme").await.unwrap()[0]
        .id
        .clone();
    let domain_actions = vec![
        (
            "add domain",
            answer(
                verified_domain::add(g, actor, "acme", "other-table.test", mode, now)
                    .await
                    .map(drop)
                    .map_err(Into::into),
            ),
        ),
        (
            "list domains",
            answer(
                verified_domain::list(g, actor, "acme")
                    .await
                    .map(drop)
                    .map_err(Into::into),
            ),
        ),
        (
            "send domain code",
            answer(
                verified_domain::send_affiliation_code(
                    g,
                    actor,
                    "acme",
                    &domain,
                    "it@acme-table.test",
                    now,
                )
                .await
                .map_err(Into::into),
            ),
        ),
        (
            "verify domain",
            answer(
                verified_domain::verify_affiliation_code(g, actor, "acme", &domain, "123456", now)
                    .await
                    .map_err(Into::into),
            ),
        ),
        (
            "set domain mode",
            answer(
                verified_domain::set_mode(
                    g,
                    actor,
                    "acme",
                    &domain,
                    EnrollmentMode::ManualInvitation,
                    now,
                )
                .await
                .map_err(Into::into),
            ),
        ),
        (
            "remove domain",
            answer(
                verified_domain::remove(g, actor, "acme", &domain)
                    .await
                    .map_err(Into::into),
            ),
        ),
        (
            "decide request",
            answer(
                verified_domain::decide_request(g, actor, "acme", "orgmbr_any", true, now)
                    .await
                    .map_err(Into::into),
            ),
        ),
        (
            "list requests",
            answer(
                membership::requests_page(g, &by.id, "acme", 1, 10)
                    .await
                    .map(drop)
                    .map_err(Into::into),
            ),
        ),
    ];
    let mut actions = vec![
        (
            "invite",
            answer(
                invitation::invite(g, actor, "acme", "eve@example.com", "org:member", now)
                    .await
                    .map(drop),
            ),
        ),
        (
            "list invitations",
            answer(
                invitation::organization_invitations(g, &by.id, "acme", 1, 10, now)
                    .await
                    .map(drop)
                    .map_err(Into::into),
            ),
        ),
        (
            "revoke",
            answer(
                invitation::revoke(g, &by.id, "acme", &invited, now)
                    .await
                    .map(drop)
                    .map_err(Into::into),
            ),
        ),
        (
            "resend",
            answer(
                invitation::resend(g, &by.id, "acme", &invited, now + 120)
                    .await
                    .map(drop)
                    .map_err(Into::into),
            ),
        ),
        (
            "change role",
            answer(
                membership::change_role(g, actor, "acme", &acme.ada.id, "org:member")
                    .await
                    .map_err(Into::into),
            ),
        ),
        (
            "remove member",
            answer(
                membership::remove(g, actor, "acme", &acme.ada.id)
                    .await
                    .map_err(Into::into),
            ),
        ),
        (
            "rename",
            answer(
                organization::rename(g, actor, "acme", "Acme", "acme")
                    .await
                    .map(drop),
            ),
        ),
        (
            "delete",
            answer(
                membership::delete_organization(g, &holder, "acme", "Acme")
                    .await
                    .map_err(Into::into),
            ),
        ),
    ];
    actions.extend(domain_actions);
    actions
}

/// A member without the permissions (Bob) and a stranger (Carol) get
/// `organization_not_found_or_unauthorized` from every admin action — memberships, invitations,
/// domains, requests, the organization itself — and nothing changes.
#[tokio::test]
async fn every_organization_action_checks_its_permission() {
    let acme = Acme::new().await;
    let now = T0 + 20;
    for person in [&acme.bob, &acme.carol] {
        for (action, answer) in every_action(&acme, person, now).await {
            assert_eq!(answer, "organization_not_found_or_unauthorized", "{action}");
        }
    }
    assert_eq!(acme.role_of(&acme.ada).await.as_deref(), Some("org:admin"));
    assert_eq!(acme.role_of(&acme.bob).await.as_deref(), Some("org:member"));
    let g = &acme.flows.gatehouse;
    let domains = verified_domain::list(g, Actor::Member(&acme.ada.id), "acme")
        .await
        .unwrap();
    let names: Vec<_> = domains
        .iter()
        .map(|d| (d.name.as_str(), d.verified, d.enrollment_mode))
        .collect();
    assert_eq!(
        names,
        [(
            "acme-table.test",
            false,
            EnrollmentMode::AutomaticSuggestion
        )]
    );
    assert!(g
        .store
        .find_organization_by_slug("acme")
        .await
        .unwrap()
        .is_some());
    // The stranger cannot read the organization either; the member reads it without the
    // invitations.
    let carol_reads = membership::settings(g, &acme.carol.id, "acme", now).await;
    assert_eq!(code(carol_reads), "organization_not_found_or_unauthorized");
    let bob_reads = membership::settings(g, &acme.bob.id, "acme", now)
        .await
        .unwrap();
    assert_eq!(bob_reads.invitations, vec![]);
    assert!(!bob_reads.may("org:sys_memberships:manage"));
    assert_eq!(bob_reads.members.len(), 2);
    let ada_reads = membership::settings(g, &acme.ada.id, "acme", now)
        .await
        .unwrap();
    assert!(ada_reads.may("org:sys_memberships:manage"));
    assert_eq!(
        ada_reads.invitations.len(),
        1,
        "the one Ada sent in the table"
    );
    assert_eq!(ada_reads.roles, ["org:admin", "org:member"]);
}

/// An admin changes roles and removes members; the change reaches the member's session at its
/// next request (a removed member's session loses the organization and is back to
/// `choose-organization`); the last admin can be neither demoted, removed nor leave.
#[tokio::test]
async fn an_admin_runs_the_members_and_the_last_admin_stays() {
    let acme = Acme::new().await;
    let g = &acme.flows.gatehouse;
    let ada = Actor::Member(&acme.ada.id);
    let now = T0 + 20;
    // Bad input: each on its field.
    let nothing = membership::change_role(g, ada, "acme", &acme.bob.id, " ").await;
    assert_eq!(code(nothing), "form_param_missing");
    let unknown = membership::change_role(g, ada, "acme", &acme.bob.id, "org:owner").await;
    assert_eq!(
        unknown.unwrap_err().meta.param_name.as_deref(),
        Some("role")
    );
    let stranger = membership::change_role(g, ada, "acme", &acme.carol.id, "org:admin").await;
    assert_eq!(code(stranger), "resource_not_found");

    // The last admin.
    for attempt in [
        membership::change_role(g, ada, "acme", &acme.ada.id, "org:member").await,
        membership::remove(g, ada, "acme", &acme.ada.id).await,
        membership::leave(g, &acme.ada.id, "acme").await,
    ] {
        assert_eq!(code(attempt), "organization_minimum_permissions_needed");
    }
    assert_eq!(acme.role_of(&acme.ada).await.as_deref(), Some("org:admin"));

    // Bob promoted: his session's auth carries the new role at its next request.
    assert_eq!(
        acme.auth_of(&acme.bob, now).await.org_role.as_deref(),
        Some("org:member")
    );
    membership::change_role(g, ada, "acme", &acme.bob.id, "org:admin")
        .await
        .unwrap();
    assert_eq!(
        acme.auth_of(&acme.bob, now + 1).await.org_role.as_deref(),
        Some("org:admin")
    );
    // Now Ada may leave (Bob is an admin); her session goes back to choosing an organization.
    let left = acme
        .change(
            &acme.ada,
            SessionChange::LeaveOrganization("acme".into()),
            now + 2,
        )
        .await
        .unwrap();
    assert_eq!(left.snapshot.session_status, Some(SessionStatus::Pending));
    assert_eq!(
        left.snapshot.current_task(),
        Some(TaskKey::ChooseOrganization)
    );
    assert_eq!(acme.role_of(&acme.ada).await, None);

    // Bob removes… himself? He is the last admin now: refused. He invites Ada back as a member
    // and removes her; her session, active in Acme again, loses it.
    let bob = Actor::Member(&acme.bob.id);
    assert_eq!(
        code(membership::remove(g, bob, "acme", &acme.bob.id).await),
        "organization_minimum_permissions_needed"
    );
    g.store
        .upsert_member(&acme.org, &acme.ada.id, "org:member", now)
        .await
        .unwrap();
    let ada_session = acme.ada.signed_in.snapshot.session_id.clone().unwrap();
    organization::set_active(g, &ada_session, &acme.ada.id, Some(&acme.org))
        .await
        .unwrap();
    assert_eq!(
        acme.auth_of(&acme.ada, now + 3).await.org_slug.as_deref(),
        Some("acme")
    );
    membership::remove(g, bob, "acme", &acme.ada.id)
        .await
        .unwrap();
    let ada_now = acme.auth_of(&acme.ada, now + 4).await;
    assert_eq!(
        (ada_now.org_id.clone(), ada_now.current_task()),
        (None, Some(TaskKey::ChooseOrganization))
    );
    // A member who is not the last admin leaves freely; a non-member cannot leave.
    assert_eq!(
        code(membership::leave(g, &acme.carol.id, "acme").await),
        "organization_not_found_or_unauthorized"
    );
}

/// Renaming checks the name and slug as creation does (a slug taken is refused on `slug`);
/// deleting needs a recently verified session and the organization's name typed, then the
/// members' sessions go on without it.
#[tokio::test]
async fn an_admin_renames_and_deletes_the_organization() {
    let acme = Acme::new().await;
    let g = &acme.flows.gatehouse;
    let ada = Actor::Member(&acme.ada.id);
    let now = T0 + 20;
    let carol_session = acme.carol.signed_in.snapshot.session_id.clone().unwrap();
    organization::create(g, &carol_session, &acme.carol.id, "Other", "other", now)
        .await
        .unwrap();
    let taken = organization::rename(g, ada, "acme", "Acme", "other").await;
    assert_eq!(
        taken.unwrap_err().first_error().meta.param_name.as_deref(),
        Some("slug")
    );
    let bad = organization::rename(g, ada, "acme", "", "Not a slug!")
        .await
        .unwrap_err();
    assert_eq!(bad.errors().len(), 2, "both fields at once: {bad:?}");
    assert_eq!(
        organization::rename(g, ada, "acme", "Acme Inc", "acme-inc")
            .await
            .unwrap(),
        "acme-inc"
    );
    assert_eq!(
        acme.auth_of(&acme.bob, now + 1).await.org_slug.as_deref(),
        Some("acme-inc")
    );

    // Deleting: the name typed, and a fresh session (an hour after signing in is stale).
    let stale = AccountHolder::of(&acme.auth_of(&acme.ada, T0 + 3600).await).unwrap();
    let refused = membership::delete_organization(g, &stale, "acme-inc", "Acme Inc").await;
    assert_eq!(code(refused), "session_reverification_required");
    let fresh = AccountHolder::of(&acme.auth_of(&acme.ada, now + 2).await).unwrap();
    let mistyped = membership::delete_organization(g, &fresh, "acme-inc", "Acme").await;
    assert_eq!(
        mistyped.unwrap_err().meta.param_name.as_deref(),
        Some("confirmation")
    );
    let change = SessionChange::DeleteOrganization {
        holder: fresh,
        slug: "acme-inc".into(),
        confirmation: "Acme Inc".into(),
    };
    let deleted = acme.change(&acme.ada, change, now + 3).await.unwrap();
    assert_eq!(
        deleted.snapshot.current_task(),
        Some(TaskKey::ChooseOrganization)
    );
    assert!(g
        .store
        .find_organization_by_slug("acme-inc")
        .await
        .unwrap()
        .is_none());
    let bob_now = acme.auth_of(&acme.bob, now + 4).await;
    assert_eq!(
        (bob_now.org_id.clone(), bob_now.current_task()),
        (None, Some(TaskKey::ChooseOrganization))
    );
}

/// `use_organization()`'s lists, paginated like Clerk's: the members for any member, oldest
/// first, with the total; the pending membership requests only for a role that manages
/// memberships.
#[tokio::test]
async fn the_organizations_lists_come_a_page_at_a_time() {
    let acme = Acme::new().await;
    let g = &acme.flows.gatehouse;
    let page = |n| membership::members_page(g, &acme.bob.id, "acme", n, 1);
    let first = page(1).await.unwrap();
    assert_eq!(
        (first.data.len(), first.total_count, first.has_next()),
        (1, 2, true)
    );
    assert_eq!(first.data[0].user_id, acme.ada.id, "oldest first");
    let second = page(2).await.unwrap();
    assert_eq!(second.data[0].user_id, acme.bob.id);
    assert!(!second.has_next() && second.has_previous());
    assert!(page(3).await.unwrap().data.is_empty());
    // A page size is kept within 1..=50.
    let all = membership::members_page(g, &acme.bob.id, "acme", 0, 500)
        .await
        .unwrap();
    assert_eq!((all.page, all.page_size, all.data.len()), (1, 50, 2));
    let stranger = membership::members_page(g, &acme.carol.id, "acme", 1, 10).await;
    assert_eq!(code(stranger), "organization_not_found_or_unauthorized");
    // Requests: the admin's; a member without the permission gets the stranger's answer.
    let requests = membership::requests_page(g, &acme.ada.id, "acme", 1, 10)
        .await
        .unwrap();
    assert_eq!((requests.total_count, requests.data.len()), (0, 0));
    let bobs = membership::requests_page(g, &acme.bob.id, "acme", 1, 10).await;
    assert_eq!(code(bobs), "organization_not_found_or_unauthorized");
}

also_on_postgres!(
    the_organizations_lists_come_a_page_at_a_time,
    every_organization_action_checks_its_permission,
    an_admin_runs_the_members_and_the_last_admin_stays,
    an_admin_renames_and_deletes_the_organization,
);
