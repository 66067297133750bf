//! Organizations' verified domains and membership requests, through the domain, the clock a
//! number: adding (the quota, common providers, bad input), verifying by the emailed code (its
//! rules) or by the operator, each enrollment mode — a new and an existing user at an
//! `automatic_invitation` domain get one pending invitation, a user at an
//! `automatic_suggestion` domain a suggestion whose request an admin decides once — and who may
//! do each. Each test runs on the fake and once more on PostgreSQL (SQLite: the store suite).

use gatehouse::{
    domain::{
        invitation,
        organization::{self, Actor},
        verified_domain,
    },
    model::{EnrollmentMode, OrgId, UserId},
};

use crate::flows::{also_on_postgres, Flows};

const T0: i64 = 1_800_000_000;

struct Acme {
    flows: Flows,
    ada: UserId,
    org: OrgId,
}

impl Acme {
    /// Acme, made by Ada (`org:admin`), on an instance with organizations on.
    async fn new() -> Self {
        let flows = Flows::with_env(&[("GATEHOUSE_ORGANIZATIONS__ENABLED", "true")]);
        let ada = flows.sign_up("ada@example.com", T0).await;
        let (session, ada) = (
            ada.snapshot.session_id.unwrap(),
            ada.snapshot.user.unwrap().id,
        );
        let g = &flows.gatehouse;
        let org = organization::create(g, &session, &ada, "Acme", "acme", T0)
            .await
            .unwrap();
        Self { flows, ada, org }
    }

    fn ada(&self) -> Actor<'_> {
        Actor::Member(&self.ada)
    }

    /// A verified domain of Acme's in `mode` (marked by the operator).
    async fn verified(&self, name: &str, mode: EnrollmentMode, now: i64) {
        let g = &self.flows.gatehouse;
        verified_domain::add(g, self.ada(), "acme", name, mode, now)
            .await
            .unwrap();
        verified_domain::mark_verified(g, "acme", name, now)
            .await
            .unwrap();
    }

    async fn user(&self, email: &str, now: i64) -> UserId {
        self.flows
            .sign_up(email, now)
            .await
            .snapshot
            .user
            .unwrap()
            .id
    }
}

fn code<T: std::fmt::Debug>(result: Result<T, gatehouse::model::AuthError>) -> String {
    result.unwrap_err().code.to_string()
}

/// Adding: each refusal on its field or with its code, at most 10, only with
/// `org:sys_domains:manage`; verifying by the code emailed to an address at the domain, under
/// the code rules.
#[tokio::test]
async fn domains_are_added_within_the_rules_and_verified_by_the_emailed_code() {
    let acme = Acme::new().await;
    let (g, now) = (&acme.flows.gatehouse, T0 + 10);
    let manual = EnrollmentMode::ManualInvitation;
    let add = |name: &'static str| verified_domain::add(g, acme.ada(), "acme", name, manual, now);
    assert_eq!(code(add("gmail.com").await), "organization_domain_common");
    assert_eq!(
        add("Not a domain")
            .await
            .unwrap_err()
            .meta
            .param_name
            .as_deref(),
        Some("name")
    );
    assert_eq!(code(add("").await), "form_param_missing");
    let added = add("Acme.COM.").await.unwrap();
    assert_eq!((added.name.as_str(), added.verified), ("acme.com", false));
    assert_eq!(code(add("acme.com").await), "form_identifier_exists");
    for n in 2..=10 {
        let name = format!("acme{n}.com");
        verified_domain::add(g, acme.ada(), "acme", &name, manual, now)
            .await
            .unwrap();
    }
    assert_eq!(
        code(add("acme11.com").await),
        "organization_domain_quota_exceeded"
    );
    // A member without the permission, and a stranger: as for no organization at all.
    let bob = acme.user("bob@acme.com", now).await;
    g.store
        .upsert_member(&acme.org, &bob, "org:member", now)
        .await
        .unwrap();
    let by_bob = verified_domain::add(g, Actor::Member(&bob), "acme", "bob.com", manual, now).await;
    assert_eq!(code(by_bob), "organization_not_found_or_unauthorized");

    // The code goes to an address at the domain only.
    let id = added.id.clone();
    let send = |email: &'static str, at: i64| {
        verified_domain::send_affiliation_code(g, acme.ada(), "acme", &id, email, at)
    };
    let elsewhere = send("it@example.com", now).await.unwrap_err();
    assert_eq!(
        elsewhere.meta.param_name.as_deref(),
        Some("affiliation_email_address")
    );
    send("it@acme.com", now).await.unwrap();
    let mailed = acme.flows.code_sent_to("it@acme.com");
    let ada = acme.ada();
    let verify = |typed: String, at: i64| {
        let id = id.clone();
        async move { verified_domain::verify_affiliation_code(g, ada, "acme", &id, &typed, at).await }
    };
    let wrong = if mailed == "000000" {
        "111111"
    } else {
        "000000"
    };
    assert_eq!(
        code(verify(wrong.into(), now + 1).await),
        "form_code_incorrect"
    );
    // Bob may not verify it, even with the code.
    let bobs =
        verified_domain::verify_affiliation_code(g, Actor::Member(&bob), "acme", &id, &mailed, now);
    assert_eq!(code(bobs.await), "organization_not_found_or_unauthorized");
    verify(mailed.clone(), now + 2).await.unwrap();
    assert_eq!(
        code(verify(mailed, now + 3).await),
        "verification_already_verified"
    );
    let listed = verified_domain::list(g, acme.ada(), "acme").await.unwrap();
    let acme_com = listed.iter().find(|d| d.name == "acme.com").unwrap();
    assert!(acme_com.verified);
    assert_eq!(
        acme_com.affiliation_email_address.as_deref(),
        Some("it@acme.com")
    );
}

