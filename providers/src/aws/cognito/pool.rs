//! `aws_cognito_user_pool` and `aws_cognito_user_pool_domain`.

use super::{client, def, gone, must, str_set_or_null};
use crate::aws::eks::{datetime, plan_single_block, single};
use crate::aws::intent::{one_found, INTENT_TAG};
use crate::aws::resource::{Ctx, Plan, Recovery, Resource, SdkResult};
use crate::aws::value::{opt_s, s, Obj};
use aws_sdk_cognitoidentityprovider::types::{
    AdminCreateUserConfigType, AliasAttributeType, DeletionProtectionType, PasswordPolicyType,
    UserPoolMfaType, UserPoolPolicyType, UsernameAttributeType, VerifiedAttributeType,
};
use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::provider::{Attribute, BoxFuture, ProviderError, ProviderResult, ResourceType, Schema};
use std::collections::{BTreeMap, HashMap};

pub struct UserPool;

fn password_policy_schema() -> Schema {
    Schema::new()
        .attr("minimum_length", Attribute::optional_computed(Type::Number))
        .attr(
            "require_lowercase",
            Attribute::optional_computed(Type::Bool),
        )
        .attr("require_numbers", Attribute::optional_computed(Type::Bool))
        .attr("require_symbols", Attribute::optional_computed(Type::Bool))
        .attr(
            "require_uppercase",
            Attribute::optional_computed(Type::Bool),
        )
        .attr(
            "temporary_password_validity_days",
            Attribute::optional_computed(Type::Number),
        )
}

fn admin_create_schema() -> Schema {
    Schema::new().attr(
        "allow_admin_create_user_only",
        Attribute::optional_computed(Type::Bool),
    )
}

fn pool_schema() -> Schema {
    Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .attr("arn", Attribute::computed(Type::String))
        .attr("name", Attribute::required(Type::String).force_new())
        .attr("endpoint", Attribute::computed(Type::String))
        .attr("domain", Attribute::computed(Type::String))
        .attr("creation_date", Attribute::computed(Type::String))
        .attr("last_modified_date", Attribute::computed(Type::String))
        .attr(
            "estimated_number_of_users",
            Attribute::computed(Type::Number),
        )
        .attr(
            "username_attributes",
            Attribute::optional(Type::set(Type::String)).force_new(),
        )
        .attr(
            "alias_attributes",
            Attribute::optional(Type::set(Type::String)).force_new(),
        )
        .attr(
            "auto_verified_attributes",
            Attribute::optional(Type::set(Type::String)),
        )
        .attr(
            "mfa_configuration",
            Attribute::optional(Type::String).default(s("OFF")),
        )
        .attr(
            "deletion_protection",
            Attribute::optional(Type::String).default(s("INACTIVE")),
        )
        .attr("tags", Attribute::optional(Type::map(Type::String)))
        .attr("tags_all", Attribute::computed(Type::map(Type::String)))
        .block(
            "password_policy",
            single(password_policy_schema(), 0, false),
        )
        .block(
            "admin_create_user_config",
            single(admin_create_schema(), 0, false),
        )
}

