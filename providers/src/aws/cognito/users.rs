//! `aws_cognito_user_group`, `aws_cognito_user` and `aws_cognito_user_in_group`.
//!
//! A user's `temporary_password` and `password` are sensitive schema attributes: they never
//! appear in plans, logs or errors, and AWS never reports them back (a read keeps the state's).

use super::{client, def, gone, import_by, must, split2};
use crate::aws::eks::datetime;
use crate::aws::intent::system_time;
use crate::aws::resource::{Ctx, Recovery, Resource, SdkResult};
use crate::aws::value::{map_value, opt_s, s, Obj};
use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, DeliveryMediumType, MessageActionType,
};
use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::provider::{Attribute, BoxFuture, ProviderError, ProviderResult, ResourceType, Schema};
use std::collections::BTreeMap;

/// The (pool, name) of a state, from its attributes or its `pool/name` ID.
fn pool_and(v: &Value, attr: &str) -> (String, String) {
    let o = Obj(v);
    match (o.str("user_pool_id"), o.str(attr)) {
        (Some(p), Some(n)) => (p, n),
        _ => split2(&o.str("id").unwrap_or_default()).unwrap_or_default(),
    }
}

pub struct UserGroup;

async fn read_group(cx: &Ctx<'_>, current: &Value) -> ProviderResult<Option<Value>> {
    let (pool, name) = pool_and(current, "name");
    if pool.is_empty() {
        return Ok(None);
    }
    let Some(out) = client(cx)
        .get_group()
        .user_pool_id(&pool)
        .group_name(&name)
        .send()
        .await
        .found(cx, "GetGroup", gone)?
    else {
        return Ok(None);
    };
    let Some(g) = out.group() else {
        return Ok(None);
    };
    let mut st = cx.state();
    st.set("id", s(format!("{pool}/{name}")));
    st.set("user_pool_id", s(&pool));
    st.set("name", s(&name));
    st.set(
        "description",
        opt_s(g.description().filter(|x| !x.is_empty())),
    );
    st.set(
        "precedence",
        g.precedence()
            .map(|p| Value::int(i64::from(p)))
            .unwrap_or_else(|| Value::null(Type::Number)),
    );
    st.set("role_arn", opt_s(g.role_arn().filter(|x| !x.is_empty())));
    Ok(Some(st.build()))
}

impl Resource for UserGroup {
    fn type_name(&self) -> &'static str {
        "aws_cognito_user_group"
    }
    fn definition(&self) -> ResourceType {
        def(Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr(
                "user_pool_id",
                Attribute::required(Type::String).force_new(),
            )
            .attr("name", Attribute::required(Type::String).force_new())
            .attr("description", Attribute::optional(Type::String))
            .attr("precedence", Attribute::optional(Type::Number))
            .attr("role_arn", Attribute::optional(Type::String)))
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(read_group(cx, current))
    }
    fn recovery(&self) -> Recovery {
        Recovery::Name
    }
    /// The group of the planned name (unique in its pool), when it was created after the
    /// intent's token was drawn (groups have no tags).
    fn find_by_token<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
        _token: &'a str,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            let (pool, name) = pool_and(planned, "name");
            let r = client(cx)
                .get_group()
                .user_pool_id(&pool)
                .group_name(&name)
                .send()
                .await;
            let Some(g) = r.found(cx, "GetGroup", gone)?.and_then(|o| o.group) else {
                return Ok(None);
            };
            if !g
                .creation_date()
                .and_then(system_time)
                .is_some_and(|t| cx.created_since_token(t))
            {
                return Err(cx.not_ours("user group", &name, &format!("{pool}/{name}")));
            }
            read_group(cx, planned).await
        })
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let p = Obj(planned);
            let r = client(cx)
                .create_group()
                .set_user_pool_id(p.str("user_pool_id"))
                .set_group_name(p.str("name"))
                .set_description(p.str("description"))
                .set_precedence(p.i64("precedence").and_then(|x| i32::try_from(x).ok()))
                .set_role_arn(p.str("role_arn"))
                .send()
                .await;
            if let Err(e) = r {
                // A lost response or a cut-off earlier attempt: adopted when the group is ours.
                if !matches!(
                    self.find_by_token(cx, planned, cx.token()).await,
                    Ok(Some(_))
                ) {
                    return Err(cx.err("CreateGroup", &e));
                }
            }
            must(cx, read_group(cx, planned).await?, "user group")
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
            client(cx)
                .update_group()
                .set_user_pool_id(p.str("user_pool_id"))
                .set_group_name(p.str("name"))
                .set_description(p.str("description"))
                .set_precedence(p.i64("precedence").and_then(|x| i32::try_from(x).ok()))
                .set_role_arn(p.str("role_arn"))
                .send()
                .await
                .map_err(|e| cx.err("UpdateGroup", &e))?;
            must(cx, read_group(cx, planned).await?, "user group")
        })
    }
    fn delete<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async move {
            let (pool, name) = pool_and(prior, "name");
            client(cx)
                .delete_group()
                .user_pool_id(&pool)
                .group_name(&name)
                .send()
                .await
                .gone_ok(cx, "DeleteGroup", gone)
        })
    }
    /// Terraform's import ID: `USER_POOL_ID/GROUP_NAME`.
    fn import<'a>(&'a self, cx: &'a Ctx<'a>, id: &'a str) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(import_by(
            self,
            cx,
            id,
            "user group",
            "USER_POOL_ID/GROUP_NAME",
        ))
    }
}