/// `automatic_invitation`: the users already at the domain are invited when it is verified,
/// a user signing up there later when they sign up — one pending invitation each, as
/// `org:member`, with no email; an address elsewhere gets none.
#[tokio::test]
async fn an_automatic_invitation_domain_invites_existing_and_new_users_once() {
    let acme = Acme::new().await;
    let g = &acme.flows.gatehouse;
    acme.user("early@acme.com", T0 + 1).await;
    acme.user("other@example.com", T0 + 1).await;
    acme.verified("acme.com", EnrollmentMode::AutomaticInvitation, T0 + 2)
        .await;
    acme.user("late@acme.com", T0 + 3).await;
    for email in ["early@acme.com", "late@acme.com"] {
        let pending = invitation::user_invitations(g, email, T0 + 4)
            .await
            .unwrap();
        assert_eq!(pending.len(), 1, "{email}: {pending:?}");
        assert_eq!(
            (
                pending[0].organization_slug.as_str(),
                pending[0].role.as_str()
            ),
            ("acme", "org:member")
        );
        assert!(acme
            .flows
            .mails_to(email)
            .iter()
            .all(|mail| !mail.contains("__clerk_ticket")));
    }
    assert_eq!(
        invitation::user_invitations(g, "other@example.com", T0 + 4)
            .await
            .unwrap(),
        vec![]
    );
    // Verifying again, or switching the mode back and forth, invites nobody twice.
    let id = verified_domain::list(g, acme.ada(), "acme").await.unwrap()[0]
        .id
        .clone();
    let to = |mode| verified_domain::set_mode(g, acme.ada(), "acme", &id, mode, T0 + 5);
    to(EnrollmentMode::ManualInvitation).await.unwrap();
    to(EnrollmentMode::AutomaticInvitation).await.unwrap();
    verified_domain::mark_verified(g, "acme", "acme.com", T0 + 6)
        .await
        .unwrap();
    assert_eq!(
        invitation::user_invitations(g, "early@acme.com", T0 + 7)
            .await
            .unwrap()
            .len(),
        1
    );
    // An unverified domain invites no one.
    verified_domain::add(
        g,
        acme.ada(),
        "acme",
        "acme.org",
        EnrollmentMode::AutomaticInvitation,
        T0 + 8,
    )
    .await
    .unwrap();
    acme.user("new@acme.org", T0 + 9).await;
    assert_eq!(
        invitation::user_invitations(g, "new@acme.org", T0 + 10)
            .await
            .unwrap(),
        vec![]
    );
}

