//! Cognito user pools, clients, domains, groups, users and memberships against moto, each step
//! checked by boto3 against the same server.

use crate::support::*;
use engine::lang::value::Value;
use engine::provider::Provider;

fn pool_fixture() -> String {
    py(&format!(
        "print(c('cognito-idp').create_user_pool(PoolName='{}')['UserPool']['Id'])",
        unique("fx")
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn user_pool_lifecycle() {
    if moto().is_none() {
        return;
    }
    let rt = Rt::new("aws_cognito_user_pool", &[("owner", "platform")]).await;
    let name = unique("kubeflow");
    let pp = |min: i64| {
        rt.block(
            "password_policy",
            vec![
                ("minimum_length", Value::int(min)),
                ("require_symbols", Value::bool(false)),
            ],
        )
    };
    let cfg = rt.cfg(vec![
        ("name", s(&name)),
        ("username_attributes", strs(&["email"])),
        ("auto_verified_attributes", strs(&["email"])),
        ("tags", map(&[("team", "ml")])),
    ]);
    let v = rt.create(&cfg).await;
    let id = attr(&v, "id");
    assert_eq!(
        py(&format!(
            "print(c('cognito-idp').describe_user_pool(UserPoolId='{id}')['UserPool']['Name'])"
        )),
        name
    );
    assert_eq!(py(&format!("print(c('cognito-idp').describe_user_pool(UserPoolId='{id}')['UserPool']['UserPoolTags'].get('owner'))")), "platform");
    let v = rt.assert_noop(&v, &cfg).await;
    // Import before any UpdateUserPool: moto (unlike AWS) forgets UsernameAttributes on update.
    rt.import(&id, &cfg, &v).await;

    let cfg2 = rt.cfg(vec![
        ("name", s(&name)),
        ("username_attributes", strs(&["email"])),
        ("auto_verified_attributes", strs(&["email"])),
        ("password_policy", pp(12)),
        ("tags", map(&[("team", "ml-platform")])),
    ]);
    let v = rt.update(&v, &cfg2).await;
    assert_eq!(py(&format!("print(c('cognito-idp').describe_user_pool(UserPoolId='{id}')['UserPool']['Policies']['PasswordPolicy']['MinimumLength'])")), "12");

    py(&format!("c('cognito-idp').update_user_pool(UserPoolId='{id}', Policies={{'PasswordPolicy': {{'MinimumLength': 6}}}}, UserPoolTags={{'team':'ml-platform','owner':'platform'}})"));
    rt.plan_change(&v, &cfg2).await;
    let v = rt.update(&v, &cfg2).await;

    let cfg3 = rt.cfg(vec![
        ("name", s(&format!("{name}-b"))),
        ("username_attributes", strs(&["email"])),
        ("auto_verified_attributes", strs(&["email"])),
        ("password_policy", pp(12)),
        ("tags", map(&[("team", "ml-platform")])),
    ]);
    let v2 = rt.replace(&v, &cfg3, "name").await;
    let id2 = attr(&v2, "id");
    let exists = |i: &str| {
        py(&format!("print(any(p['Id']=='{i}' for p in c('cognito-idp').list_user_pools(MaxResults=60)['UserPools']))"))
    };
    assert_eq!(exists(&id), "False");

    py(&format!(
        "c('cognito-idp').delete_user_pool(UserPoolId='{id2}')"
    ));
    rt.assert_gone_plans_create(&v2, &cfg3).await;

    let v3 = rt.create(&cfg3).await;
    let id3 = attr(&v3, "id");
    rt.delete(&v3).await;
    assert_eq!(exists(&id3), "False");
}

#[tokio::test(flavor = "multi_thread")]
async fn user_pool_client_lifecycle_with_sensitive_secret() {
    if moto().is_none() {
        return;
    }
    let pool = pool_fixture();
    let rt = Rt::new("aws_cognito_user_pool_client", &[]).await;
    assert!(
        rt.schema.attributes["client_secret"].sensitive,
        "client_secret is sensitive in the schema"
    );
    let cfg_with = |urls: &[&str], gen: bool| {
        rt.cfg(vec![
            ("user_pool_id", s(&pool)),
            ("name", s("kubeflow")),
            ("generate_secret", Value::bool(gen)),
            ("callback_urls", strs(urls)),
            ("allowed_oauth_flows", strs(&["code"])),
            (
                "allowed_oauth_scopes",
                strs(&["openid", "email", "profile"]),
            ),
            ("allowed_oauth_flows_user_pool_client", Value::bool(true)),
            ("supported_identity_providers", strs(&["COGNITO"])),
        ])
    };
    let cfg = cfg_with(&["https://kubeflow.example.com/oauth2/idpresponse"], true);
    let planned = rt.plan(None, &cfg).planned;
    assert!(
        planned
            .get_attr("client_secret")
            .is_some_and(|v| !v.is_known()),
        "secret known after apply"
    );
    let v = rt.create(&cfg).await;
    let id = attr(&v, "id");
    let secret = v
        .get_attr("client_secret")
        .cloned()
        .unwrap_or_else(Value::null_dynamic);
    assert!(
        secret.is_sensitive(),
        "the secret is marked sensitive in the state value"
    );
    assert_eq!(
        py(&format!("print(c('cognito-idp').describe_user_pool_client(UserPoolId='{pool}', ClientId='{id}')['UserPoolClient']['ClientSecret'])")),
        attr(&v, "client_secret")
    );
    assert!(
        !format!("{v}").contains(&attr(&v, "client_secret")),
        "Display never shows the secret"
    );
    let v = rt.assert_noop(&v, &cfg).await;

    let cfg2 = cfg_with(
        &[
            "https://kubeflow.example.com/oauth2/idpresponse",
            "https://kf2.example.com/cb",
        ],
        true,
    );
    let v = rt.update(&v, &cfg2).await;
    assert_eq!(py(&format!("print(sorted(c('cognito-idp').describe_user_pool_client(UserPoolId='{pool}', ClientId='{id}')['UserPoolClient']['CallbackURLs']))")), "['https://kf2.example.com/cb', 'https://kubeflow.example.com/oauth2/idpresponse']");

    py(&format!("c('cognito-idp').update_user_pool_client(UserPoolId='{pool}', ClientId='{id}', ClientName='kubeflow', CallbackURLs=['https://evil.example.com'])"));
    rt.plan_change(&v, &cfg2).await;
    let v = rt.update(&v, &cfg2).await;

    rt.import(&format!("{pool}/{id}"), &cfg2, &v).await;

    let cfg3 = cfg_with(&["https://kubeflow.example.com/oauth2/idpresponse"], false);
    let v2 = rt.replace(&v, &cfg3, "generate_secret").await;
    let id2 = attr(&v2, "id");
    let count = || {
        py(&format!("print(len(c('cognito-idp').list_user_pool_clients(UserPoolId='{pool}', MaxResults=60)['UserPoolClients']))"))
    };
    assert_eq!(count(), "1");

    py(&format!(
        "c('cognito-idp').delete_user_pool_client(UserPoolId='{pool}', ClientId='{id2}')"
    ));
    rt.assert_gone_plans_create(&v2, &cfg3).await;
    let v3 = rt.create(&cfg3).await;
    rt.delete(&v3).await;
    assert_eq!(count(), "0");
}

#[tokio::test(flavor = "multi_thread")]
async fn user_pool_domain_lifecycle() {
    if moto().is_none() {
        return;
    }
    let pool = pool_fixture();
    let pool2 = pool_fixture();
    let rt = Rt::new("aws_cognito_user_pool_domain", &[]).await;
    let domain = unique("auth-");
    let cfg = rt.cfg(vec![("domain", s(&domain)), ("user_pool_id", s(&pool))]);
    let v = rt.create(&cfg).await;
    let desc = |d: &str| {
        py(&format!("print(c('cognito-idp').describe_user_pool_domain(Domain='{d}')['DomainDescription'].get('UserPoolId', 'none'))"))
    };
    assert_eq!(desc(&domain), pool);
    let v = rt.assert_noop(&v, &cfg).await;

    // In place: a certificate for a custom domain.
    let cfg2 = rt.cfg(vec![
        ("domain", s(&domain)),
        ("user_pool_id", s(&pool)),
        (
            "certificate_arn",
            s("arn:aws:acm:us-east-1:123456789012:certificate/abc"),
        ),
    ]);
    let v = rt.update(&v, &cfg2).await;
    rt.import(&domain, &cfg2, &v).await;
    // Out-of-band change (moto does not report CustomDomainConfig, so the change made out of band
    // is a move of the domain to another pool): seen as drift, planned as a replacement.
    py(&format!("i=c('cognito-idp')\ni.delete_user_pool_domain(Domain='{domain}', UserPoolId='{pool}')\ni.create_user_pool_domain(Domain='{domain}', UserPoolId='{pool2}')"));
    let moved = rt.plan_change(&v, &cfg2).await;
    assert_eq!(moved.requires_replace, vec!["user_pool_id".to_string()]);
    py(&format!("i=c('cognito-idp')\ni.delete_user_pool_domain(Domain='{domain}', UserPoolId='{pool2}')\ni.create_user_pool_domain(Domain='{domain}', UserPoolId='{pool}')"));

    let cfg3 = rt.cfg(vec![
        ("domain", s(&domain)),
        ("user_pool_id", s(&pool2)),
        (
            "certificate_arn",
            s("arn:aws:acm:us-east-1:123456789012:certificate/abc"),
        ),
    ]);
    let v2 = rt.replace(&v, &cfg3, "user_pool_id").await;
    assert_eq!(desc(&domain), pool2);

    py(&format!(
        "c('cognito-idp').delete_user_pool_domain(Domain='{domain}', UserPoolId='{pool2}')"
    ));
    rt.assert_gone_plans_create(&v2, &cfg3).await;
    let v3 = rt.create(&cfg3).await;
    rt.delete(&v3).await;
    assert_eq!(desc(&domain), "none");
}

#[tokio::test(flavor = "multi_thread")]
async fn user_group_lifecycle() {
    if moto().is_none() {
        return;
    }
    let pool = pool_fixture();
    let rt = Rt::new("aws_cognito_user_group", &[]).await;
    let cfg = rt.cfg(vec![
        ("user_pool_id", s(&pool)),
        ("name", s("admins")),
        ("description", s("Kubeflow admins")),
        ("precedence", Value::int(1)),
    ]);
    let v = rt.create(&cfg).await;
    assert_eq!(attr(&v, "id"), format!("{pool}/admins"));
    let get = |n: &str| {
        py(&format!("try:\n  print(c('cognito-idp').get_group(UserPoolId='{pool}', GroupName='{n}')['Group'].get('Description'))\nexcept Exception:\n  print('none')"))
    };
    assert_eq!(get("admins"), "Kubeflow admins");
    let v = rt.assert_noop(&v, &cfg).await;
    let cfg2 = rt.cfg(vec![
        ("user_pool_id", s(&pool)),
        ("name", s("admins")),
        ("description", s("Platform admins")),
        ("precedence", Value::int(2)),
    ]);
    let v = rt.update(&v, &cfg2).await;
    assert_eq!(get("admins"), "Platform admins");
    py(&format!("c('cognito-idp').update_group(UserPoolId='{pool}', GroupName='admins', Description='hand')"));
    rt.plan_change(&v, &cfg2).await;
    let v = rt.update(&v, &cfg2).await;
    rt.import(&format!("{pool}/admins"), &cfg2, &v).await;
    let cfg3 = rt.cfg(vec![
        ("user_pool_id", s(&pool)),
        ("name", s("operators")),
        ("description", s("Platform admins")),
        ("precedence", Value::int(2)),
    ]);
    let v2 = rt.replace(&v, &cfg3, "name").await;
    assert_eq!(get("admins"), "none");
    py(&format!(
        "c('cognito-idp').delete_group(UserPoolId='{pool}', GroupName='operators')"
    ));
    rt.assert_gone_plans_create(&v2, &cfg3).await;
    let v3 = rt.create(&cfg3).await;
    rt.delete(&v3).await;
    assert_eq!(get("operators"), "none");
}

#[tokio::test(flavor = "multi_thread")]
async fn user_lifecycle_never_shows_the_password() {
    if moto().is_none() {
        return;
    }
    let pool = pool_fixture();
    let rt = Rt::new("aws_cognito_user", &[]).await;
    assert!(rt.schema.attributes["temporary_password"].sensitive);
    assert!(rt.schema.attributes["password"].sensitive);
    let pw = "Tmp-Passw0rd!x";
    let cfg_with = |email: &str, enabled: bool| {
        rt.cfg(vec![
            ("user_pool_id", s(&pool)),
            ("username", s("alice")),
            ("attributes", map(&[("email", email)])),
            ("temporary_password", s(pw)),
            ("message_action", s("SUPPRESS")),
            ("enabled", Value::bool(enabled)),
        ])
    };
    let cfg = cfg_with("alice@example.com", true);
    let v = rt.create(&cfg).await;
    assert_eq!(attr(&v, "id"), format!("{pool}/alice"));
    assert!(
        !format!("{v}").contains(pw),
        "state display hides the temporary password"
    );
    let email = || {
        py(&format!("u=c('cognito-idp').admin_get_user(UserPoolId='{pool}', Username='alice')\nprint([a['Value'] for a in u['UserAttributes'] if a['Name']=='email'][0], u['Enabled'])"))
    };
    assert_eq!(email(), "alice@example.com True");
    let v = rt.assert_noop(&v, &cfg).await;

    let cfg2 = cfg_with("alice@ml.example.com", false);
    let v = rt.update(&v, &cfg2).await;
    assert_eq!(email(), "alice@ml.example.com False");

    py(&format!(
        "c('cognito-idp').admin_enable_user(UserPoolId='{pool}', Username='alice')"
    ));
    rt.plan_change(&v, &cfg2).await;
    let v = rt.update(&v, &cfg2).await;

    let imported = rt.import(&format!("{pool}/alice"), &cfg2, &v).await;
    assert_eq!(attr(&imported, "username"), "alice");

    let cfg3 = rt.cfg(vec![
        ("user_pool_id", s(&pool)),
        ("username", s("bob")),
        ("attributes", map(&[("email", "bob@example.com")])),
        ("temporary_password", s(pw)),
        ("message_action", s("SUPPRESS")),
    ]);
    let v2 = rt.replace(&v, &cfg3, "username").await;
    let user_exists = |u: &str| {
        py(&format!("try:\n  c('cognito-idp').admin_get_user(UserPoolId='{pool}', Username='{u}'); print('yes')\nexcept Exception:\n  print('no')"))
    };
    assert_eq!(user_exists("alice"), "no");
    py(&format!(
        "c('cognito-idp').admin_delete_user(UserPoolId='{pool}', Username='bob')"
    ));
    rt.assert_gone_plans_create(&v2, &cfg3).await;
    let v3 = rt.create(&cfg3).await;
    rt.delete(&v3).await;
    assert_eq!(user_exists("bob"), "no");
}

#[tokio::test(flavor = "multi_thread")]
async fn user_in_group_lifecycle() {
    if moto().is_none() {
        return;
    }
    let pool = pool_fixture();
    py(&format!("i=c('cognito-idp')\nfor g in ['admins','users']: i.create_group(UserPoolId='{pool}', GroupName=g)\nfor u in ['alice','bob']: i.admin_create_user(UserPoolId='{pool}', Username=u, MessageAction='SUPPRESS')"));
    let rt = Rt::new("aws_cognito_user_in_group", &[]).await;
    let cfg_for = |g: &str, u: &str| {
        rt.cfg(vec![
            ("user_pool_id", s(&pool)),
            ("group_name", s(g)),
            ("username", s(u)),
        ])
    };
    let groups = |u: &str| {
        py(&format!("print(sorted(g['GroupName'] for g in c('cognito-idp').admin_list_groups_for_user(UserPoolId='{pool}', Username='{u}')['Groups']))"))
    };
    let cfg = cfg_for("admins", "alice");
    let v = rt.create(&cfg).await;
    assert_eq!(groups("alice"), "['admins']");
    let v = rt.assert_noop(&v, &cfg).await;
    // Every attribute identifies the membership: a change replaces it (there is no in-place
    // update of a membership, as in Terraform).
    let cfg2 = cfg_for("users", "alice");
    let v2 = rt.replace(&v, &cfg2, "group_name").await;
    assert_eq!(groups("alice"), "['users']");
    rt.import(&format!("{pool}/users/alice"), &cfg2, &v2).await;
    py(&format!("c('cognito-idp').admin_remove_user_from_group(UserPoolId='{pool}', GroupName='users', Username='alice')"));
    rt.assert_gone_plans_create(&v2, &cfg2).await;
    let v3 = rt.create(&cfg_for("admins", "bob")).await;
    rt.delete(&v3).await;
    assert_eq!(groups("bob"), "[]");
    assert!(aws().resource_types()["aws_cognito_user_in_group"]
        .schema
        .attributes
        .values()
        .filter(|a| a.required)
        .all(|a| a.force_new));
}