async fn read_pool(cx: &Ctx<'_>, current: &Value) -> ProviderResult<Option<Value>> {
    let Some(id) = Obj(current).str("id") else {
        return Ok(None);
    };
    let Some(out) = client(cx)
        .describe_user_pool()
        .user_pool_id(&id)
        .send()
        .await
        .found(cx, "DescribeUserPool", gone)?
    else {
        return Ok(None);
    };
    let Some(p) = out.user_pool() else {
        return Ok(None);
    };
    let mut st = cx.state();
    st.set("id", s(&id));
    st.set("arn", opt_s(p.arn()));
    st.set("name", opt_s(p.name()));
    st.set(
        "endpoint",
        s(format!("cognito-idp.{}.amazonaws.com/{id}", cx.region())),
    );
    st.set("domain", opt_s(p.domain()));
    st.set("creation_date", datetime(p.creation_date()));
    st.set("last_modified_date", datetime(p.last_modified_date()));
    st.set(
        "estimated_number_of_users",
        Value::int(i64::from(p.estimated_number_of_users())),
    );
    // Immutable after creation: an endpoint that stops reporting them (moto resets them on
    // UpdateUserPool) has not changed them.
    let immutable = |items: Vec<String>, name: &str| match Obj(current).get(name) {
        Some(v) if items.is_empty() => v.clone(),
        _ => str_set_or_null(items, current, name),
    };
    st.set(
        "username_attributes",
        immutable(
            p.username_attributes()
                .iter()
                .map(|a| a.as_str().to_string())
                .collect(),
            "username_attributes",
        ),
    );
    st.set(
        "alias_attributes",
        immutable(
            p.alias_attributes()
                .iter()
                .map(|a| a.as_str().to_string())
                .collect(),
            "alias_attributes",
        ),
    );
    st.set(
        "auto_verified_attributes",
        str_set_or_null(
            p.auto_verified_attributes()
                .iter()
                .map(|a| a.as_str().to_string())
                .collect(),
            current,
            "auto_verified_attributes",
        ),
    );
    st.set(
        "mfa_configuration",
        s(p.mfa_configuration().map(|m| m.as_str()).unwrap_or("OFF")),
    );
    st.set(
        "deletion_protection",
        s(p.deletion_protection()
            .map(|m| m.as_str())
            .unwrap_or("INACTIVE")),
    );
    if let Some(pp) = p.policies().and_then(|x| x.password_policy()) {
        st.set(
            "password_policy",
            Value::object(vec![
                (
                    "minimum_length".into(),
                    Value::int(i64::from(pp.minimum_length().unwrap_or(8))),
                ),
                (
                    "require_lowercase".into(),
                    Value::bool(pp.require_lowercase()),
                ),
                ("require_numbers".into(), Value::bool(pp.require_numbers())),
                ("require_symbols".into(), Value::bool(pp.require_symbols())),
                (
                    "require_uppercase".into(),
                    Value::bool(pp.require_uppercase()),
                ),
                (
                    "temporary_password_validity_days".into(),
                    Value::int(i64::from(pp.temporary_password_validity_days())),
                ),
            ]),
        );
    } else {
        st.set("password_policy", Obj(current).raw("password_policy"));
    }
    match p.admin_create_user_config() {
        Some(a) => {
            st.set(
                "admin_create_user_config",
                Value::object(vec![(
                    "allow_admin_create_user_only".into(),
                    Value::bool(a.allow_admin_create_user_only()),
                )]),
            );
        }
        None => {
            st.set(
                "admin_create_user_config",
                Obj(current).raw("admin_create_user_config"),
            );
        }
    }
    let aws: BTreeMap<String, String> = p
        .user_pool_tags()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    cx.put_tags(&mut st, &aws, current);
    Ok(Some(st.build()))
}

fn to_i32(v: Option<i64>) -> Option<i32> {
    v.and_then(|x| i32::try_from(x).ok())
}

fn policies(p: &Value) -> Option<UserPoolPolicyType> {
    let pp = Obj(p).block("password_policy").map(Obj)?;
    Some(
        UserPoolPolicyType::builder()
            .password_policy(
                PasswordPolicyType::builder()
                    .set_minimum_length(to_i32(pp.i64("minimum_length")))
                    .set_require_lowercase(pp.bool("require_lowercase"))
                    .set_require_numbers(pp.bool("require_numbers"))
                    .set_require_symbols(pp.bool("require_symbols"))
                    .set_require_uppercase(pp.bool("require_uppercase"))
                    .set_temporary_password_validity_days(to_i32(
                        pp.i64("temporary_password_validity_days"),
                    ))
                    .build(),
            )
            .build(),
    )
}

fn admin_create(p: &Value) -> Option<AdminCreateUserConfigType> {
    let a = Obj(p).block("admin_create_user_config").map(Obj)?;
    Some(
        AdminCreateUserConfigType::builder()
            .set_allow_admin_create_user_only(a.bool("allow_admin_create_user_only"))
            .build(),
    )
}

fn tags_map(cx: &Ctx<'_>, v: &Value) -> Option<HashMap<String, String>> {
    crate::aws::eks::hash_tags(&cx.tags_all(v))
}

fn list_opt<T>(v: Vec<String>, f: impl Fn(&str) -> T) -> Option<Vec<T>> {
    (!v.is_empty()).then(|| v.iter().map(|x| f(x)).collect())
}