/// `automatic_suggestion`: a user at the domain sees the organization suggested; "Request to
/// join" makes one pending request (asking again changes nothing) and the suggestion reads
/// `accepted`; an admin approves it once (the user is `org:member`) or rejects it; only a user
/// it is suggested to may ask, only an admin may decide.
#[tokio::test]
async fn an_automatic_suggestion_domain_suggests_and_an_admin_decides_each_request_once() {
    let acme = Acme::new().await;
    let (g, now) = (&acme.flows.gatehouse, T0 + 10);
    acme.verified("acme.com", EnrollmentMode::AutomaticSuggestion, now)
        .await;
    let sue = acme.user("sue@acme.com", now).await;
    let rex = acme.user("rex@acme.com", now).await;
    let eve = acme.user("eve@example.com", now).await;
    let suggested = verified_domain::suggestions(g, &sue, "sue@acme.com")
        .await
        .unwrap();
    assert_eq!(suggested.len(), 1);
    assert_eq!(
        (
            suggested[0].organization_slug.as_str(),
            suggested[0].status.as_str()
        ),
        ("acme", "pending")
    );
    assert_eq!(
        verified_domain::suggestions(g, &eve, "eve@example.com")
            .await
            .unwrap(),
        vec![]
    );
    let eve_asks =
        verified_domain::request_to_join(g, &eve, "eve@example.com", &acme.org, now).await;
    assert_eq!(code(eve_asks), "organization_not_found_or_unauthorized");

    for (user, email) in [(&sue, "sue@acme.com"), (&rex, "rex@acme.com")] {
        verified_domain::request_to_join(g, user, email, &acme.org, now)
            .await
            .unwrap();
        verified_domain::request_to_join(g, user, email, &acme.org, now + 1)
            .await
            .unwrap();
    }
    let suggested = verified_domain::suggestions(g, &sue, "sue@acme.com")
        .await
        .unwrap();
    assert_eq!(suggested[0].status, "accepted");
    let requests = g.store.list_membership_requests(&acme.org).await.unwrap();
    assert_eq!(
        requests
            .iter()
            .map(|r| r.email_address.as_str())
            .collect::<Vec<_>>(),
        ["sue@acme.com", "rex@acme.com"]
    );

    // A member without the permission may not decide.
    let bob = acme.user("bob@example.com", now).await;
    g.store
        .upsert_member(&acme.org, &bob, "org:member", now)
        .await
        .unwrap();
    let by_bob =
        verified_domain::decide_request(g, Actor::Member(&bob), "acme", &requests[0].id, true, now);
    assert_eq!(code(by_bob.await), "organization_not_found_or_unauthorized");

    verified_domain::decide_request(g, acme.ada(), "acme", &requests[0].id, true, now + 2)
        .await
        .unwrap();
    let twice =
        verified_domain::decide_request(g, acme.ada(), "acme", &requests[0].id, false, now + 3);
    assert_eq!(code(twice.await), "resource_not_found");
    verified_domain::decide_request(g, acme.ada(), "acme", &requests[1].id, false, now + 3)
        .await
        .unwrap();
    assert_eq!(
        g.store
            .membership_role(&acme.org, &sue)
            .await
            .unwrap()
            .as_deref(),
        Some("org:member")
    );
    assert_eq!(
        g.store.membership_role(&acme.org, &rex).await.unwrap(),
        None
    );
    // A member is suggested nothing more; a rejected user may ask again.
    assert_eq!(
        verified_domain::suggestions(g, &sue, "sue@acme.com")
            .await
            .unwrap(),
        vec![]
    );
    let rex_again = verified_domain::suggestions(g, &rex, "rex@acme.com")
        .await
        .unwrap();
    assert_eq!(rex_again[0].status, "pending");
    assert!(g
        .store
        .list_membership_requests(&acme.org)
        .await
        .unwrap()
        .is_empty());
}

also_on_postgres!(
    domains_are_added_within_the_rules_and_verified_by_the_emailed_code,
    an_automatic_invitation_domain_invites_existing_and_new_users_once,
    an_automatic_suggestion_domain_suggests_and_an_admin_decides_each_request_once,
);