pub struct User;

/// Attributes AWS adds on its own and that a configuration does not manage unless it sets them.
const SYSTEM_ATTRS: &[&str] = &["sub"];

async fn read_user(cx: &Ctx<'_>, current: &Value) -> ProviderResult<Option<Value>> {
    let (pool, name) = pool_and(current, "username");
    if pool.is_empty() {
        return Ok(None);
    }
    let Some(u) = client(cx)
        .admin_get_user()
        .user_pool_id(&pool)
        .username(&name)
        .send()
        .await
        .found(cx, "AdminGetUser", gone)?
    else {
        return Ok(None);
    };
    let cur = Obj(current);
    let configured = cur.str_map("attributes");
    let attrs_null = cur.get("attributes").is_none();
    let mut attrs = BTreeMap::new();
    let mut sub = None;
    for a in u.user_attributes() {
        let v = a.value().unwrap_or_default().to_string();
        if a.name() == "sub" {
            sub = Some(v.clone());
        }
        // Keep what the configuration manages; on import (no state), everything but system
        // attributes. AWS's own `email_verified` etc. are kept only when configured.
        let managed = configured.contains_key(a.name())
            || (attrs_null && cur.get("username").is_none() && !SYSTEM_ATTRS.contains(&a.name()));
        if managed {
            attrs.insert(a.name().to_string(), v);
        }
    }
    let mut st = cx.state();
    st.set("id", s(format!("{pool}/{name}")));
    st.set("user_pool_id", s(&pool));
    st.set("username", s(&name));
    st.set(
        "attributes",
        if attrs.is_empty() && attrs_null {
            Value::null(Type::map(Type::String))
        } else {
            map_value(&attrs)
        },
    );
    st.set("enabled", Value::bool(u.enabled()));
    st.set("status", opt_s(u.user_status().map(|x| x.as_str())));
    st.set("sub", opt_s(sub));
    st.set("creation_date", datetime(u.user_create_date()));
    st.set("last_modified_date", datetime(u.user_last_modified_date()));
    // Never reported by AWS: kept from the state, still sensitive.
    for k in ["temporary_password", "password"] {
        let v = cur.raw(k);
        st.set(k, if v.is_null() { v } else { v.mark_sensitive() });
    }
    for k in ["message_action", "desired_delivery_mediums"] {
        st.set(k, cur.raw(k));
    }
    Ok(Some(st.build()))
}

fn attribute_list(m: &BTreeMap<String, String>) -> Vec<AttributeType> {
    m.iter()
        .filter_map(|(k, v)| AttributeType::builder().name(k).value(v).build().ok())
        .collect()
}

async fn set_password(cx: &Ctx<'_>, pool: &str, name: &str, p: &Value) -> ProviderResult<()> {
    if let Some(pw) = Obj(p).str("password") {
        client(cx)
            .admin_set_user_password()
            .user_pool_id(pool)
            .username(name)
            .password(pw)
            .permanent(true)
            .send()
            .await
            // The SDK's error text never contains the request's password.
            .map_err(|e| {
                cx.err("AdminSetUserPassword", &e)
                    .hint("check the password against the pool's password_policy")
            })?;
    }
    Ok(())
}

async fn set_enabled(cx: &Ctx<'_>, pool: &str, name: &str, enabled: bool) -> ProviderResult<()> {
    if enabled {
        client(cx)
            .admin_enable_user()
            .user_pool_id(pool)
            .username(name)
            .send()
            .await
            .map_err(|e| cx.err("AdminEnableUser", &e))?;
    } else {
        client(cx)
            .admin_disable_user()
            .user_pool_id(pool)
            .username(name)
            .send()
            .await
            .map_err(|e| cx.err("AdminDisableUser", &e))?;
    }
    Ok(())
}

