use gatehouse::config::Config;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_match_the_spec() {
    let config = Config::from_sources(None, &[]).unwrap();
    assert_eq!(config.database.url, "sqlite://data/gatehouse.db?mode=rwc");
    assert_eq!(config.email.outbox_dir, "data/outbox");
    assert_eq!(config.sessions.lifetime_days, 7);
    assert_eq!(config.lockout.max_attempts, 10);
    assert_eq!(config.instance.sign_in_url, "/sign-in");
}

#[test]
fn environment_overrides_the_file() {
    let toml = "[organizations]\nenabled = true\n[instance]\nafter_sign_in_url = \"/home\"\n";
    let config = Config::from_sources(
        Some(toml),
        &env(&[
            ("GATEHOUSE_ORGANIZATIONS__ALLOW_PERSONAL_ACCOUNTS", "true"),
            ("GATEHOUSE_EMAIL__SMTP_URL", "smtp://127.0.0.1:1025"),
            ("DATABASE_URL", "sqlite://x.db"),
        ]),
    )
    .unwrap();
    assert!(config.organizations.enabled);
    assert_eq!(config.organizations.allow_personal_accounts, Some(true));
    assert!(!config.organizations_required());
    assert_eq!(config.instance.after_sign_in_url, "/home");
    assert_eq!(
        config.email.smtp_url.as_deref(),
        Some("smtp://127.0.0.1:1025")
    );
    assert_eq!(config.database.url, "sqlite://x.db");
}

#[test]
fn errors_name_the_key() {
    let error = Config::from_sources(None, &env(&[("GATEHOUSE_ORGANIZATIONS__ENABLED", "maybe")]))
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("GATEHOUSE_ORGANIZATIONS__ENABLED"),
        "{error}"
    );
    let error = Config::from_sources(Some("[instance]\nsign_in_url = 3\n"), &[]).unwrap_err();
    assert!(error.to_string().contains("sign_in_url"), "{error}");
    let error = Config::from_sources(Some("[nope]\nx = 1\n"), &[]).unwrap_err();
    assert!(error.to_string().contains("nope"), "{error}");
    let error = Config::from_sources(
        None,
        &env(&[("GATEHOUSE_INSTANCE__TASK_URLS", "{ bogus = \"/x\" }")]),
    )
    .unwrap_err();
    assert!(error.to_string().contains("task_urls.bogus"), "{error}");
    let error = Config::from_sources(
        None,
        &env(&[("GATEHOUSE_INSTANCE__AFTER_SIGN_IN_URL", "//evil.example")]),
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("instance.after_sign_in_url"),
        "{error}"
    );
}

#[test]
fn a_template_setting_a_reserved_claim_is_refused_with_the_key_named() {
    // The standard claims, the session token's own and the template-name claim.
    for claim in gatehouse::domain::token_template::RESERVED_CLAIMS {
        let toml = format!("[tokens.templates.backend.claims]\n{claim} = \"x\"\n");
        let error = Config::from_sources(Some(&toml), &[]).unwrap_err();
        assert!(
            error.to_string().contains(&format!(
                "tokens.templates.backend.claims.{claim}: a reserved claim"
            )),
            "{claim}: {error}"
        );
    }
    for claim in ["sid", "sts", "o", "fea", "fva", "act", "v", "tpl"] {
        assert!(
            gatehouse::domain::token_template::RESERVED_CLAIMS.contains(&claim),
            "{claim}"
        );
    }
    let error = Config::from_sources(
        None,
        &env(&[(
            "GATEHOUSE_TOKENS__TEMPLATES",
            r#"{ backend = { claims = { sid = "{{user.id}}" } } }"#,
        )]),
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("tokens.templates.backend.claims.sid: a reserved claim"),
        "{error}"
    );
    // A claim that only looks like one (nested, or another name) is the template's own.
    let config = Config::from_sources(
        Some("[tokens.templates.backend.claims]\nsession = \"x\"\nmeta = { sid = \"x\" }\n"),
        &[],
    )
    .unwrap();
    assert!(config.tokens.templates.contains_key("backend"));
}