impl Resource for UserPool {
    fn type_name(&self) -> &'static str {
        "aws_cognito_user_pool"
    }
    fn definition(&self) -> ResourceType {
        def(pool_schema())
    }
    fn customize_plan(&self, plan: &mut Plan<'_>) -> ProviderResult<()> {
        plan_single_block(plan, "password_policy", true);
        plan_single_block(plan, "admin_create_user_config", true);
        Ok(())
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(read_pool(cx, current))
    }
    fn recovery(&self) -> Recovery {
        Recovery::Tag
    }
    /// The pool of the planned name tagged with this create's intent (pool names are not
    /// unique: the tag decides).
    fn find_id<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<String>>> {
        Box::pin(async move {
            let Some(name) = Obj(planned).str("name") else {
                return Ok(None);
            };
            if cx.token().is_empty() {
                return Ok(None);
            }
            let mut candidates = Vec::new();
            let mut next: Option<String> = None;
            loop {
                let out = client(cx)
                    .list_user_pools()
                    .max_results(60)
                    .set_next_token(next.clone())
                    .send()
                    .await
                    .map_err(|e| cx.err("ListUserPools", &e))?;
                candidates.extend(
                    out.user_pools()
                        .iter()
                        .filter(|p| p.name() == Some(name.as_str()))
                        .filter_map(|p| p.id().map(str::to_string)),
                );
                next = out.next_token().map(str::to_string);
                if next.is_none() {
                    break;
                }
            }
            let mut ours = Vec::new();
            for id in candidates {
                let r = client(cx)
                    .describe_user_pool()
                    .user_pool_id(&id)
                    .send()
                    .await;
                let Some(out) = r.found(cx, "DescribeUserPool", gone)? else {
                    continue;
                };
                let tagged = out
                    .user_pool()
                    .and_then(|p| p.user_pool_tags())
                    .and_then(|t| t.get(INTENT_TAG))
                    .is_some_and(|t| t == cx.token());
                if tagged {
                    ours.push(id);
                }
            }
            one_found(cx, "user pool", ours)
        })
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let p = Obj(planned);
            let create = || {
                let req = client(cx)
                    .create_user_pool()
                    .set_pool_name(p.str("name"))
                    .set_username_attributes(list_opt(p.str_list("username_attributes"), |x| {
                        UsernameAttributeType::from(x)
                    }))
                    .set_alias_attributes(list_opt(p.str_list("alias_attributes"), |x| {
                        AliasAttributeType::from(x)
                    }))
                    .set_auto_verified_attributes(list_opt(
                        p.str_list("auto_verified_attributes"),
                        |x| VerifiedAttributeType::from(x),
                    ))
                    .set_mfa_configuration(
                        p.str("mfa_configuration")
                            .map(|m| UserPoolMfaType::from(m.as_str())),
                    )
                    .set_deletion_protection(
                        p.str("deletion_protection")
                            .map(|m| DeletionProtectionType::from(m.as_str())),
                    )
                    .set_policies(policies(planned))
                    .set_admin_create_user_config(admin_create(planned))
                    .set_user_pool_tags(crate::aws::eks::hash_tags(&cx.create_tags(planned)));
                async move {
                    let out = req.send().await?;
                    Ok(out.user_pool().and_then(|u| u.id()).map(str::to_string))
                }
            };
            let id = cx
                .create_id("CreateUserPool", create, || self.find_id(cx, planned))
                .await?;
            let stub = cx.state_from(planned).with("id", s(&id)).build();
            must(cx, read_pool(cx, &stub).await?, "user pool")
        })
    }
    fn update<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let p = Obj(planned);
            let id = Obj(prior).str("id").unwrap_or_default();
            // UpdateUserPool resets what it is not given: send everything we manage.
            client(cx)
                .update_user_pool()
                .user_pool_id(&id)
                .set_auto_verified_attributes(list_opt(
                    p.str_list("auto_verified_attributes"),
                    |x| VerifiedAttributeType::from(x),
                ))
                .set_mfa_configuration(
                    p.str("mfa_configuration")
                        .map(|m| UserPoolMfaType::from(m.as_str())),
                )
                .set_deletion_protection(
                    p.str("deletion_protection")
                        .map(|m| DeletionProtectionType::from(m.as_str())),
                )
                .set_policies(policies(planned))
                .set_admin_create_user_config(admin_create(planned))
                .set_user_pool_tags(tags_map(cx, planned).or_else(|| Some(HashMap::new())))
                .send()
                .await
                .map_err(|e| cx.err("UpdateUserPool", &e))?;
            let stub = cx.state_from(planned).with("id", s(&id)).build();
            must(cx, read_pool(cx, &stub).await?, "user pool")
        })
    }
    fn delete<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async move {
            let Some(id) = Obj(prior).str("id") else {
                return Ok(());
            };
            let r = client(cx).delete_user_pool().user_pool_id(&id).send().await;
            r.gone_ok(cx, "DeleteUserPool", gone).map_err(|e| {
                e.hint(
                    "a user pool with deletion_protection = \"ACTIVE\" or with a domain cannot be deleted: turn protection off and delete the domain first",
                )
            })
        })
    }
}

pub struct UserPoolDomain;