impl Resource for User {
    fn type_name(&self) -> &'static str {
        "aws_cognito_user"
    }
    fn definition(&self) -> ResourceType {
        def(Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr(
                "user_pool_id",
                Attribute::required(Type::String).force_new(),
            )
            .attr("username", Attribute::required(Type::String).force_new())
            .attr("attributes", Attribute::optional(Type::map(Type::String)))
            .attr(
                "temporary_password",
                Attribute::optional(Type::String)
                    .sensitive()
                    .describe("Initial password the user must change (sensitive)"),
            )
            .attr(
                "password",
                Attribute::optional(Type::String)
                    .sensitive()
                    .describe("Permanent password (sensitive)"),
            )
            .attr(
                "enabled",
                Attribute::optional(Type::Bool).default(Value::bool(true)),
            )
            .attr(
                "message_action",
                Attribute::optional(Type::String).describe("RESEND or SUPPRESS"),
            )
            .attr(
                "desired_delivery_mediums",
                Attribute::optional(Type::set(Type::String)),
            )
            .attr("status", Attribute::computed(Type::String))
            .attr("sub", Attribute::computed(Type::String))
            .attr("creation_date", Attribute::computed(Type::String))
            .attr("last_modified_date", Attribute::computed(Type::String)))
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(read_user(cx, current))
    }
    fn recovery(&self) -> Recovery {
        Recovery::Name
    }
    /// The user of the planned name (unique in its pool), when it was created after the
    /// intent's token was drawn (users have no tags).
    fn find_by_token<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
        _token: &'a str,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            let (pool, name) = pool_and(planned, "username");
            let r = client(cx)
                .admin_get_user()
                .user_pool_id(&pool)
                .username(&name)
                .send()
                .await;
            let Some(u) = r.found(cx, "AdminGetUser", gone)? else {
                return Ok(None);
            };
            let created = u.user_create_date().and_then(system_time);
            if !created.is_some_and(|t| cx.created_since_token(t)) {
                return Err(cx.not_ours("user", &name, &format!("{pool}/{name}")));
            }
            read_user(cx, planned).await
        })
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let p = Obj(planned);
            let (pool, name) = pool_and(planned, "username");
            let mediums: Vec<DeliveryMediumType> = p
                .str_list("desired_delivery_mediums")
                .iter()
                .map(|m| DeliveryMediumType::from(m.as_str()))
                .collect();
            let attrs = attribute_list(&p.str_map("attributes"));
            let r = client(cx)
                .admin_create_user()
                .user_pool_id(&pool)
                .username(&name)
                .set_user_attributes((!attrs.is_empty()).then_some(attrs))
                .set_temporary_password(p.str("temporary_password"))
                .set_message_action(
                    p.str("message_action")
                        .map(|m| MessageActionType::from(m.as_str())),
                )
                .set_desired_delivery_mediums((!mediums.is_empty()).then_some(mediums))
                .send()
                .await;
            if let Err(e) = r {
                // A lost response or a cut-off earlier attempt: adopted when the user is ours.
                if !matches!(
                    self.find_by_token(cx, planned, cx.token()).await,
                    Ok(Some(_))
                ) {
                    return Err(cx.err("AdminCreateUser", &e));
                }
            }
            set_password(cx, &pool, &name, planned).await?;
            if p.bool("enabled") == Some(false) {
                set_enabled(cx, &pool, &name, false).await?;
            }
            must(cx, read_user(cx, planned).await?, "user")
        })
    }
    fn update<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let (o, n) = (Obj(prior), Obj(planned));
            let (pool, name) = pool_and(prior, "username");
            let (oa, na) = (o.str_map("attributes"), n.str_map("attributes"));
            let changed: BTreeMap<String, String> = na
                .iter()
                .filter(|(k, v)| oa.get(*k) != Some(*v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if !changed.is_empty() {
                client(cx)
                    .admin_update_user_attributes()
                    .user_pool_id(&pool)
                    .username(&name)
                    .set_user_attributes(Some(attribute_list(&changed)))
                    .send()
                    .await
                    .map_err(|e| cx.err("AdminUpdateUserAttributes", &e))?;
            }
            let removed: Vec<String> = oa
                .keys()
                .filter(|k| !na.contains_key(*k))
                .cloned()
                .collect();
            if !removed.is_empty() {
                client(cx)
                    .admin_delete_user_attributes()
                    .user_pool_id(&pool)
                    .username(&name)
                    .set_user_attribute_names(Some(removed))
                    .send()
                    .await
                    .map_err(|e| cx.err("AdminDeleteUserAttributes", &e))?;
            }
            if o.str("password") != n.str("password") {
                set_password(cx, &pool, &name, planned).await?;
            }
            let en = n.bool("enabled").unwrap_or(true);
            if o.bool("enabled") != Some(en) {
                set_enabled(cx, &pool, &name, en).await?;
            }
            must(cx, read_user(cx, planned).await?, "user")
        })
    }
    fn delete<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async move {
            let (pool, name) = pool_and(prior, "username");
            client(cx)
                .admin_delete_user()
                .user_pool_id(&pool)
                .username(&name)
                .send()
                .await
                .gone_ok(cx, "AdminDeleteUser", gone)
        })
    }
    /// Terraform's import ID: `USER_POOL_ID/USERNAME`.
    fn import<'a>(&'a self, cx: &'a Ctx<'a>, id: &'a str) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(import_by(self, cx, id, "user", "USER_POOL_ID/USERNAME"))
    }
}

