//! `aws_internet_gateway`, `aws_eip` and `aws_nat_gateway`.

use super::vpc::must_read_after_write as must_read;
use super::{
    client, def, ec2_arn, find_tagged, gone, put_tags, retag_and_read, tag_spec, tags_schema,
    wait_for,
};
use crate::aws::resource::{Ctx, Plan, Recovery, Resource, SdkResult};
use crate::aws::value::{opt_s, s, Obj};
use aws_sdk_ec2::types::{ConnectivityType, DomainType, NatGatewayState, ResourceType as Ec2Type};
use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::provider::{Attribute, BoxFuture, ProviderError, ProviderResult, ResourceType, Schema};
use std::time::Duration;

pub struct InternetGateway;

async fn read_igw(cx: &Ctx<'_>, current: &Value) -> ProviderResult<Option<Value>> {
    let Some(id) = Obj(current).str("id") else {
        return Ok(None);
    };
    let Some(out) = client(cx)
        .describe_internet_gateways()
        .internet_gateway_ids(&id)
        .send()
        .await
        .found(cx, "DescribeInternetGateways", gone)?
    else {
        return Ok(None);
    };
    let Some(g) = out.internet_gateways().first() else {
        return Ok(None);
    };
    let owner = g.owner_id().unwrap_or_default().to_string();
    let mut st = cx.state();
    st.set("id", s(&id));
    st.set("arn", ec2_arn(cx, &owner, "internet-gateway", &id));
    st.set("owner_id", s(&owner));
    st.set(
        "vpc_id",
        opt_s(g.attachments().first().and_then(|a| a.vpc_id())),
    );
    put_tags(cx, &mut st, g.tags(), current);
    Ok(Some(st.build()))
}

async fn attach(cx: &Ctx<'_>, id: &str, vpc: &str) -> ProviderResult<()> {
    let r = client(cx)
        .attach_internet_gateway()
        .internet_gateway_id(id)
        .vpc_id(vpc)
        .send()
        .await;
    let Err(e) = r else { return Ok(()) };
    // A retry of an attach whose response was lost finds it done: attached to this VPC is
    // success.
    let stub = cx.state().with("id", s(id)).build();
    let now = read_igw(cx, &stub).await.ok().flatten();
    if now.as_ref().and_then(|g| Obj(g).str("vpc_id")).as_deref() == Some(vpc) {
        return Ok(());
    }
    Err(cx.err("AttachInternetGateway", &e))
}

async fn detach(cx: &Ctx<'_>, id: &str, vpc: &str) -> ProviderResult<()> {
    client(cx)
        .detach_internet_gateway()
        .internet_gateway_id(id)
        .vpc_id(vpc)
        .send()
        .await
        .gone_ok(cx, "DetachInternetGateway", |e| {
            gone(e) || crate::aws::error::is_code(e, &["Gateway.NotAttached"])
        })
        .map_err(|e| {
            e.hint(
                "an internet gateway cannot be detached while public IPs (EIPs, NAT gateways) are mapped in its VPC: delete those first",
            )
        })
}