async fn read_domain(cx: &Ctx<'_>, current: &Value) -> ProviderResult<Option<Value>> {
    let o = Obj(current);
    let Some(domain) = o.str("domain").or_else(|| o.str("id")) else {
        return Ok(None);
    };
    let Some(out) = client(cx)
        .describe_user_pool_domain()
        .domain(&domain)
        .send()
        .await
        .found(cx, "DescribeUserPoolDomain", gone)?
    else {
        return Ok(None);
    };
    // A missing domain is an empty description, not an error.
    let Some(d) = out
        .domain_description()
        .filter(|d| d.user_pool_id().is_some())
    else {
        return Ok(None);
    };
    let mut st = cx.state();
    st.set("id", s(&domain));
    st.set("domain", s(&domain));
    st.set("user_pool_id", opt_s(d.user_pool_id()));
    st.set("aws_account_id", opt_s(d.aws_account_id()));
    st.set(
        "cloudfront_distribution",
        opt_s(d.cloud_front_distribution()),
    );
    // Not every endpoint reports the custom domain configuration (moto): keep the state's.
    st.set(
        "certificate_arn",
        match d.custom_domain_config().map(|c| c.certificate_arn()) {
            Some(c) => s(c),
            None => o
                .get("certificate_arn")
                .cloned()
                .unwrap_or_else(|| Value::null(Type::String)),
        },
    );
    st.set("version", opt_s(d.version()));
    Ok(Some(st.build()))
}

impl Resource for UserPoolDomain {
    fn type_name(&self) -> &'static str {
        "aws_cognito_user_pool_domain"
    }
    fn definition(&self) -> ResourceType {
        def(Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("domain", Attribute::required(Type::String).force_new())
            .attr(
                "user_pool_id",
                Attribute::required(Type::String).force_new(),
            )
            .attr("certificate_arn", Attribute::optional(Type::String))
            .attr("aws_account_id", Attribute::computed(Type::String))
            .attr("cloudfront_distribution", Attribute::computed(Type::String))
            .attr("version", Attribute::computed(Type::String)))
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(read_domain(cx, current))
    }
    fn recovery(&self) -> Recovery {
        Recovery::Name
    }
    /// The domain (unique per region) when it belongs to the planned pool.
    fn find_by_token<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
        _token: &'a str,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            let Some(d) = read_domain(cx, planned).await? else {
                return Ok(None);
            };
            if Obj(&d).str("user_pool_id") == Obj(planned).str("user_pool_id") {
                return Ok(Some(d));
            }
            let domain = Obj(planned).str("domain").unwrap_or_default();
            Err(cx.not_ours("user pool domain", &domain, &domain))
        })
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let p = Obj(planned);
            let mut req = client(cx)
                .create_user_pool_domain()
                .set_domain(p.str("domain"))
                .set_user_pool_id(p.str("user_pool_id"));
            if let Some(c) = p.str("certificate_arn") {
                req = req.custom_domain_config(
                    aws_sdk_cognitoidentityprovider::types::CustomDomainConfigType::builder()
                        .certificate_arn(c)
                        .build()
                        .map_err(|e| ProviderError::new(format!("{}: {e}", cx.address())))?,
                );
            }
            if let Err(e) = req.send().await {
                // Taken by this pool already: a lost response or a cut-off earlier attempt.
                if !matches!(
                    self.find_by_token(cx, planned, cx.token()).await,
                    Ok(Some(_))
                ) {
                    return Err(cx.err("CreateUserPoolDomain", &e)
                        .hint("prefix domains are global per region: pick another domain if it is taken; a custom domain needs an ACM certificate in us-east-1"));
                }
            }
            must(cx, read_domain(cx, planned).await?, "user pool domain")
        })
    }
    fn update<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        _prior: &'a Value,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let p = Obj(planned);
            if let Some(c) = p.str("certificate_arn") {
                client(cx)
                    .update_user_pool_domain()
                    .set_domain(p.str("domain"))
                    .set_user_pool_id(p.str("user_pool_id"))
                    .custom_domain_config(
                        aws_sdk_cognitoidentityprovider::types::CustomDomainConfigType::builder()
                            .certificate_arn(c)
                            .build()
                            .map_err(|e| ProviderError::new(format!("{}: {e}", cx.address())))?,
                    )
                    .send()
                    .await
                    .map_err(|e| cx.err("UpdateUserPoolDomain", &e))?;
            }
            must(cx, read_domain(cx, planned).await?, "user pool domain")
        })
    }
    fn delete<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async move {
            let p = Obj(prior);
            client(cx)
                .delete_user_pool_domain()
                .set_domain(p.str("domain"))
                .set_user_pool_id(p.str("user_pool_id"))
                .send()
                .await
                .gone_ok(cx, "DeleteUserPoolDomain", gone)
        })
    }
}