pub struct UserInGroup;

fn membership(v: &Value) -> Option<(String, String, String)> {
    let o = Obj(v);
    match (
        o.str("user_pool_id"),
        o.str("group_name"),
        o.str("username"),
    ) {
        (Some(p), Some(g), Some(u)) => Some((p, g, u)),
        _ => {
            let id = o.str("id")?;
            let mut it = id.splitn(3, '/');
            let p = it.next()?.to_string();
            let g = it.next()?.to_string();
            let u = it.next()?.to_string();
            (!p.is_empty() && !g.is_empty() && !u.is_empty()).then_some((p, g, u))
        }
    }
}

async fn read_membership(cx: &Ctx<'_>, current: &Value) -> ProviderResult<Option<Value>> {
    let Some((pool, group, user)) = membership(current) else {
        return Ok(None);
    };
    let mut next: Option<String> = None;
    loop {
        let Some(out) = client(cx)
            .admin_list_groups_for_user()
            .user_pool_id(&pool)
            .username(&user)
            .set_next_token(next.clone())
            .send()
            .await
            .found(cx, "AdminListGroupsForUser", gone)?
        else {
            return Ok(None);
        };
        if out
            .groups()
            .iter()
            .any(|g| g.group_name() == Some(group.as_str()))
        {
            let st = cx
                .state()
                .with("id", s(format!("{pool}/{group}/{user}")))
                .with("user_pool_id", s(&pool))
                .with("group_name", s(&group))
                .with("username", s(&user));
            return Ok(Some(st.build()));
        }
        match out.next_token() {
            Some(t) if !t.is_empty() => next = Some(t.to_string()),
            _ => return Ok(None),
        }
    }
}

impl Resource for UserInGroup {
    fn type_name(&self) -> &'static str {
        "aws_cognito_user_in_group"
    }
    fn definition(&self) -> ResourceType {
        def(Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr(
                "user_pool_id",
                Attribute::required(Type::String).force_new(),
            )
            .attr("group_name", Attribute::required(Type::String).force_new())
            .attr("username", Attribute::required(Type::String).force_new()))
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(read_membership(cx, current))
    }
    fn recovery(&self) -> Recovery {
        Recovery::Idempotent
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let Some((pool, group, user)) = membership(planned) else {
                return Err(ProviderError::new(format!(
                    "{}: user_pool_id, group_name and username are required",
                    cx.address()
                )));
            };
            client(cx)
                .admin_add_user_to_group()
                .user_pool_id(&pool)
                .group_name(&group)
                .username(&user)
                .send()
                .await
                .map_err(|e| cx.err("AdminAddUserToGroup", &e))?;
            must(cx, read_membership(cx, planned).await?, "group membership")
        })
    }
    fn update<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        _prior: &'a Value,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        // Every attribute forces replacement: nothing to update in place.
        Box::pin(async move { must(cx, read_membership(cx, planned).await?, "group membership") })
    }
    fn delete<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async move {
            let Some((pool, group, user)) = membership(prior) else {
                return Ok(());
            };
            client(cx)
                .admin_remove_user_from_group()
                .user_pool_id(&pool)
                .group_name(&group)
                .username(&user)
                .send()
                .await
                .gone_ok(cx, "AdminRemoveUserFromGroup", gone)
        })
    }
    /// Import ID: `USER_POOL_ID/GROUP_NAME/USERNAME`.
    fn import<'a>(&'a self, cx: &'a Ctx<'a>, id: &'a str) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(import_by(
            self,
            cx,
            id,
            "group membership",
            "USER_POOL_ID/GROUP_NAME/USERNAME",
        ))
    }
}