impl Resource for InternetGateway {
    fn type_name(&self) -> &'static str {
        "aws_internet_gateway"
    }
    fn definition(&self) -> ResourceType {
        def(tags_schema(
            Schema::new()
                .attr("id", Attribute::computed(Type::String))
                .attr("arn", Attribute::computed(Type::String))
                .attr("vpc_id", Attribute::optional(Type::String))
                .attr("owner_id", Attribute::computed(Type::String)),
        ))
    }
    /// A gateway moves between known VPCs in place (detach, attach); one whose VPC ID becomes
    /// known only after apply (its VPC is being replaced) is replaced with it, so that it is
    /// destroyed before the old VPC: a gateway still attached blocks DeleteVpc.
    fn customize_plan(&self, plan: &mut Plan<'_>) -> ProviderResult<()> {
        let was_attached = plan
            .prior_attr("vpc_id")
            .is_some_and(|v| v.is_known() && !v.is_null());
        if was_attached && !plan.get("vpc_id").is_known() {
            plan.replace("vpc_id");
        }
        Ok(())
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(read_igw(cx, current))
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
                describe_internet_gateways,
                "DescribeInternetGateways",
                internet_gateways,
                internet_gateway_id,
                "internet gateway"
            )
        })
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let id = cx
                .create_id(
                    "CreateInternetGateway",
                    || {
                        let req = client(cx).create_internet_gateway().set_tag_specifications(
                            tag_spec(Ec2Type::InternetGateway, &cx.create_tags(planned))
                                .map(|t| vec![t]),
                        );
                        async move {
                            let out = req.send().await?;
                            let g = out.internet_gateway();
                            Ok(g.and_then(|g| g.internet_gateway_id()).map(str::to_string))
                        }
                    },
                    || self.find_id(cx, planned),
                )
                .await?
                .to_string();
            let stub = cx.state_from(planned).with("id", s(&id)).build();
            if let Some(vpc) = Obj(planned).str("vpc_id") {
                // An adopted gateway (a lost response) may be attached already.
                let attached = read_igw(cx, &stub).await?;
                if attached.as_ref().and_then(|g| Obj(g).str("vpc_id")) != Some(vpc.clone()) {
                    attach(cx, &id, &vpc).await?;
                }
            }
            must_read(cx, read_igw(cx, &stub).await?, "internet gateway")
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
            let id = o.str("id").unwrap_or_default();
            if o.str("vpc_id") != n.str("vpc_id") {
                if let Some(v) = o.str("vpc_id") {
                    detach(cx, &id, &v).await?;
                }
                if let Some(v) = n.str("vpc_id") {
                    attach(cx, &id, &v).await?;
                }
            }
            retag_and_read(self, cx, &id, prior, planned, "internet gateway").await
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
            // Detach from whatever VPC it is attached to now (not only the one in state).
            if let Some(now) = read_igw(cx, prior).await? {
                if let Some(v) = Obj(&now).str("vpc_id") {
                    detach(cx, &id, &v).await?;
                }
            }
            client(cx)
                .delete_internet_gateway()
                .internet_gateway_id(&id)
                .send()
                .await
                .gone_ok(cx, "DeleteInternetGateway", gone)
        })
    }
}

pub struct Eip;

async fn read_eip(cx: &Ctx<'_>, current: &Value) -> ProviderResult<Option<Value>> {
    let Some(id) = Obj(current).str("id") else {
        return Ok(None);
    };
    let Some(out) = client(cx)
        .describe_addresses()
        .allocation_ids(&id)
        .send()
        .await
        .found(cx, "DescribeAddresses", gone)?
    else {
        return Ok(None);
    };
    let Some(a) = out.addresses().first() else {
        return Ok(None);
    };
    let mut st = cx.state();
    st.set("id", s(&id));
    st.set("allocation_id", s(&id));
    st.set("domain", opt_s(a.domain().map(|d| d.as_str())));
    st.set("public_ip", opt_s(a.public_ip()));
    st.set("private_ip", opt_s(a.private_ip_address()));
    st.set(
        "association_id",
        opt_s(a.association_id().filter(|x| !x.is_empty())),
    );
    st.set(
        "network_interface",
        opt_s(a.network_interface_id().filter(|x| !x.is_empty())),
    );
    // Not reported by every endpoint (moto): what is not reported keeps the state's value.
    let keep = |v: Option<&str>, name: &str| match v.filter(|x| !x.is_empty()) {
        Some(x) => s(x),
        None => Obj(current)
            .get(name)
            .cloned()
            .unwrap_or_else(|| Value::null(Type::String)),
    };
    st.set(
        "public_ipv4_pool",
        keep(a.public_ipv4_pool(), "public_ipv4_pool"),
    );
    st.set(
        "network_border_group",
        keep(a.network_border_group(), "network_border_group"),
    );
    let owner = a.network_interface_owner_id().unwrap_or_default();
    st.set("arn", ec2_arn(cx, owner, "elastic-ip", &id));
    put_tags(cx, &mut st, a.tags(), current);
    Ok(Some(st.build()))
}

