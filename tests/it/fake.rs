//! An in-memory implementation of the domain's ports. It passes the same store suite as SQLite
//! (`store.rs`), so domain flows can run against it with a fixed clock: no database file, no
//! wall-clock time. Every operation holds one lock, so each is atomic like its SQL statement.

use std::{collections::HashMap, sync::Mutex};

use async_trait::async_trait;
use gatehouse::{
    domain::{
        codes::CodeState,
        ids::{new_id, new_row_id},
        lockout::Reserved,
        ports::{
            Attempts, AuditFilter, AuditLog, AuditRow, CeremonyKind, CeremonyRow, ClientActivity,
            Clients, CodeKey, Codes, DomainCreation, DomainRow, Domains, ExternalAccountRow,
            ExternalAccounts, ExternalIdentity, Factors, InvitationCreation, InvitationRow,
            Invitations, Limits, MemberChange, NewBackupCodes, NewInvitation, NewSession, NewUser,
            OrganizationRow, Organizations, PasskeyCreation, PasskeyOwner, PasskeyRow, Passkeys,
            RequestDecision, ReservedCodeTry, ResolvedClientRow, ResolvedSession, SignUpRecord,
            SigningKeyRow, SigningKeys, StoredSignIn, TotpConfirmation, TotpFactor, Unlink,
            UserCreation, UserListRow, UserRecord, UserSessionRow, Users, VerifiedFactor,
            MAX_AUDIT_PAGE, MAX_DOMAINS, MAX_PASSKEYS,
        },
        secret::Secret,
        Timestamp,
    },
    model::{
        AuthError, ClientId, EnrollmentMode, InvitationId, InvitationStatus, Member, Membership,
        MembershipRequest, OrgId, SessionId, SignInId, SignUpId, UserId, ROLE_ADMIN,
    },
};

#[derive(Clone, Debug)]
struct User {
    id: UserId,
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    password_hash: Option<Secret<String>>,
    second_factor_enabled: bool,
    password_reset_required: bool,
    last_active_org: Option<OrgId>,
    created_at: Timestamp,
}

#[derive(Clone, Debug)]
struct Client {
    id: ClientId,
    token_hash: Vec<u8>,
    current_session: Option<SessionId>,
    activity: ClientActivity,
    last_active_at: Option<Timestamp>,
    created_at: Timestamp,
}

#[derive(Clone, Debug)]
struct Session {
    id: SessionId,
    created_at: Timestamp,
    client_id: ClientId,
    user_id: UserId,
    active_org: Option<OrgId>,
    first_factor_at: Timestamp,
    second_factor_at: Option<Timestamp>,
    expires_at: Timestamp,
    ended_at: Option<Timestamp>,
    activated_at: Timestamp,
}

#[derive(Clone, Debug)]
struct SignInRow {
    stored: StoredSignIn,
    client_id: ClientId,
    finalized: bool,
    code_tries: u32,
}

#[derive(Clone, Debug)]
struct MemberRow {
    org: OrgId,
    user: UserId,
    role: String,
}

#[derive(Clone, Debug)]
struct InvitationEntry {
    id: InvitationId,
    org: OrgId,
    email: String,
    role: String,
    status: InvitationStatus,
    inviter: Option<UserId>,
    ticket_hash: Vec<u8>,
    created_at: Timestamp,
    sent_at: Timestamp,
    expires_at: Timestamp,
}

#[derive(Clone, Debug)]
struct StoredKey {
    row: SigningKeyRow,
    publish_until: Option<Timestamp>,
}

#[derive(Default)]
struct State {
    signing_keys: Vec<StoredKey>,
    users: Vec<User>,
    clients: Vec<Client>,
    sessions: Vec<Session>,
    sign_ups: Vec<SignUpRecord>,
    sign_ins: Vec<SignInRow>,
    codes: HashMap<(String, &'static str), CodeState>,
    totp: HashMap<UserId, TotpFactor>,
    backup_codes: Vec<(UserId, Vec<u8>, bool)>,
    reveals: HashMap<SessionId, (Vec<String>, Timestamp)>,
    orgs: Vec<OrganizationRow>,
    members: Vec<MemberRow>,
    invitations: Vec<InvitationEntry>,
    domains: Vec<(DomainRow, Timestamp)>,
    /// (id, organization, user, status).
    requests: Vec<(String, OrgId, UserId, &'static str, Timestamp)>,
    /// Each identifier's counter and when it last changed.
    guesses: HashMap<String, (Reserved, Timestamp)>,
    rates: HashMap<String, (i64, Timestamp)>,
    external: Vec<ExternalAccountRow>,
    external_owner: HashMap<String, UserId>,
    passkeys: Vec<PasskeyRow>,
    ceremonies: Vec<CeremonyRow>,
    audit: Vec<AuditRow>,
}

impl State {
    /// Whether a membership change may be made (the stores' `lock_member`).
    fn member_change(
        &self,
        org: &OrgId,
        user: &UserId,
        managers: &[String],
        leaves_managers: bool,
    ) -> MemberChange {
        let Some(role) = self.role(org, user) else {
            return MemberChange::NotAMember;
        };
        let other_managers = self
            .members
            .iter()
            .filter(|m| &m.org == org && &m.user != user && managers.contains(&m.role))
            .count();
        if leaves_managers && managers.contains(&role) && other_managers == 0 {
            MemberChange::LastManager
        } else {
            MemberChange::Done
        }
    }

    /// Clears `org` as the active organization of `user`'s sessions (of everyone's: `None`).
    fn clear_active(&mut self, org: &OrgId, user: Option<&UserId>) {
        let concerned = |id: &UserId| user.is_none_or(|user| user == id);
        for session in &mut self.sessions {
            if session.active_org.as_ref() == Some(org) && concerned(&session.user_id) {
                session.active_org = None;
            }
        }
        for stored in &mut self.users {
            if stored.last_active_org.as_ref() == Some(org) && concerned(&stored.id) {
                stored.last_active_org = None;
            }
        }
    }

    /// Moves the sign-in attempt to `next` if it is still at `version`.
    fn move_sign_in(&mut self, id: &SignInId, version: i64, next: &str) -> bool {
        match self
            .sign_ins
            .iter_mut()
            .find(|row| &row.stored.id == id && row.stored.version == version && !row.finalized)
        {
            Some(row) => {
                row.stored.state = next.to_string();
                row.stored.version += 1;
                true
            }
            None => false,
        }
    }

    /// Links `identity` to `user_id`; `false` when it is linked already (to anyone).
    fn link(&mut self, user_id: &UserId, identity: &ExternalIdentity, now: Timestamp) -> bool {
        if self
            .external
            .iter()
            .any(|row| row.provider == identity.provider && row.subject == identity.subject)
        {
            return false;
        }
        let id = new_row_id("eac");
        self.external_owner.insert(id.clone(), user_id.clone());
        self.external.push(ExternalAccountRow {
            id,
            provider: identity.provider.clone(),
            subject: identity.subject.clone(),
            email: identity.email.clone(),
            created_at: now,
        });
        true
    }

    fn user_by_email(&self, email: &str) -> Option<&User> {
        self.users.iter().find(|user| user.email == email)
    }

    fn user_mut(&mut self, id: &UserId) -> Option<&mut User> {
        self.users.iter_mut().find(|user| &user.id == id)
    }

    fn invitation_row(&self, entry: &InvitationEntry) -> Option<InvitationRow> {
        let organization = self.orgs.iter().find(|o| o.id == entry.org)?.clone();
        Some(InvitationRow {
            id: entry.id.clone(),
            organization,
            email: entry.email.clone(),
            role: entry.role.clone(),
            status: entry.status,
            inviter: entry.inviter.clone(),
            ticket_hash: entry.ticket_hash.clone(),
            created_at: entry.created_at,
            sent_at: entry.sent_at,
            expires_at: entry.expires_at,
        })
    }

    /// Live pending: pending and not past its expiry.
    fn live(entry: &InvitationEntry, now: Timestamp) -> bool {
        entry.status == InvitationStatus::Pending && entry.expires_at > now
    }

    fn role(&self, org: &OrgId, user: &UserId) -> Option<String> {
        self.members
            .iter()
            .find(|m| &m.org == org && &m.user == user)
            .map(|m| m.role.clone())
    }

    fn end_sessions(&mut self, keep: impl Fn(&Session) -> bool, now: Timestamp) -> u64 {
        let mut ended = 0;
        for session in &mut self.sessions {
            if session.ended_at.is_none() && !keep(session) {
                session.ended_at = Some(now);
                ended += 1;
            }
        }
        ended
    }

    fn resolve_session(&self, s: &Session) -> Option<ResolvedSession> {
        let user = self.users.iter().find(|u| u.id == s.user_id)?;
        let org = s
            .active_org
            .as_ref()
            .and_then(|org| Some((org, self.role(org, &s.user_id)?)));
        Some(ResolvedSession {
            session_id: s.id.clone(),
            user_id: s.user_id.clone(),
            email_address: user.email.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            password_reset_required: user.password_reset_required,
            second_factor_enabled: user.second_factor_enabled,
            password_enabled: user.password_hash.is_some(),
            active_org_id: org.as_ref().map(|(org, _)| (*org).clone()),
            active_org_slug: org.as_ref().and_then(|(org, _)| {
                self.orgs
                    .iter()
                    .find(|o| &o.id == *org)
                    .map(|o| o.slug.clone())
            }),
            active_org_role: org.map(|(_, role)| role),
            first_factor_at: Some(s.first_factor_at),
            second_factor_at: s.second_factor_at,
        })
    }

    /// The client's live sessions, most recently current first.
    fn live_sessions_of(&self, client_id: &ClientId, now: Timestamp) -> Vec<&Session> {
        let mut live: Vec<&Session> = self
            .sessions
            .iter()
            .filter(|s| &s.client_id == client_id && s.ended_at.is_none() && s.expires_at > now)
            .collect();
        live.sort_by_key(|s| std::cmp::Reverse((s.activated_at, s.created_at)));
        live
    }

    fn resolve(&self, client: &Client, now: Timestamp) -> ResolvedClientRow {
        let mut row = ResolvedClientRow {
            client_id: client.id.clone(),
            last_active_at: client.last_active_at,
            session: None,
            other_sessions: Vec::new(),
        };
        for s in self.live_sessions_of(&client.id, now) {
            let Some(resolved) = self.resolve_session(s) else {
                continue;
            };
            if client.current_session.as_ref() == Some(&s.id) {
                row.session = Some(resolved);
            } else {
                row.other_sessions.push(resolved);
            }
        }
        row
    }

    fn insert_user(&mut self, id: &UserId, user: &NewUser<'_>, now: Timestamp) -> bool {
        if self.user_by_email(user.email).is_some() {
            return false;
        }
        self.users.push(User {
            id: id.clone(),
            email: user.email.to_string(),
            first_name: user.first_name.map(str::to_string),
            last_name: user.last_name.map(str::to_string),
            password_hash: user.password_hash.cloned(),
            second_factor_enabled: false,
            password_reset_required: false,
            last_active_org: None,
            created_at: now,
        });
        true
    }
}

/// The in-memory store.
#[derive(Default)]
pub struct FakeStore {
    state: Mutex<State>,
    /// Every audit write fails (what an action does when its event cannot be written).
    pub(crate) audit_fails: std::sync::atomic::AtomicBool,
}

impl FakeStore {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }
}

#[async_trait]
impl Users for FakeStore {
    async fn find_user_by_email(&self, email: &str) -> Result<Option<UserRecord>, AuthError> {
        Ok(self.state().user_by_email(email).map(|user| UserRecord {
            id: user.id.clone(),
            email: user.email.clone(),
            password_hash: user.password_hash.clone(),
            second_factor_enabled: user.second_factor_enabled,
        }))
    }

