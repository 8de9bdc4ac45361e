//! `aws_security_group` with inline `ingress` / `egress` rules.
//!
//! Rules are normalised the way AWS reports them, so a configuration that writes `protocol =
//! "6"` or `"all"`, or lists CIDRs in another order, re-plans clean: protocols by name (`tcp`,
//! `udp`, `icmp`, `-1` for all), ports 0 for `-1`, lists sorted, unset lists empty, `self` false
//! and `description` "" when unset. AWS groups a rule's sources by port range; a read splits
//! them back into one rule per (protocol, ports, description). As in Terraform, the default
//! allow-all egress rule AWS adds to a new group is removed: the configuration says what is open.

use super::vpc::must_read_after_write as must_read;
use super::{
    client, def, ec2_arn, find_tagged, gone, put_tags, retag_and_read, tag_spec, tags_schema,
};
use crate::aws::error::is_code;
use crate::aws::resource::{Ctx, Plan, Recovery, Resource, SdkResult};
use crate::aws::value::{opt_s, s, Obj};
use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType as Ec2Type, UserIdGroupPair,
};
use engine::lang::types::Type;
use engine::lang::value::{Kind, Value};
use engine::provider::{
    Attribute, Block, BoxFuture, Nesting, ProviderResult, ResourceType, Schema,
};
use std::collections::BTreeMap;

pub struct SecurityGroup;

fn rule_schema() -> Schema {
    Schema::new()
        .attr("from_port", Attribute::required(Type::Number))
        .attr("to_port", Attribute::required(Type::Number))
        .attr("protocol", Attribute::required(Type::String))
        .attr("cidr_blocks", Attribute::optional(Type::list(Type::String)))
        .attr(
            "ipv6_cidr_blocks",
            Attribute::optional(Type::list(Type::String)),
        )
        .attr(
            "prefix_list_ids",
            Attribute::optional(Type::list(Type::String)),
        )
        .attr(
            "security_groups",
            Attribute::optional(Type::set(Type::String)),
        )
        .attr("self", Attribute::optional(Type::Bool))
        .attr("description", Attribute::optional(Type::String))
}

fn rules_block() -> Block {
    Block {
        nesting: Nesting::Set,
        schema: rule_schema(),
        min_items: 0,
        max_items: 0,
        force_new: false,
    }
}

/// One rule in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Rule {
    protocol: String,
    from: i64,
    to: i64,
    description: String,
    cidrs: Vec<String>,
    ipv6: Vec<String>,
    prefix_lists: Vec<String>,
    groups: Vec<String>,
    self_: bool,
}