impl Resource for Eip {
    fn type_name(&self) -> &'static str {
        "aws_eip"
    }
    fn definition(&self) -> ResourceType {
        def(tags_schema(
            Schema::new()
                .attr("id", Attribute::computed(Type::String))
                .attr("arn", Attribute::computed(Type::String))
                .attr("allocation_id", Attribute::computed(Type::String))
                .attr(
                    "domain",
                    Attribute::optional(Type::String)
                        .force_new()
                        .default(s("vpc")),
                )
                .attr("public_ip", Attribute::computed(Type::String))
                .attr("private_ip", Attribute::computed(Type::String))
                .attr("association_id", Attribute::computed(Type::String))
                .attr("network_interface", Attribute::computed(Type::String))
                .attr(
                    "public_ipv4_pool",
                    Attribute::optional_computed(Type::String).force_new(),
                )
                .attr(
                    "network_border_group",
                    Attribute::optional_computed(Type::String).force_new(),
                ),
        ))
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(read_eip(cx, current))
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
                describe_addresses,
                "DescribeAddresses",
                addresses,
                allocation_id,
                "Elastic IP"
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
            let domain = p.str("domain").unwrap_or_else(|| "vpc".into());
            let id = cx
                .create_id(
                    "AllocateAddress",
                    || {
                        let req = client(cx)
                            .allocate_address()
                            .domain(DomainType::from(domain.as_str()))
                            .set_public_ipv4_pool(p.str("public_ipv4_pool"))
                            .set_network_border_group(p.str("network_border_group"))
                            .set_tag_specifications(
                                tag_spec(Ec2Type::ElasticIp, &cx.create_tags(planned))
                                    .map(|t| vec![t]),
                            );
                        async move {
                            let out = req.send().await?;
                            Ok(out.allocation_id().map(str::to_string))
                        }
                    },
                    || self.find_id(cx, planned),
                )
                .await?
                .to_string();
            let stub = cx.state_from(planned).with("id", s(&id)).build();
            must_read(cx, read_eip(cx, &stub).await?, "Elastic IP")
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
            retag_and_read(self, cx, &id, prior, planned, "Elastic IP").await
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
            let r = client(cx).release_address().allocation_id(&id).send().await;
            r.gone_ok(cx, "ReleaseAddress", gone).map_err(|e| {
                e.hint(
                    "an Elastic IP in use by a NAT gateway or instance cannot be released: delete or disassociate that first",
                )
            })
        })
    }
}

pub struct NatGateway;

async fn describe_nat(
    cx: &Ctx<'_>,
    id: &str,
) -> ProviderResult<Option<aws_sdk_ec2::types::NatGateway>> {
    let out = client(cx)
        .describe_nat_gateways()
        .nat_gateway_ids(id)
        .send()
        .await
        .found(cx, "DescribeNatGateways", gone)?;
    Ok(out.and_then(|o| o.nat_gateways().first().cloned()))
}

async fn read_nat(cx: &Ctx<'_>, current: &Value) -> ProviderResult<Option<Value>> {
    let Some(id) = Obj(current).str("id") else {
        return Ok(None);
    };
    let Some(g) = describe_nat(cx, &id).await? else {
        return Ok(None);
    };
    if matches!(
        g.state(),
        Some(NatGatewayState::Deleted | NatGatewayState::Deleting)
    ) {
        return Ok(None);
    }
    let addr = g.nat_gateway_addresses().first();
    let mut st = cx.state();
    st.set("id", s(&id));
    st.set("subnet_id", opt_s(g.subnet_id()));
    st.set(
        "connectivity_type",
        s(g.connectivity_type()
            .map(|c| c.as_str())
            .unwrap_or("public")),
    );
    st.set("allocation_id", opt_s(addr.and_then(|a| a.allocation_id())));
    st.set(
        "network_interface_id",
        opt_s(addr.and_then(|a| a.network_interface_id())),
    );
    st.set("private_ip", opt_s(addr.and_then(|a| a.private_ip())));
    st.set("public_ip", opt_s(addr.and_then(|a| a.public_ip())));
    st.set("timeouts", Obj(current).raw("timeouts"));
    put_tags(cx, &mut st, g.tags(), current);
    Ok(Some(st.build()))
}

pub(crate) fn timeouts_block() -> engine::provider::Block {
    engine::provider::Block {
        nesting: engine::provider::Nesting::Single,
        schema: Schema::new()
            .attr("create", Attribute::optional(Type::String))
            .attr("update", Attribute::optional(Type::String))
            .attr("delete", Attribute::optional(Type::String)),
        min_items: 0,
        max_items: 1,
        force_new: false,
    }
}