    async fn create_user(
        &self,
        user: NewUser<'_>,
        now: Timestamp,
    ) -> Result<Option<UserId>, AuthError> {
        let id: UserId = new_id();
        Ok(self.state().insert_user(&id, &user, now).then_some(id))
    }

    async fn list_users(&self) -> Result<Vec<UserListRow>, AuthError> {
        let mut users: Vec<UserListRow> = self
            .state()
            .users
            .iter()
            .map(|user| UserListRow {
                id: user.id.clone(),
                email: user.email.clone(),
                first_name: user.first_name.clone(),
                last_name: user.last_name.clone(),
                created_at: user.created_at,
            })
            .collect();
        users.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(users)
    }

    async fn password_hash(&self, user_id: &UserId) -> Result<Option<Secret<String>>, AuthError> {
        Ok(self
            .state()
            .users
            .iter()
            .find(|user| &user.id == user_id)
            .and_then(|user| user.password_hash.clone()))
    }

    async fn replace_password(
        &self,
        user_id: &UserId,
        hash: &Secret<String>,
        keep: Option<&SessionId>,
        end_other_sessions: bool,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        let mut state = self.state();
        if let Some(user) = state.user_mut(user_id) {
            user.password_hash = Some(hash.clone());
            user.password_reset_required = false;
        }
        if end_other_sessions {
            state.end_sessions(|s| &s.user_id != user_id || Some(&s.id) == keep, now);
        }
        Ok(())
    }

    async fn require_password_reset(
        &self,
        user_id: &UserId,
        end_sessions: bool,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        let mut state = self.state();
        if let Some(user) = state.user_mut(user_id) {
            user.password_reset_required = true;
        }
        if end_sessions {
            state.end_sessions(|s| &s.user_id != user_id, now);
        }
        Ok(())
    }

    async fn update_name(
        &self,
        user_id: &UserId,
        first_name: Option<&str>,
        last_name: Option<&str>,
        _now: Timestamp,
    ) -> Result<(), AuthError> {
        if let Some(user) = self.state().users.iter_mut().find(|u| &u.id == user_id) {
            user.first_name = first_name.map(str::to_string);
            user.last_name = last_name.map(str::to_string);
        }
        Ok(())
    }