pub(crate) fn normalise_protocol(p: &str) -> String {
    let p = p.trim().to_ascii_lowercase();
    match p.as_str() {
        "all" | "-1" => "-1".into(),
        "6" => "tcp".into(),
        "17" => "udp".into(),
        "1" => "icmp".into(),
        "58" => "icmpv6".into(),
        _ => p,
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

impl Rule {
    fn from_value(v: &Value) -> Rule {
        let o = Obj(v);
        let protocol = normalise_protocol(&o.str("protocol").unwrap_or_default());
        let all = protocol == "-1";
        Rule {
            from: if all {
                0
            } else {
                o.i64("from_port").unwrap_or(0)
            },
            to: if all {
                0
            } else {
                o.i64("to_port").unwrap_or(0)
            },
            protocol,
            description: o.str("description").unwrap_or_default(),
            cidrs: sorted(o.str_list("cidr_blocks")),
            ipv6: sorted(o.str_list("ipv6_cidr_blocks")),
            prefix_lists: sorted(o.str_list("prefix_list_ids")),
            groups: sorted(o.str_list("security_groups")),
            self_: o.bool("self").unwrap_or(false),
        }
    }
    fn to_value(&self) -> Value {
        let list = |v: &[String]| {
            Value::list(
                Type::String,
                v.iter().map(|x| Value::string(x.as_str())).collect(),
            )
        };
        Value::object(vec![
            ("from_port".into(), Value::int(self.from)),
            ("to_port".into(), Value::int(self.to)),
            ("protocol".into(), s(&self.protocol)),
            ("cidr_blocks".into(), list(&self.cidrs)),
            ("ipv6_cidr_blocks".into(), list(&self.ipv6)),
            ("prefix_list_ids".into(), list(&self.prefix_lists)),
            (
                "security_groups".into(),
                Value::set(
                    Type::String,
                    self.groups
                        .iter()
                        .map(|x| Value::string(x.as_str()))
                        .collect(),
                ),
            ),
            ("self".into(), Value::bool(self.self_)),
            ("description".into(), s(&self.description)),
        ])
    }
    fn permission(&self, own_id: &str) -> IpPermission {
        let d = (!self.description.is_empty()).then(|| self.description.clone());
        let mut groups: Vec<UserIdGroupPair> = self
            .groups
            .iter()
            .map(|g| {
                UserIdGroupPair::builder()
                    .group_id(g)
                    .set_description(d.clone())
                    .build()
            })
            .collect();
        if self.self_ {
            groups.push(
                UserIdGroupPair::builder()
                    .group_id(own_id)
                    .set_description(d.clone())
                    .build(),
            );
        }
        let mut b = IpPermission::builder().ip_protocol(&self.protocol);
        if self.protocol != "-1" {
            b = b
                .from_port(i32::try_from(self.from).unwrap_or(0))
                .to_port(i32::try_from(self.to).unwrap_or(0));
        }
        b.set_ip_ranges(Some(
            self.cidrs
                .iter()
                .map(|c| {
                    IpRange::builder()
                        .cidr_ip(c)
                        .set_description(d.clone())
                        .build()
                })
                .collect(),
        ))
        .set_ipv6_ranges(Some(
            self.ipv6
                .iter()
                .map(|c| {
                    Ipv6Range::builder()
                        .cidr_ipv6(c)
                        .set_description(d.clone())
                        .build()
                })
                .collect(),
        ))
        .set_prefix_list_ids(Some(
            self.prefix_lists
                .iter()
                .map(|c| {
                    PrefixListId::builder()
                        .prefix_list_id(c)
                        .set_description(d.clone())
                        .build()
                })
                .collect(),
        ))
        .set_user_id_group_pairs(Some(groups))
        .build()
    }
}

type RuleKey = (String, i64, i64, String);

fn entry(out: &mut BTreeMap<RuleKey, Rule>, k: RuleKey) -> &mut Rule {
    out.entry(k.clone()).or_insert_with(|| Rule {
        protocol: k.0,
        from: k.1,
        to: k.2,
        description: k.3,
        cidrs: vec![],
        ipv6: vec![],
        prefix_lists: vec![],
        groups: vec![],
        self_: false,
    })
}

/// Splits AWS's permissions into rules, one per (protocol, ports, description).
fn rules_of(perms: &[IpPermission], own_id: &str) -> Vec<Rule> {
    let mut out: BTreeMap<RuleKey, Rule> = BTreeMap::new();
    for p in perms {
        let protocol = normalise_protocol(p.ip_protocol().unwrap_or("-1"));
        let all = protocol == "-1";
        let from = if all {
            0
        } else {
            i64::from(p.from_port().unwrap_or(0))
        };
        let to = if all {
            0
        } else {
            i64::from(p.to_port().unwrap_or(0))
        };
        let key = |d: Option<&str>| (protocol.clone(), from, to, d.unwrap_or("").to_string());
        for r in p.ip_ranges() {
            if let Some(c) = r.cidr_ip() {
                entry(&mut out, key(r.description()))
                    .cidrs
                    .push(c.to_string());
            }
        }
        for r in p.ipv6_ranges() {
            if let Some(c) = r.cidr_ipv6() {
                entry(&mut out, key(r.description()))
                    .ipv6
                    .push(c.to_string());
            }
        }
        for r in p.prefix_list_ids() {
            if let Some(c) = r.prefix_list_id() {
                entry(&mut out, key(r.description()))
                    .prefix_lists
                    .push(c.to_string());
            }
        }
        for g in p.user_id_group_pairs() {
            if let Some(id) = g.group_id() {
                let e = entry(&mut out, key(g.description()));
                if id == own_id {
                    e.self_ = true;
                } else {
                    e.groups.push(id.to_string());
                }
            }
        }
    }
    out.into_values()
        .map(|mut r| {
            r.cidrs = sorted(r.cidrs);
            r.ipv6 = sorted(r.ipv6);
            r.prefix_lists = sorted(r.prefix_lists);
            r.groups = sorted(r.groups);
            r
        })
        .collect()
}

fn rules_value(rules: &[Rule]) -> Value {
    Value::set(
        rule_schema().object_type(),
        rules.iter().map(Rule::to_value).collect(),
    )
}

/// A rule whose attributes are partly unknown: each known attribute as the normalised rule has
/// it, the unknown ones kept.
fn normalise_known(rule: &Value) -> Value {
    if rule.is_wholly_known() {
        return Rule::from_value(rule).to_value();
    }
    let normal = Rule::from_value(rule).to_value();
    let protocol_known = rule
        .get_attr("protocol")
        .is_none_or(|p| p.is_wholly_known());
    let attrs = rule_schema()
        .attributes
        .keys()
        .map(|k| {
            let mine = rule
                .get_attr(k)
                .cloned()
                .unwrap_or_else(Value::null_dynamic);
            // Ports depend on the protocol ("-1": 0 to 0).
            let depends_on_protocol = matches!(k.as_str(), "from_port" | "to_port");
            let v = if !mine.is_wholly_known() || (depends_on_protocol && !protocol_known) {
                mine
            } else {
                normal.get_attr(k).cloned().unwrap_or(mine)
            };
            (k.clone(), v)
        })
        .collect();
    Value::object(attrs)
}

fn config_rules(v: &Value, name: &str) -> Vec<Rule> {
    Obj(v)
        .blocks(name)
        .into_iter()
        .map(Rule::from_value)
        .collect()
}

async fn read_sg(cx: &Ctx<'_>, current: &Value) -> ProviderResult<Option<Value>> {
    let Some(id) = Obj(current).str("id") else {
        return Ok(None);
    };
    let Some(out) = client(cx)
        .describe_security_groups()
        .group_ids(&id)
        .send()
        .await
        .found(cx, "DescribeSecurityGroups", gone)?
    else {
        return Ok(None);
    };
    let Some(g) = out.security_groups().first() else {
        return Ok(None);
    };
    let owner = g.owner_id().unwrap_or_default().to_string();
    let mut st = cx.state();
    st.set("id", s(&id));
    st.set(
        "arn",
        g.security_group_arn()
            .map(s)
            .unwrap_or_else(|| ec2_arn(cx, &owner, "security-group", &id)),
    );
    st.set("name", opt_s(g.group_name()));
    st.set("description", opt_s(g.description()));
    st.set("vpc_id", opt_s(g.vpc_id()));
    st.set("owner_id", s(&owner));
    st.set(
        "revoke_rules_on_delete",
        Value::bool(Obj(current).bool("revoke_rules_on_delete").unwrap_or(false)),
    );
    st.set("ingress", rules_value(&rules_of(g.ip_permissions(), &id)));
    st.set(
        "egress",
        rules_value(&rules_of(g.ip_permissions_egress(), &id)),
    );
    put_tags(cx, &mut st, g.tags(), current);
    Ok(Some(st.build()))
}

async fn authorize(cx: &Ctx<'_>, id: &str, egress: bool, rules: &[Rule]) -> ProviderResult<()> {
    if rules.is_empty() {
        return Ok(());
    }
    let perms: Vec<IpPermission> = rules.iter().map(|r| r.permission(id)).collect();
    match authorize_perms(cx, id, egress, perms.clone()).await {
        Ok(()) => Ok(()),
        // Some rule is there already: a retry of a call whose response was lost, or an
        // adopted group. AWS refuses the whole batch: add the rules one by one, each already
        // present being done.
        Err((true, _)) => {
            for p in perms {
                if let Err((false, e)) = authorize_perms(cx, id, egress, vec![p]).await {
                    return Err(e);
                }
            }
            Ok(())
        }
        Err((false, e)) => Err(e),
    }
}

/// One Authorize call; an error says whether AWS found a duplicate rule.
async fn authorize_perms(
    cx: &Ctx<'_>,
    id: &str,
    egress: bool,
    perms: Vec<IpPermission>,
) -> Result<(), (bool, engine::provider::ProviderError)> {
    let dup = "InvalidPermission.Duplicate";
    if egress {
        client(cx)
            .authorize_security_group_egress()
            .group_id(id)
            .set_ip_permissions(Some(perms))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                (
                    is_code(&e, &[dup]),
                    cx.err("AuthorizeSecurityGroupEgress", &e),
                )
            })
    } else {
        client(cx)
            .authorize_security_group_ingress()
            .group_id(id)
            .set_ip_permissions(Some(perms))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                (
                    is_code(&e, &[dup]),
                    cx.err("AuthorizeSecurityGroupIngress", &e),
                )
            })
    }
}