impl Resource for NatGateway {
    fn type_name(&self) -> &'static str {
        "aws_nat_gateway"
    }
    fn definition(&self) -> ResourceType {
        ResourceType {
            create_timeout: Some(Duration::from_secs(600)),
            delete_timeout: Some(Duration::from_secs(1800)),
            ..def(tags_schema(
                Schema::new()
                    .attr("id", Attribute::computed(Type::String))
                    .attr(
                        "allocation_id",
                        Attribute::optional_computed(Type::String).force_new(),
                    )
                    .attr("subnet_id", Attribute::required(Type::String).force_new())
                    .attr(
                        "connectivity_type",
                        Attribute::optional(Type::String)
                            .force_new()
                            .default(s("public")),
                    )
                    .attr("network_interface_id", Attribute::computed(Type::String))
                    .attr(
                        "private_ip",
                        Attribute::optional_computed(Type::String).force_new(),
                    )
                    .attr("public_ip", Attribute::computed(Type::String))
                    .block("timeouts", timeouts_block()),
            ))
        }
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(read_nat(cx, current))
    }
    fn recovery(&self) -> Recovery {
        Recovery::Token
    }
    fn find_id<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        _planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<String>>> {
        Box::pin(async move {
            let Some(f) = super::intent_filter(cx) else {
                return Ok(None);
            };
            let out = client(cx)
                .describe_nat_gateways()
                .filter(f)
                .send()
                .await
                .map_err(|e| cx.err("DescribeNatGateways", &e))?;
            // Deleted gateways stay listed for a while.
            let ids = out
                .nat_gateways()
                .iter()
                .filter(|g| super::has_intent(cx, g.tags()))
                .filter(|g| {
                    !matches!(
                        g.state(),
                        Some(NatGatewayState::Deleted | NatGatewayState::Deleting)
                    )
                })
                .filter_map(|g| g.nat_gateway_id());
            super::one_found(cx, "NAT gateway", ids.map(str::to_string).collect())
        })
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let p = Obj(planned);
            let ct = p
                .str("connectivity_type")
                .unwrap_or_else(|| "public".into());
            // ClientToken makes a repeat idempotent on AWS; not every endpoint honours it, so
            // the create is also sent once per attempt and looked up by its intent tag.
            let id = cx
                .create_id(
                    "CreateNatGateway",
                    || {
                        let req = client(cx)
                            .create_nat_gateway()
                            .set_subnet_id(p.str("subnet_id"))
                            .set_allocation_id(p.str("allocation_id"))
                            .set_private_ip_address(p.str("private_ip"))
                            .connectivity_type(ConnectivityType::from(ct.as_str()))
                            .client_token(cx.token())
                            .set_tag_specifications(
                                tag_spec(Ec2Type::Natgateway, &cx.create_tags(planned))
                                    .map(|t| vec![t]),
                            );
                        async move {
                            let out = req.send().await?;
                            let g = out.nat_gateway();
                            Ok(g.and_then(|g| g.nat_gateway_id()).map(str::to_string))
                        }
                    },
                    || self.find_id(cx, planned),
                )
                .await?;
            let timeout = super::timeout(planned, "create", Duration::from_secs(600));
            wait_for(cx, "the NAT gateway to become available", timeout, || async {
                match describe_nat(cx, &id).await? {
                    Some(g) => match g.state() {
                        Some(NatGatewayState::Available) => Ok(Some(())),
                        Some(NatGatewayState::Failed) => Err(ProviderError::new(format!(
                            "{}: NAT gateway {id} failed",
                            cx.address()
                        ))
                        .detail(format!(
                            "{}: {}",
                            g.failure_code().unwrap_or("Failed"),
                            g.failure_message().unwrap_or("")
                        ))
                        .hint("check that the subnet is public (routes to an internet gateway) and the Elastic IP is free")),
                        _ => Ok(None),
                    },
                    None => Ok(None),
                }
            })
            .await?;
            let stub = cx.state_from(planned).with("id", s(&id)).build();
            must_read(cx, read_nat(cx, &stub).await?, "NAT gateway")
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
            retag_and_read(self, cx, &id, prior, planned, "NAT gateway").await
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
            if client(cx)
                .delete_nat_gateway()
                .nat_gateway_id(&id)
                .send()
                .await
                .found(cx, "DeleteNatGateway", gone)?
                .is_none()
            {
                return Ok(());
            }
            let timeout = super::timeout(prior, "delete", Duration::from_secs(1800));
            wait_for(cx, "the NAT gateway to be deleted", timeout, || async {
                Ok(match describe_nat(cx, &id).await? {
                    None => Some(()),
                    Some(g) if matches!(g.state(), Some(NatGatewayState::Deleted) | None) => {
                        Some(())
                    }
                    Some(_) => None,
                })
            })
            .await
        })
    }
}