    async fn delete_user(&self, user_id: &UserId) -> Result<bool, AuthError> {
        let mut state = self.state();
        let before = state.users.len();
        state.users.retain(|u| &u.id != user_id);
        // What the foreign keys cascade to.
        state.sessions.retain(|s| &s.user_id != user_id);
        state.totp.remove(user_id);
        state.backup_codes.retain(|(owner, _, _)| owner != user_id);
        state.members.retain(|m| &m.user != user_id);
        let links: Vec<String> = state
            .external_owner
            .iter()
            .filter(|(_, owner)| *owner == user_id)
            .map(|(id, _)| id.clone())
            .collect();
        state.external.retain(|row| !links.contains(&row.id));
        state.external_owner.retain(|_, owner| owner != user_id);
        state.passkeys.retain(|row| &row.user_id != user_id);
        state
            .ceremonies
            .retain(|row| row.user_id.as_ref() != Some(user_id));
        Ok(state.users.len() < before)
    }
}

#[async_trait]
impl Clients for FakeStore {
    async fn create_client(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> Result<ClientId, AuthError> {
        let id: ClientId = new_id();
        self.state().clients.push(Client {
            id: id.clone(),
            token_hash: token_hash.to_vec(),
            current_session: None,
            activity: ClientActivity::default(),
            last_active_at: None,
            created_at: now,
        });
        Ok(id)
    }

    async fn create_session(
        &self,
        session: NewSession<'_>,
        now: Timestamp,
    ) -> Result<SessionId, AuthError> {
        let mut state = self.state();
        let existing = if session.keep_other_sessions {
            state
                .live_sessions_of(session.client_id, now)
                .into_iter()
                .find(|s| &s.user_id == session.user_id)
                .map(|s| s.id.clone())
        } else {
            state.end_sessions(|s| &s.client_id != session.client_id, now);
            None
        };
        let id = match existing {
            Some(id) => {
                if let Some(s) = state.sessions.iter_mut().find(|s| s.id == id) {
                    s.first_factor_at = session.first_factor_at;
                    s.second_factor_at = session.second_factor_at;
                    s.activated_at = now;
                }
                id
            }
            None => {
                let id: SessionId = new_id();
                let active_org = state
                    .users
                    .iter()
                    .find(|u| &u.id == session.user_id)
                    .and_then(|u| u.last_active_org.clone())
                    .filter(|org| state.role(org, session.user_id).is_some());
                state.sessions.push(Session {
                    id: id.clone(),
                    created_at: now,
                    client_id: session.client_id.clone(),
                    user_id: session.user_id.clone(),
                    active_org,
                    first_factor_at: session.first_factor_at,
                    second_factor_at: session.second_factor_at,
                    expires_at: session.expires_at,
                    ended_at: None,
                    activated_at: now,
                });
                id
            }
        };
        if let Some(client) = state
            .clients
            .iter_mut()
            .find(|c| &c.id == session.client_id)
        {
            client.current_session = Some(id.clone());
            client.token_hash = session.new_token_hash.to_vec();
        }
        Ok(id)
    }

    async fn set_current_session(
        &self,
        client_id: &ClientId,
        session_id: &SessionId,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let mut state = self.state();
        let Some(session) = state.sessions.iter_mut().find(|s| {
            &s.id == session_id
                && &s.client_id == client_id
                && s.ended_at.is_none()
                && s.expires_at > now
        }) else {
            return Ok(false);
        };
        session.activated_at = now;
        if let Some(client) = state.clients.iter_mut().find(|c| &c.id == client_id) {
            client.current_session = Some(session_id.clone());
        }
        Ok(true)
    }

    async fn end_client_session(
        &self,
        client_id: &ClientId,
        session_id: &SessionId,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let mut state = self.state();
        if state.end_sessions(|s| &s.id != session_id || &s.client_id != client_id, now) != 1 {
            return Ok(false);
        }
        let next = state
            .live_sessions_of(client_id, now)
            .first()
            .map(|s| s.id.clone());
        if let Some(client) = state
            .clients
            .iter_mut()
            .find(|c| &c.id == client_id && c.current_session.as_ref() == Some(session_id))
        {
            client.current_session = next;
        }
        Ok(true)
    }

    async fn end_client_sessions(
        &self,
        client_id: &ClientId,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        let mut state = self.state();
        state.end_sessions(|s| &s.client_id != client_id, now);
        if let Some(client) = state.clients.iter_mut().find(|c| &c.id == client_id) {
            client.current_session = None;
        }
        Ok(())
    }

    async fn end_user_sessions(
        &self,
        user_id: &UserId,
        keep: Option<&SessionId>,
        now: Timestamp,
    ) -> Result<u64, AuthError> {
        Ok(self
            .state()
            .end_sessions(|s| &s.user_id != user_id || Some(&s.id) == keep, now))
    }

    async fn end_session(&self, session_id: &SessionId, now: Timestamp) -> Result<bool, AuthError> {
        Ok(self.state().end_sessions(|s| &s.id != session_id, now) == 1)
    }

    async fn mark_factor_verified(
        &self,
        session_id: &SessionId,
        factor: VerifiedFactor,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        if let Some(session) = self
            .state()
            .sessions
            .iter_mut()
            .find(|s| &s.id == session_id)
        {
            match factor {
                VerifiedFactor::First => session.first_factor_at = now,
                VerifiedFactor::Second => session.second_factor_at = Some(now),
            }
        }
        Ok(())
    }

    async fn expire_factor_verification(
        &self,
        user_id: Option<&UserId>,
        session_id: Option<&SessionId>,
    ) -> Result<u64, AuthError> {
        let mut count = 0;
        for session in self.state().sessions.iter_mut().filter(|s| {
            s.ended_at.is_none() && (Some(&s.user_id) == user_id || Some(&s.id) == session_id)
        }) {
            session.first_factor_at = 0;
            session.second_factor_at = Some(0);
            count += 1;
        }
        Ok(count)
    }

    async fn prune_abandoned(
        &self,
        idle_since: Timestamp,
        now: Timestamp,
    ) -> Result<u64, AuthError> {
        let mut state = self.state();
        let before = state.sign_ins.len()
            + state.sign_ups.len()
            + state.codes.len()
            + state.ceremonies.len();
        state.sign_ins.retain(|row| row.stored.expires_at > now);
        state.sign_ups.retain(|row| row.abandon_at > now);
        state.codes.retain(|_, code| code.expires_at > idle_since);
        state.ceremonies.retain(|row| row.expires_at > now);
        let after = state.sign_ins.len()
            + state.sign_ups.len()
            + state.codes.len()
            + state.ceremonies.len();
        let sessions = state.sessions.clone();
        let clients = state.clients.len();
        state.clients.retain(|client| {
            client.last_active_at.unwrap_or(client.created_at) > idle_since
                || sessions.iter().any(|s| s.client_id == client.id)
        });
        let gone = clients - state.clients.len();
        Ok(u64::try_from(before - after + gone).unwrap())
    }

    async fn client_has_held_session(
        &self,
        client_id: &ClientId,
        user_id: &UserId,
    ) -> Result<bool, AuthError> {
        Ok(self
            .state()
            .sessions
            .iter()
            .any(|s| &s.client_id == client_id && &s.user_id == user_id))
    }

    async fn resolve_client(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<ResolvedClientRow>, AuthError> {
        let state = self.state();
        Ok(state
            .clients
            .iter()
            .find(|c| c.token_hash == token_hash)
            .map(|client| state.resolve(client, now)))
    }

    async fn resolve_client_by_id(
        &self,
        client_id: &ClientId,
        now: Timestamp,
    ) -> Result<Option<ResolvedClientRow>, AuthError> {
        let state = self.state();
        Ok(state
            .clients
            .iter()
            .find(|c| &c.id == client_id)
            .map(|client| state.resolve(client, now)))
    }

    async fn resolve_client_of_session(
        &self,
        session_id: &SessionId,
        now: Timestamp,
    ) -> Result<Option<ResolvedClientRow>, AuthError> {
        let state = self.state();
        let Some(client_id) = state
            .sessions
            .iter()
            .find(|s| &s.id == session_id)
            .map(|s| s.client_id.clone())
        else {
            return Ok(None);
        };
        Ok(state
            .clients
            .iter()
            .find(|c| c.id == client_id)
            .map(|client| state.resolve(client, now)))
    }

    async fn record_client_activity(
        &self,
        client_id: &ClientId,
        activity: &ClientActivity,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        if let Some(client) = self.state().clients.iter_mut().find(|c| &c.id == client_id) {
            client.activity = activity.clone();
            client.last_active_at = Some(now);
        }
        Ok(())
    }

    async fn list_user_sessions(
        &self,
        user_id: &UserId,
        now: Timestamp,
    ) -> Result<Vec<UserSessionRow>, AuthError> {
        let state = self.state();
        let mut rows: Vec<UserSessionRow> = state
            .sessions
            .iter()
            .filter(|s| &s.user_id == user_id && s.ended_at.is_none() && s.expires_at > now)
            .filter_map(|s| {
                let client = state.clients.iter().find(|c| c.id == s.client_id)?;
                Some(UserSessionRow {
                    session_id: s.id.clone(),
                    client_id: s.client_id.clone(),
                    created_at: s.created_at,
                    user_agent: client.activity.user_agent.clone(),
                    ip_address: client.activity.ip_address.clone(),
                    last_active_at: client.last_active_at,
                })
            })
            .collect();
        let recency = |row: &UserSessionRow| row.last_active_at.unwrap_or(0).max(row.created_at);
        rows.sort_by(|a, b| {
            recency(b)
                .cmp(&recency(a))
                .then_with(|| a.session_id.as_str().cmp(b.session_id.as_str()))
        });
        Ok(rows)
    }

    async fn end_session_of_user(
        &self,
        user_id: &UserId,
        session_id: &SessionId,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let mut state = self.state();
        match state
            .sessions
            .iter_mut()
            .find(|s| &s.id == session_id && &s.user_id == user_id && s.ended_at.is_none())
        {
            Some(session) => {
                session.ended_at = Some(now);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

fn code_key(key: CodeKey<'_>) -> (String, &'static str) {
    (key.attempt_id.to_string(), key.purpose.as_str())
}

#[async_trait]
impl Attempts for FakeStore {
    async fn insert_sign_up(
        &self,
        record: &SignUpRecord,
        _now: Timestamp,
    ) -> Result<(), AuthError> {
        let mut state = self.state();
        state
            .codes
            .insert(code_key(CodeKey::sign_up(&record.id)), record.code.clone());
        state.sign_ups.push(record.clone());
        Ok(())
    }

    async fn latest_sign_up(
        &self,
        client_id: &ClientId,
    ) -> Result<Option<SignUpRecord>, AuthError> {
        let state = self.state();
        Ok(state
            .sign_ups
            .iter()
            .rev()
            .find(|r| &r.client_id == client_id)
            .map(|record| {
                let mut record = record.clone();
                if let Some(code) = state.codes.get(&code_key(CodeKey::sign_up(&record.id))) {
                    record.code = code.clone();
                }
                record
            }))
    }

    async fn save_sign_up(
        &self,
        id: &SignUpId,
        version: i64,
        next: &str,
        _now: Timestamp,
    ) -> Result<bool, AuthError> {
        let mut state = self.state();
        match state
            .sign_ups
            .iter_mut()
            .find(|r| &r.id == id && r.version == version)
        {
            Some(record) => {
                record.state = next.to_string();
                record.version += 1;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn create_user_from_sign_up(
        &self,
        record: &SignUpRecord,
        user_id: &UserId,
        next: &str,
        now: Timestamp,
    ) -> Result<UserCreation, AuthError> {
        let mut state = self.state();
        let Some(index) = state
            .sign_ups
            .iter()
            .position(|r| r.id == record.id && r.version == record.version)
        else {
            return Ok(UserCreation::AttemptMoved);
        };
        if let Some(identity) = &record.external_identity {
            let linked = state
                .external
                .iter()
                .any(|row| row.provider == identity.provider && row.subject == identity.subject);
            if linked {
                return Ok(UserCreation::AttemptMoved);
            }
        }
        let user = NewUser {
            email: &record.email,
            password_hash: record.password_hash.as_ref(),
            first_name: record.first_name.as_deref(),
            last_name: record.last_name.as_deref(),
        };
        if !state.insert_user(user_id, &user, now) {
            return Ok(UserCreation::EmailTaken);
        }
        if let Some(identity) = &record.external_identity {
            state.link(user_id, identity, now);
        }
        if let Some(stored) = state.sign_ups.get_mut(index) {
            stored.state = next.to_string();
            stored.version += 1;
        }
        Ok(UserCreation::Created)
    }

    async fn insert_sign_in(
        &self,
        attempt: &StoredSignIn,
        client_id: &ClientId,
        _now: Timestamp,
    ) -> Result<(), AuthError> {
        self.state().sign_ins.push(SignInRow {
            stored: attempt.clone(),
            client_id: client_id.clone(),
            finalized: false,
            code_tries: 0,
        });
        Ok(())
    }

    async fn current_sign_in(
        &self,
        client_id: &ClientId,
        now: Timestamp,
    ) -> Result<Option<StoredSignIn>, AuthError> {
        Ok(self
            .state()
            .sign_ins
            .iter()
            .rev()
            .find(|row| {
                &row.client_id == client_id && !row.finalized && row.stored.expires_at > now
            })
            .map(|row| row.stored.clone()))
    }

    async fn save_sign_in(
        &self,
        id: &SignInId,
        version: i64,
        next: &str,
    ) -> Result<bool, AuthError> {
        let mut state = self.state();
        match state
            .sign_ins
            .iter_mut()
            .find(|row| &row.stored.id == id && row.stored.version == version && !row.finalized)
        {
            Some(row) => {
                row.stored.state = next.to_string();
                row.stored.version += 1;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn claim_sign_in(
        &self,
        id: &SignInId,
        version: i64,
        _now: Timestamp,
    ) -> Result<bool, AuthError> {
        let mut state = self.state();
        match state
            .sign_ins
            .iter_mut()
            .find(|row| &row.stored.id == id && row.stored.version == version && !row.finalized)
        {
            Some(row) => {
                row.finalized = true;
                row.stored.version += 1;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn reserve_sign_in_try(
        &self,
        id: &SignInId,
        max_tries: u32,
    ) -> Result<Option<u32>, AuthError> {
        let mut state = self.state();
        Ok(state
            .sign_ins
            .iter_mut()
            .find(|row| &row.stored.id == id && !row.finalized && row.code_tries < max_tries)
            .map(|row| {
                row.code_tries += 1;
                row.code_tries
            }))
    }
}

#[async_trait]
impl Codes for FakeStore {
    async fn code_state(&self, key: CodeKey<'_>) -> Result<Option<CodeState>, AuthError> {
        Ok(self.state().codes.get(&code_key(key)).cloned())
    }

    async fn insert_code(&self, key: CodeKey<'_>, code: &CodeState) -> Result<(), AuthError> {
        self.state().codes.insert(code_key(key), code.clone());
        Ok(())
    }

    async fn replace_code(
        &self,
        key: CodeKey<'_>,
        previous: &CodeState,
        next: &CodeState,
    ) -> Result<bool, AuthError> {
        let mut state = self.state();
        match state.codes.get_mut(&code_key(key)) {
            Some(code)
                if code.code_hash == previous.code_hash
                    && code.resends == previous.resends
                    && !code.consumed =>
            {
                *code = CodeState {
                    failed_attempts: code.failed_attempts,
                    ..next.clone()
                };
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn reserve_code_try(
        &self,
        key: CodeKey<'_>,
        max_tries: u32,
        now: Timestamp,
    ) -> Result<Option<ReservedCodeTry>, AuthError> {
        let mut state = self.state();
        Ok(state
            .codes
            .get_mut(&code_key(key))
            .filter(|code| {
                !code.consumed && code.failed_attempts < max_tries && code.expires_at > now
            })
            .map(|code| {
                code.failed_attempts += 1;
                ReservedCodeTry {
                    code_hash: code.code_hash.clone(),
                    tries: code.failed_attempts,
                }
            }))
    }

    async fn consume_code(&self, key: CodeKey<'_>) -> Result<bool, AuthError> {
        let mut state = self.state();
        match state.codes.get_mut(&code_key(key)).filter(|c| !c.consumed) {
            Some(code) => {
                code.consumed = true;
                code.failed_attempts = code.failed_attempts.saturating_sub(1);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

#[async_trait]
impl Factors for FakeStore {
    async fn totp_factor(&self, user_id: &UserId) -> Result<Option<TotpFactor>, AuthError> {
        Ok(self.state().totp.get(user_id).cloned())
    }

    async fn save_pending_totp(
        &self,
        user_id: &UserId,
        secret: &Secret<String>,
        _now: Timestamp,
    ) -> Result<(), AuthError> {
        let mut state = self.state();
        if !state.totp.get(user_id).is_some_and(|f| f.verified) {
            state.totp.insert(
                user_id.clone(),
                TotpFactor {
                    secret: secret.clone(),
                    verified: false,
                    last_used_step: None,
                },
            );
        }
        Ok(())
    }

    async fn confirm_totp(
        &self,
        confirmation: TotpConfirmation<'_>,
        _now: Timestamp,
    ) -> Result<bool, AuthError> {
        let mut state = self.state();
        match state
            .totp
            .get_mut(confirmation.user_id)
            .filter(|f| !f.verified)
        {
            Some(factor) => {
                factor.verified = true;
                factor.last_used_step = Some(confirmation.step);
            }
            None => return Ok(false),
        }
        let user_id = confirmation.user_id.clone();
        state.reveals.insert(
            confirmation.session_id.clone(),
            (
                confirmation.backup_codes.expose().clone(),
                confirmation.reveal_until,
            ),
        );
        if let Some(user) = state.user_mut(&user_id) {
            user.second_factor_enabled = true;
        }
        state.backup_codes.retain(|(user, _, _)| user != &user_id);
        for hash in confirmation.backup_code_hashes {
            state
                .backup_codes
                .push((user_id.clone(), hash.clone(), false));
        }
        Ok(true)
    }

    async fn backup_code_reveal(
        &self,
        session_id: &SessionId,
        now: Timestamp,
    ) -> Result<Option<Secret<Vec<String>>>, AuthError> {
        Ok(self
            .state()
            .reveals
            .get(session_id)
            .filter(|(_, until)| *until > now)
            .map(|(codes, _)| Secret::new(codes.clone())))
    }

    async fn delete_backup_code_reveal(&self, session_id: &SessionId) -> Result<(), AuthError> {
        self.state().reveals.remove(session_id);
        Ok(())
    }

    async fn consume_backup_code(
        &self,
        user_id: &UserId,
        code_hash: &[u8],
        _now: Timestamp,
    ) -> Result<bool, AuthError> {
        let mut state = self.state();
        match state
            .backup_codes
            .iter_mut()
            .find(|(user, hash, used)| user == user_id && hash == code_hash && !used)
        {
            Some(code) => {
                code.2 = true;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn advance_totp_step(&self, user_id: &UserId, step: i64) -> Result<bool, AuthError> {
        let mut state = self.state();
        match state
            .totp
            .get_mut(user_id)
            .filter(|f| f.last_used_step.is_none_or(|last| last < step))
        {
            Some(factor) => {
                factor.last_used_step = Some(step);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn replace_backup_codes(&self, codes: NewBackupCodes<'_>) -> Result<bool, AuthError> {
        let mut state = self.state();
        if !state.totp.get(codes.user_id).is_some_and(|f| f.verified) {
            return Ok(false);
        }
        let user_id = codes.user_id.clone();
        state.reveals.insert(
            codes.session_id.clone(),
            (codes.codes.expose().clone(), codes.reveal_until),
        );
        state.backup_codes.retain(|(user, _, _)| user != &user_id);
        for hash in codes.hashes {
            state
                .backup_codes
                .push((user_id.clone(), hash.clone(), false));
        }
        Ok(true)
    }

    async fn unused_backup_codes(&self, user_id: &UserId) -> Result<u32, AuthError> {
        let state = self.state();
        let unused = state
            .backup_codes
            .iter()
            .filter(|(user, _, used)| user == user_id && !used)
            .count();
        Ok(u32::try_from(unused).unwrap_or(u32::MAX))
    }

    async fn remove_second_factor(
        &self,
        user_id: &UserId,
        _now: Timestamp,
    ) -> Result<bool, AuthError> {
        let mut state = self.state();
        let removed = state.totp.remove(user_id).is_some();
        state.backup_codes.retain(|(user, _, _)| user != user_id);
        let sessions: Vec<SessionId> = state
            .sessions
            .iter_mut()
            .filter(|session| &session.user_id == user_id)
            .map(|session| {
                session.second_factor_at = None;
                session.id.clone()
            })
            .collect();
        state
            .reveals
            .retain(|session, _| !sessions.contains(session));
        if let Some(user) = state.user_mut(user_id) {
            user.second_factor_enabled = false;
        }
        Ok(removed)
    }
}

#[async_trait]
impl Organizations for FakeStore {
    async fn create_organization(
        &self,
        name: &str,
        slug: &str,
        creator: &UserId,
        _now: Timestamp,
    ) -> Result<Option<OrgId>, AuthError> {
        let mut state = self.state();
        if state.orgs.iter().any(|o| o.slug == slug) {
            return Ok(None);
        }
        let id: OrgId = new_id();
        state.orgs.push(OrganizationRow {
            id: id.clone(),
            name: name.to_string(),
            slug: slug.to_string(),
        });
        state.members.push(MemberRow {
            org: id.clone(),
            user: creator.clone(),
            role: ROLE_ADMIN.to_string(),
        });
        Ok(Some(id))
    }

    async fn find_organization_by_slug(
        &self,
        slug: &str,
    ) -> Result<Option<OrganizationRow>, AuthError> {
        Ok(self.state().orgs.iter().find(|o| o.slug == slug).cloned())
    }

    async fn membership_role(
        &self,
        organization_id: &OrgId,
        user_id: &UserId,
    ) -> Result<Option<String>, AuthError> {
        Ok(self.state().role(organization_id, user_id))
    }

    async fn upsert_member(
        &self,
        organization_id: &OrgId,
        user_id: &UserId,
        role: &str,
        _now: Timestamp,
    ) -> Result<(), AuthError> {
        let mut state = self.state();
        match state
            .members
            .iter_mut()
            .find(|m| &m.org == organization_id && &m.user == user_id)
        {
            Some(member) => member.role = role.to_string(),
            None => state.members.push(MemberRow {
                org: organization_id.clone(),
                user: user_id.clone(),
                role: role.to_string(),
            }),
        }
        Ok(())
    }

    async fn list_memberships(
        &self,
        user_id: &UserId,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<Membership>, u32), AuthError> {
        let state = self.state();
        let all: Vec<Membership> = state
            .members
            .iter()
            .filter(|m| &m.user == user_id)
            .filter_map(|m| {
                let org = state.orgs.iter().find(|o| o.id == m.org)?;
                Some(Membership {
                    organization_id: org.id.clone(),
                    name: org.name.clone(),
                    slug: org.slug.clone(),
                    role: m.role.clone(),
                })
            })
            .collect();
        let total = u32::try_from(all.len()).unwrap();
        let page = all
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect();
        Ok((page, total))
    }

    async fn list_members_page(
        &self,
        organization_id: &OrgId,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<Member>, u32), AuthError> {
        let all = self.list_members(organization_id).await?;
        Ok(page_of(all, offset, limit))
    }

    async fn list_members(&self, organization_id: &OrgId) -> Result<Vec<Member>, AuthError> {
        let state = self.state();
        Ok(state
            .members
            .iter()
            .filter(|m| &m.org == organization_id)
            .filter_map(|m| {
                let user = state.users.iter().find(|u| u.id == m.user)?;
                Some(Member {
                    user_id: m.user.clone(),
                    email_address: user.email.clone(),
                    role: m.role.clone(),
                })
            })
            .collect())
    }

    async fn set_active_organization(
        &self,
        session_id: &SessionId,
        organization_id: Option<&OrgId>,
    ) -> Result<(), AuthError> {
        let mut state = self.state();
        let Some(session) = state.sessions.iter_mut().find(|s| &s.id == session_id) else {
            return Ok(());
        };
        session.active_org = organization_id.cloned();
        let user_id = session.user_id.clone();
        if let Some(user) = state.user_mut(&user_id) {
            user.last_active_org = organization_id.cloned();
        }
        Ok(())
    }

    async fn change_member_role(
        &self,
        organization_id: &OrgId,
        user_id: &UserId,
        role: &str,
        managers: &[String],
    ) -> Result<MemberChange, AuthError> {
        let mut state = self.state();
        let demotes = !managers.iter().any(|m| m == role);
        let check = state.member_change(organization_id, user_id, managers, demotes);
        if check == MemberChange::Done {
            if let Some(member) = state
                .members
                .iter_mut()
                .find(|m| &m.org == organization_id && &m.user == user_id)
            {
                member.role = role.to_string();
            }
        }
        Ok(check)
    }

    async fn remove_member(
        &self,
        organization_id: &OrgId,
        user_id: &UserId,
        managers: &[String],
    ) -> Result<MemberChange, AuthError> {
        let mut state = self.state();
        let check = state.member_change(organization_id, user_id, managers, true);
        if check == MemberChange::Done {
            state
                .members
                .retain(|m| !(&m.org == organization_id && &m.user == user_id));
            state.clear_active(organization_id, Some(user_id));
        }
        Ok(check)
    }

    async fn rename_organization(
        &self,
        organization_id: &OrgId,
        name: &str,
        slug: &str,
    ) -> Result<bool, AuthError> {
        let mut state = self.state();
        if state
            .orgs
            .iter()
            .any(|o| o.slug == slug && &o.id != organization_id)
        {
            return Ok(false);
        }
        let Some(org) = state.orgs.iter_mut().find(|o| &o.id == organization_id) else {
            return Ok(false);
        };
        org.name = name.to_string();
        org.slug = slug.to_string();
        Ok(true)
    }

    async fn delete_organization(&self, organization_id: &OrgId) -> Result<(), AuthError> {
        let mut state = self.state();
        state.clear_active(organization_id, None);
        state.orgs.retain(|o| &o.id != organization_id);
        state.members.retain(|m| &m.org != organization_id);
        state.invitations.retain(|i| &i.org != organization_id);
        Ok(())
    }
}

#[async_trait]
impl Invitations for FakeStore {
    async fn create_invitation(
        &self,
        invitation: &NewInvitation<'_>,
        max_memberships: Option<u32>,
        now: Timestamp,
    ) -> Result<InvitationCreation, AuthError> {
        let mut state = self.state();
        for entry in &mut state.invitations {
            if &entry.org == invitation.organization_id
                && entry.email == invitation.email
                && entry.status == InvitationStatus::Pending
                && entry.expires_at <= now
            {
                entry.status = InvitationStatus::Expired;
            }
        }
        let member = state.user_by_email(invitation.email).is_some_and(|user| {
            state
                .members
                .iter()
                .any(|m| &m.org == invitation.organization_id && m.user == user.id)
        });
        if member {
            return Ok(InvitationCreation::AlreadyMember);
        }
        if state.invitations.iter().any(|entry| {
            &entry.org == invitation.organization_id
                && entry.email == invitation.email
                && entry.status == InvitationStatus::Pending
        }) {
            return Ok(InvitationCreation::NotUnique);
        }
        if let Some(max) = max_memberships {
            let members = state
                .members
                .iter()
                .filter(|m| &m.org == invitation.organization_id)
                .count();
            let pending = state
                .invitations
                .iter()
                .filter(|e| &e.org == invitation.organization_id && State::live(e, now))
                .count();
            if members + pending >= max as usize {
                return Ok(InvitationCreation::QuotaExceeded);
            }
        }
        state.invitations.push(InvitationEntry {
            id: invitation.id.clone(),
            org: invitation.organization_id.clone(),
            email: invitation.email.to_string(),
            role: invitation.role.to_string(),
            status: InvitationStatus::Pending,
            inviter: invitation.inviter.cloned(),
            ticket_hash: invitation.ticket_hash.to_vec(),
            created_at: now,
            sent_at: now,
            expires_at: invitation.expires_at,
        });
        Ok(InvitationCreation::Created)
    }

    async fn find_invitation(&self, id: &InvitationId) -> Result<Option<InvitationRow>, AuthError> {
        let state = self.state();
        Ok(state
            .invitations
            .iter()
            .find(|e| &e.id == id)
            .and_then(|e| state.invitation_row(e)))
    }

    async fn find_invitation_by_ticket(
        &self,
        ticket_hash: &[u8],
    ) -> Result<Option<InvitationRow>, AuthError> {
        let state = self.state();
        Ok(state
            .invitations
            .iter()
            .find(|e| e.ticket_hash == ticket_hash)
            .and_then(|e| state.invitation_row(e)))
    }

    async fn accept_invitation(
        &self,
        id: &InvitationId,
        user_id: &UserId,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let mut state = self.state();
        let Some(entry) = state
            .invitations
            .iter_mut()
            .find(|e| &e.id == id && State::live(e, now))
        else {
            return Ok(false);
        };
        entry.status = InvitationStatus::Accepted;
        let (org, role) = (entry.org.clone(), entry.role.clone());
        if state.role(&org, user_id).is_none() {
            state.members.push(MemberRow {
                org,
                user: user_id.clone(),
                role,
            });
        }
        Ok(true)
    }

    async fn revoke_invitation(
        &self,
        id: &InvitationId,
        _now: Timestamp,
    ) -> Result<bool, AuthError> {
        let mut state = self.state();
        match state
            .invitations
            .iter_mut()
            .find(|e| &e.id == id && e.status == InvitationStatus::Pending)
        {
            Some(entry) => {
                entry.status = InvitationStatus::Revoked;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn renew_invitation(
        &self,
        id: &InvitationId,
        ticket_hash: &[u8],
        sent_before: Timestamp,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let mut state = self.state();
        match state
            .invitations
            .iter_mut()
            .find(|e| &e.id == id && State::live(e, now) && e.sent_at <= sent_before)
        {
            Some(entry) => {
                entry.ticket_hash = ticket_hash.to_vec();
                entry.sent_at = now;
                entry.expires_at = expires_at;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn list_organization_invitations(
        &self,
        organization_id: &OrgId,
        now: Timestamp,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<InvitationRow>, u32), AuthError> {
        let state = self.state();
        let mut all: Vec<InvitationRow> = state
            .invitations
            .iter()
            .filter(|e| &e.org == organization_id && State::live(e, now))
            .filter_map(|e| state.invitation_row(e))
            .collect();
        all.sort_by_key(|row| row.created_at);
        let total = u32::try_from(all.len()).unwrap();
        let page = all
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect();
        Ok((page, total))
    }

    async fn list_invitations_for_email(
        &self,
        email: &str,
        now: Timestamp,
    ) -> Result<Vec<InvitationRow>, AuthError> {
        let state = self.state();
        let mut all: Vec<InvitationRow> = state
            .invitations
            .iter()
            .filter(|e| e.email == email && State::live(e, now))
            .filter_map(|e| state.invitation_row(e))
            .collect();
        all.sort_by_key(|row| row.created_at);
        Ok(all)
    }
}

#[async_trait]
impl Limits for FakeStore {
    async fn reserve_guess(
        &self,
        identifier: &str,
        max_attempts: u32,
        lock_until: Timestamp,
        now: Timestamp,
    ) -> Result<Reserved, AuthError> {
        let mut state = self.state();
        let max = i64::from(max_attempts);
        let (counter, updated_at) = state.guesses.entry(identifier.to_string()).or_insert((
            Reserved {
                failed_attempts: 0,
                locked_until: None,
            },
            now,
        ));
        if counter.locked_until.is_some_and(|until| until <= now) {
            *counter = Reserved {
                failed_attempts: 0,
                locked_until: None,
            };
        }
        counter.failed_attempts += 1;
        if counter.locked_until.is_none() && counter.failed_attempts >= max {
            counter.locked_until = Some(lock_until);
        }
        *updated_at = now;
        Ok(*counter)
    }

    async fn clear_guesses(&self, identifier: &str) -> Result<(), AuthError> {
        self.state().guesses.remove(identifier);
        Ok(())
    }

    async fn release_guess(&self, identifier: &str, max_attempts: u32) -> Result<(), AuthError> {
        let mut state = self.state();
        if let Some((counter, _)) = state.guesses.get_mut(identifier) {
            counter.failed_attempts = (counter.failed_attempts - 1).max(0);
            if counter.failed_attempts < i64::from(max_attempts) {
                counter.locked_until = None;
            }
        }
        Ok(())
    }

    async fn guesses_of(&self, identifier: &str) -> Result<Option<Reserved>, AuthError> {
        Ok(self
            .state()
            .guesses
            .get(identifier)
            .map(|(counter, _)| *counter))
    }

    async fn prune_counters(
        &self,
        window_start_before: Timestamp,
        idle_since: Timestamp,
        now: Timestamp,
    ) -> Result<u64, AuthError> {
        let mut state = self.state();
        let before = state.rates.len() + state.guesses.len();
        state
            .rates
            .retain(|_, (_, start)| *start > window_start_before);
        state
            .guesses
            .retain(|_, (counter, updated_at)| match counter.locked_until {
                Some(until) => until > now,
                None => *updated_at > idle_since,
            });
        Ok(u64::try_from(before - state.rates.len() - state.guesses.len()).unwrap())
    }

    async fn hit_rate_counter(
        &self,
        key: &str,
        window_seconds: i64,
        now: Timestamp,
    ) -> Result<(i64, Timestamp), AuthError> {
        let mut state = self.state();
        let counter = state.rates.entry(key.to_string()).or_insert((0, now));
        if counter.1 <= now - window_seconds {
            *counter = (0, now);
        }
        counter.0 += 1;
        Ok(*counter)
    }
}

#[async_trait]
impl ExternalAccounts for FakeStore {
    async fn find_user_by_external_account(
        &self,
        provider: &str,
        subject: &str,
    ) -> Result<Option<UserRecord>, AuthError> {
        let state = self.state();
        let owner = state
            .external
            .iter()
            .find(|row| row.provider == provider && row.subject == subject)
            .and_then(|row| state.external_owner.get(&row.id));
        Ok(owner
            .and_then(|id| state.users.iter().find(|user| &user.id == id))
            .map(|user| UserRecord {
                id: user.id.clone(),
                email: user.email.clone(),
                password_hash: user.password_hash.clone(),
                second_factor_enabled: user.second_factor_enabled,
            }))
    }

    async fn link_external_account(
        &self,
        user_id: &UserId,
        identity: &ExternalIdentity,
        attempt: (&SignInId, i64, &str),
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let mut state = self.state();
        if !state.move_sign_in(attempt.0, attempt.1, attempt.2) {
            return Ok(false);
        }
        state.link(user_id, identity, now);
        Ok(true)
    }

    async fn create_user_from_identity(
        &self,
        user_id: &UserId,
        identity: &ExternalIdentity,
        attempt: (&SignInId, i64, &str),
        now: Timestamp,
    ) -> Result<UserCreation, AuthError> {
        let Some(email) = identity.email.as_deref() else {
            return Err(AuthError::param_missing("email_address"));
        };
        let mut state = self.state();
        // All or nothing, like the SQL transaction: check everything before changing anything.
        let attempt_current = state.sign_ins.iter().any(|row| {
            &row.stored.id == attempt.0 && row.stored.version == attempt.1 && !row.finalized
        });
        if !attempt_current {
            return Ok(UserCreation::AttemptMoved);
        }
        if state.user_by_email(email).is_some() {
            return Ok(UserCreation::EmailTaken);
        }
        let linked = state
            .external
            .iter()
            .any(|row| row.provider == identity.provider && row.subject == identity.subject);
        if linked {
            return Ok(UserCreation::AttemptMoved);
        }
        let user = NewUser {
            email,
            password_hash: None,
            first_name: identity.first_name.as_deref(),
            last_name: identity.last_name.as_deref(),
        };
        state.insert_user(user_id, &user, now);
        state.link(user_id, identity, now);
        state.move_sign_in(attempt.0, attempt.1, attempt.2);
        Ok(UserCreation::Created)
    }

    async fn list_external_accounts(
        &self,
        user_id: &UserId,
    ) -> Result<Vec<ExternalAccountRow>, AuthError> {
        let state = self.state();
        Ok(state
            .external
            .iter()
            .filter(|row| state.external_owner.get(&row.id) == Some(user_id))
            .cloned()
            .collect())
    }

    async fn unlink_external_account(
        &self,
        user_id: &UserId,
        id: &str,
    ) -> Result<Unlink, AuthError> {
        let mut state = self.state();
        if state.external_owner.get(id) != Some(user_id) {
            return Ok(Unlink::NotFound);
        }
        let has_password = state
            .users
            .iter()
            .any(|user| &user.id == user_id && user.password_hash.is_some());
        let links = state
            .external_owner
            .values()
            .filter(|owner| *owner == user_id)
            .count();
        if !has_password && links <= 1 {
            return Ok(Unlink::LastWayToSignIn);
        }
        state.external.retain(|row| row.id != id);
        state.external_owner.remove(id);
        Ok(Unlink::Removed)
    }
}

#[async_trait]
impl gatehouse::domain::ports::Health for FakeStore {
    async fn check_health(&self) -> Result<(), AuthError> {
        Ok(())
    }
}

#[async_trait]
impl SigningKeys for FakeStore {
    async fn published_signing_keys(
        &self,
        now: Timestamp,
    ) -> Result<Vec<SigningKeyRow>, AuthError> {
        let mut keys: Vec<SigningKeyRow> = self
            .state()
            .signing_keys
            .iter()
            .filter(|key| {
                key.row.retired_at.is_none() || key.publish_until.is_some_and(|until| until > now)
            })
            .map(|key| key.row.clone())
            .collect();
        keys.sort_by(|a, b| {
            (
                a.retired_at.is_some(),
                std::cmp::Reverse(a.created_at),
                &a.kid,
            )
                .cmp(&(
                    b.retired_at.is_some(),
                    std::cmp::Reverse(b.created_at),
                    &b.kid,
                ))
        });
        Ok(keys)
    }

    async fn add_first_signing_key(&self, key: &SigningKeyRow) -> Result<bool, AuthError> {
        let mut state = self.state();
        if state
            .signing_keys
            .iter()
            .any(|k| k.row.retired_at.is_none())
        {
            return Ok(false);
        }
        state.signing_keys.push(StoredKey {
            row: key.clone(),
            publish_until: None,
        });
        Ok(true)
    }

    async fn rotate_signing_key(
        &self,
        key: &SigningKeyRow,
        publish_until: Timestamp,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        let mut state = self.state();
        for old in state
            .signing_keys
            .iter_mut()
            .filter(|k| k.row.retired_at.is_none())
        {
            old.row.retired_at = Some(now);
            old.publish_until = Some(publish_until);
        }
        state.signing_keys.push(StoredKey {
            row: key.clone(),
            publish_until: None,
        });
        Ok(())
    }
}

#[async_trait]
impl Domains for FakeStore {
    async fn create_domain(
        &self,
        organization_id: &OrgId,
        name: &str,
        mode: EnrollmentMode,
        now: Timestamp,
    ) -> Result<DomainCreation, AuthError> {
        let mut state = self.state();
        let of_org = || {
            state
                .domains
                .iter()
                .filter(|(d, _)| &d.organization_id == organization_id)
        };
        if of_org().any(|(d, _)| d.name == name) {
            return Ok(DomainCreation::Exists);
        }
        if of_org().count() >= MAX_DOMAINS as usize {
            return Ok(DomainCreation::QuotaExceeded);
        }
        let id = new_row_id("orgdmn");
        state.domains.push((
            DomainRow {
                id: id.clone(),
                organization_id: organization_id.clone(),
                name: name.to_string(),
                enrollment_mode: mode,
                affiliation_email: None,
                verified_at: None,
            },
            now,
        ));
        Ok(DomainCreation::Created(id))
    }

    async fn find_domain(
        &self,
        organization_id: &OrgId,
        id: &str,
    ) -> Result<Option<DomainRow>, AuthError> {
        let state = self.state();
        let found = state
            .domains
            .iter()
            .find(|(d, _)| d.id == id && &d.organization_id == organization_id);
        Ok(found.map(|(d, _)| d.clone()))
    }

    async fn list_domains(&self, organization_id: &OrgId) -> Result<Vec<DomainRow>, AuthError> {
        let state = self.state();
        Ok(state
            .domains
            .iter()
            .filter(|(d, _)| &d.organization_id == organization_id)
            .map(|(d, _)| d.clone())
            .collect())
    }

    async fn set_affiliation_email(&self, id: &str, email: &str) -> Result<(), AuthError> {
        let mut state = self.state();
        for (domain, _) in state.domains.iter_mut().filter(|(d, _)| d.id == id) {
            domain.affiliation_email = Some(email.to_string());
        }
        Ok(())
    }

    async fn mark_domain_verified(&self, id: &str, now: Timestamp) -> Result<(), AuthError> {
        let mut state = self.state();
        for (domain, _) in state.domains.iter_mut().filter(|(d, _)| d.id == id) {
            domain.verified_at.get_or_insert(now);
        }
        Ok(())
    }

    async fn set_enrollment_mode(&self, id: &str, mode: EnrollmentMode) -> Result<(), AuthError> {
        let mut state = self.state();
        for (domain, _) in state.domains.iter_mut().filter(|(d, _)| d.id == id) {
            domain.enrollment_mode = mode;
        }
        Ok(())
    }

    async fn delete_domain(&self, id: &str) -> Result<(), AuthError> {
        self.state().domains.retain(|(d, _)| d.id != id);
        Ok(())
    }

    async fn organizations_with_verified_domain(
        &self,
        name: &str,
        mode: EnrollmentMode,
    ) -> Result<Vec<OrganizationRow>, AuthError> {
        let state = self.state();
        let mut found: Vec<&(DomainRow, Timestamp)> = state
            .domains
            .iter()
            .filter(|(d, _)| d.name == name && d.enrollment_mode == mode && d.verified_at.is_some())
            .collect();
        found.sort_by_key(|(d, _)| d.verified_at);
        Ok(found
            .into_iter()
            .filter_map(|(d, _)| {
                state
                    .orgs
                    .iter()
                    .find(|o| o.id == d.organization_id)
                    .cloned()
            })
            .collect())
    }

    async fn users_with_verified_address_at(
        &self,
        name: &str,
    ) -> Result<Vec<(UserId, String)>, AuthError> {
        let suffix = format!("@{name}");
        Ok(self
            .state()
            .users
            .iter()
            .filter(|u| u.email.ends_with(&suffix))
            .map(|u| (u.id.clone(), u.email.clone()))
            .collect())
    }

    async fn create_membership_request(
        &self,
        id: &str,
        organization_id: &OrgId,
        user_id: &UserId,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let mut state = self.state();
        let pending = state.requests.iter().any(|(_, o, u, status, _)| {
            o == organization_id && u == user_id && *status == "pending"
        });
        if pending || state.role(organization_id, user_id).is_some() {
            return Ok(false);
        }
        state.requests.push((
            id.to_string(),
            organization_id.clone(),
            user_id.clone(),
            "pending",
            now,
        ));
        Ok(true)
    }

    async fn pending_request_organizations(
        &self,
        user_id: &UserId,
    ) -> Result<Vec<OrgId>, AuthError> {
        Ok(self
            .state()
            .requests
            .iter()
            .filter(|(_, _, u, status, _)| u == user_id && *status == "pending")
            .map(|(_, o, _, _, _)| o.clone())
            .collect())
    }

    async fn list_membership_requests(
        &self,
        organization_id: &OrgId,
    ) -> Result<Vec<MembershipRequest>, AuthError> {
        let state = self.state();
        Ok(state
            .requests
            .iter()
            .filter(|(_, o, _, status, _)| o == organization_id && *status == "pending")
            .filter_map(|(id, _, u, _, at)| {
                let user = state.users.iter().find(|user| &user.id == u)?;
                Some(MembershipRequest {
                    id: id.clone(),
                    user_id: u.clone(),
                    email_address: user.email.clone(),
                    created_at: *at,
                })
            })
            .collect())
    }

    async fn list_membership_requests_page(
        &self,
        organization_id: &OrgId,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<MembershipRequest>, u32), AuthError> {
        let all = self.list_membership_requests(organization_id).await?;
        Ok(page_of(all, offset, limit))
    }

    async fn decide_membership_request(
        &self,
        organization_id: &OrgId,
        id: &str,
        accept_as: Option<&str>,
        _now: Timestamp,
    ) -> Result<RequestDecision, AuthError> {
        let mut state = self.state();
        let Some(request) = state.requests.iter_mut().find(|(rid, o, _, status, _)| {
            rid == id && o == organization_id && *status == "pending"
        }) else {
            return Ok(RequestDecision::NotPending);
        };
        request.3 = if accept_as.is_some() {
            "accepted"
        } else {
            "rejected"
        };
        let user = request.2.clone();
        if let Some(role) = accept_as {
            if state.role(organization_id, &user).is_none() {
                state.members.push(MemberRow {
                    org: organization_id.clone(),
                    user,
                    role: role.to_string(),
                });
            }
        }
        Ok(RequestDecision::Decided)
    }
}

/// One page of `all` and its total, as the stores' `LIMIT … OFFSET …` gives it.
fn page_of<T>(all: Vec<T>, offset: u32, limit: u32) -> (Vec<T>, u32) {
    let total = u32::try_from(all.len()).unwrap();
    let page = all
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    (page, total)
}

#[async_trait]
impl Passkeys for FakeStore {
    async fn create_passkey(&self, row: &PasskeyRow) -> Result<PasskeyCreation, AuthError> {
        let mut state = self.state();
        if state
            .passkeys
            .iter()
            .any(|p| p.credential_id == row.credential_id)
        {
            return Ok(PasskeyCreation::Exists);
        }
        let count = state
            .passkeys
            .iter()
            .filter(|p| p.user_id == row.user_id)
            .count();
        if count >= MAX_PASSKEYS as usize {
            return Ok(PasskeyCreation::QuotaExceeded);
        }
        state.passkeys.push(row.clone());
        Ok(PasskeyCreation::Created)
    }

    async fn list_passkeys(&self, user_id: &UserId) -> Result<Vec<PasskeyRow>, AuthError> {
        Ok(self
            .state()
            .passkeys
            .iter()
            .filter(|p| &p.user_id == user_id)
            .cloned()
            .collect())
    }

    async fn find_passkey_by_credential(
        &self,
        credential_id: &str,
    ) -> Result<Option<PasskeyOwner>, AuthError> {
        let state = self.state();
        let Some(passkey) = state
            .passkeys
            .iter()
            .find(|p| p.credential_id == credential_id)
        else {
            return Ok(None);
        };
        Ok(state
            .users
            .iter()
            .find(|user| user.id == passkey.user_id)
            .map(|user| PasskeyOwner {
                passkey: passkey.clone(),
                email: user.email.clone(),
                second_factor_enabled: user.second_factor_enabled,
            }))
    }

    async fn record_passkey_use(
        &self,
        id: &str,
        passkey: &str,
        counter: i64,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let mut state = self.state();
        let Some(row) = state.passkeys.iter_mut().find(|p| p.id == id) else {
            return Ok(false);
        };
        let forward = row.counter < counter || (row.counter == 0 && counter == 0);
        if row.flagged_at.is_some() || !forward {
            return Ok(false);
        }
        row.passkey = passkey.to_string();
        row.counter = counter;
        row.last_used_at = Some(now);
        Ok(true)
    }

    async fn flag_passkey(&self, id: &str, now: Timestamp) -> Result<(), AuthError> {
        if let Some(row) = self.state().passkeys.iter_mut().find(|p| p.id == id) {
            row.flagged_at.get_or_insert(now);
        }
        Ok(())
    }

    async fn rename_passkey(
        &self,
        user_id: &UserId,
        id: &str,
        name: &str,
    ) -> Result<bool, AuthError> {
        let mut state = self.state();
        let row = state
            .passkeys
            .iter_mut()
            .find(|p| p.id == id && &p.user_id == user_id);
        Ok(row.map(|row| row.name = name.to_string()).is_some())
    }

    async fn delete_passkey(
        &self,
        user_id: &UserId,
        id: &str,
    ) -> Result<Option<String>, AuthError> {
        let mut state = self.state();
        let Some(index) = state
            .passkeys
            .iter()
            .position(|p| p.id == id && &p.user_id == user_id)
        else {
            return Ok(None);
        };
        Ok(Some(state.passkeys.remove(index).name))
    }

    async fn insert_ceremony(&self, row: &CeremonyRow) -> Result<(), AuthError> {
        self.state().ceremonies.push(row.clone());
        Ok(())
    }

    async fn take_ceremony(
        &self,
        id: &str,
        client_id: &ClientId,
        kind: CeremonyKind,
        now: Timestamp,
    ) -> Result<Option<CeremonyRow>, AuthError> {
        let mut state = self.state();
        let Some(index) = state.ceremonies.iter().position(|row| {
            row.id == id && &row.client_id == client_id && row.kind == kind && row.expires_at > now
        }) else {
            return Ok(None);
        };
        Ok(Some(state.ceremonies.remove(index)))
    }
}

#[async_trait]
impl AuditLog for FakeStore {
    async fn insert_audit_event(&self, row: &AuditRow) -> Result<(), AuthError> {
        if self.audit_fails.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(AuthError::internal());
        }
        self.state().audit.push(row.clone());
        Ok(())
    }

    async fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<AuditRow>, AuthError> {
        let state = self.state();
        let mut rows: Vec<AuditRow> = state
            .audit
            .iter()
            .filter(|row| {
                let about = (filter.user_id.is_none() && filter.email.is_none())
                    || (filter.user_id.is_some() && row.user_id == filter.user_id)
                    || (filter.email.is_some() && row.email == filter.email);
                about
                    && filter
                        .organization_id
                        .as_ref()
                        .is_none_or(|org| row.organization_id.as_ref() == Some(org))
                    && filter.since.is_none_or(|since| row.at >= since)
            })
            .cloned()
            .collect();
        // Newest first; ties in the reverse order of insertion, as the stores' sequence.
        rows.reverse();
        rows.sort_by_key(|row| std::cmp::Reverse(row.at));
        rows.truncate(filter.limit.min(MAX_AUDIT_PAGE) as usize);
        Ok(rows)
    }

    async fn prune_audit_events(&self, before: Timestamp) -> Result<u64, AuthError> {
        let mut state = self.state();
        let count = state.audit.len();
        state.audit.retain(|row| row.at >= before);
        Ok(u64::try_from(count - state.audit.len()).unwrap())
    }
}