async fn revoke(cx: &Ctx<'_>, id: &str, egress: bool, rules: &[Rule]) -> ProviderResult<()> {
    if rules.is_empty() {
        return Ok(());
    }
    let perms: Vec<IpPermission> = rules.iter().map(|r| r.permission(id)).collect();
    let res = if egress {
        client(cx)
            .revoke_security_group_egress()
            .group_id(id)
            .set_ip_permissions(Some(perms))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| (gone(&e), cx.err("RevokeSecurityGroupEgress", &e)))
    } else {
        client(cx)
            .revoke_security_group_ingress()
            .group_id(id)
            .set_ip_permissions(Some(perms))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| (gone(&e), cx.err("RevokeSecurityGroupIngress", &e)))
    };
    match res {
        Ok(()) | Err((true, _)) => Ok(()),
        Err((false, e)) => Err(e),
    }
}

impl Resource for SecurityGroup {
    fn type_name(&self) -> &'static str {
        "aws_security_group"
    }
    fn definition(&self) -> ResourceType {
        def(tags_schema(
            Schema::new()
                .attr("id", Attribute::computed(Type::String))
                .attr("arn", Attribute::computed(Type::String))
                .attr(
                    "name",
                    Attribute::optional_computed(Type::String).force_new(),
                )
                .attr(
                    "description",
                    Attribute::optional(Type::String)
                        .force_new()
                        .default(s("Managed by Terraform")),
                )
                .attr(
                    "vpc_id",
                    Attribute::optional_computed(Type::String).force_new(),
                )
                .attr("owner_id", Attribute::computed(Type::String))
                .attr(
                    "revoke_rules_on_delete",
                    Attribute::optional(Type::Bool).default(Value::bool(false)),
                )
                .block("ingress", rules_block())
                .block("egress", rules_block()),
        ))
    }
    fn customize_plan(&self, plan: &mut Plan<'_>) -> ProviderResult<()> {
        for name in ["ingress", "egress"] {
            let v = plan.get(name);
            if !v.is_known() {
                continue;
            }
            let items: Vec<Value> = match v.kind() {
                Kind::Set(items) | Kind::List(items) => items.to_vec(),
                _ => Vec::new(),
            };
            if v.is_wholly_known() {
                let rules: Vec<Rule> = items.iter().map(Rule::from_value).collect();
                plan.set(name, rules_value(&rules));
                continue;
            }
            // Rules with values known only after apply (another group's ID): what is known is
            // normalised as it will be then (unset lists empty, no description "", self false),
            // so the final plan does not contradict this one.
            let items = items.iter().map(normalise_known).collect();
            plan.set(name, Value::set(rule_schema().object_type(), items));
        }
        Ok(())
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(read_sg(cx, current))
    }
    fn recovery(&self) -> Recovery {
        Recovery::Tag
    }
    fn find_id<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        _planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<String>>> {
        Box::pin(async move {
            find_tagged!(
                cx,
                describe_security_groups,
                "DescribeSecurityGroups",
                security_groups,
                group_id,
                "security group"
            )
        })
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let p = Obj(planned);
            // Stable across attempts (the name is derived from the operation's token).
            let name = p.str("name").unwrap_or_else(|| cx.generated_name());
            let id = cx
                .create_id(
                    "CreateSecurityGroup",
                    || {
                        let req = client(cx)
                            .create_security_group()
                            .group_name(&name)
                            .description(
                                p.str("description")
                                    .unwrap_or_else(|| "Managed by Terraform".into()),
                            )
                            .set_vpc_id(p.str("vpc_id"))
                            .set_tag_specifications(
                                tag_spec(Ec2Type::SecurityGroup, &cx.create_tags(planned))
                                    .map(|t| vec![t]),
                            );
                        async move {
                            let out = req.send().await?;
                            Ok(out.group_id().map(str::to_string))
                        }
                    },
                    || self.find_id(cx, planned),
                )
                .await?;
            let stub = cx.state_from(planned).with("id", s(&id)).build();
            // From the rules it has (AWS's default egress rule; an adopted group's earlier
            // rules) to the configuration's.
            let now = read_sg(cx, &stub).await?.unwrap_or_else(|| stub.clone());
            for (kind, egress) in [("ingress", false), ("egress", true)] {
                let old = config_rules(&now, kind);
                let new = config_rules(planned, kind);
                let extra: Vec<Rule> = old.iter().filter(|r| !new.contains(r)).cloned().collect();
                let missing: Vec<Rule> = new.iter().filter(|r| !old.contains(r)).cloned().collect();
                revoke(cx, &id, egress, &extra).await?;
                authorize(cx, &id, egress, &missing).await?;
            }
            must_read(cx, read_sg(cx, &stub).await?, "security group")
        })
    }
    fn update<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let id = Obj(prior).str("id").unwrap_or_default();
            for (name, egress) in [("ingress", false), ("egress", true)] {
                let old = config_rules(prior, name);
                let new = config_rules(planned, name);
                let gone_rules: Vec<Rule> =
                    old.iter().filter(|r| !new.contains(r)).cloned().collect();
                let added: Vec<Rule> = new.iter().filter(|r| !old.contains(r)).cloned().collect();
                revoke(cx, &id, egress, &gone_rules).await?;
                authorize(cx, &id, egress, &added).await?;
            }
            retag_and_read(self, cx, &id, prior, planned, "security group").await
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
            if Obj(prior).bool("revoke_rules_on_delete") == Some(true) {
                if let Some(now) = read_sg(cx, prior).await? {
                    revoke(cx, &id, false, &config_rules(&now, "ingress")).await?;
                    revoke(cx, &id, true, &config_rules(&now, "egress")).await?;
                }
            }
            let req = client(cx).delete_security_group().group_id(&id);
            req.send().await.gone_ok(cx, "DeleteSecurityGroup", gone).map_err(|e| {
                    e.hint(
                        "a security group cannot be deleted while network interfaces use it or other groups' rules reference it: set revoke_rules_on_delete, or remove those first",
                    )
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rule planned with another group's ID still unknown is normalised where known, so the
    /// rule the apply sees (the ID known) agrees with every known part of the plan.
    #[test]
    fn a_rule_with_an_unknown_group_plans_what_apply_will_see() {
        let rule = |groups: Value| {
            let ty = rule_schema().object_type();
            let attrs = ty.attribute_types().cloned().unwrap_or_default();
            Value::object(
                attrs
                    .iter()
                    .map(|(k, t)| {
                        let v = match k.as_str() {
                            "from_port" | "to_port" => Value::int(5432),
                            "protocol" => Value::string("TCP"),
                            "security_groups" => groups.clone(),
                            _ => Value::null(t.clone()),
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            )
        };
        let planned = normalise_known(&rule(Value::unknown(Type::set(Type::String))));
        assert!(!planned.is_wholly_known());
        assert_eq!(
            planned
                .get_attr("protocol")
                .and_then(|p| p.as_str().map(str::to_string)),
            Some("tcp".to_string())
        );
        assert!(planned
            .get_attr("cidr_blocks")
            .is_some_and(|v| v.is_wholly_known() && !v.is_null()));
        let at_apply = Rule::from_value(&rule(Value::set(
            Type::String,
            vec![Value::string("sg-0123")],
        )))
        .to_value();
        assert_eq!(
            engine::lang::compare::known_paths_conflict(&planned, &at_apply),
            None
        );
    }

    #[test]
    fn protocols_normalise() {
        assert_eq!(normalise_protocol("6"), "tcp");
        assert_eq!(normalise_protocol("ALL"), "-1");
        assert_eq!(normalise_protocol("TCP"), "tcp");
    }

    #[test]
    fn rule_round_trip_is_canonical() {
        let r = Rule {
            protocol: "tcp".into(),
            from: 443,
            to: 443,
            description: String::new(),
            cidrs: vec!["10.0.0.0/8".into()],
            ipv6: vec![],
            prefix_lists: vec![],
            groups: vec![],
            self_: false,
        };
        assert_eq!(Rule::from_value(&r.to_value()), r);
    }
}
