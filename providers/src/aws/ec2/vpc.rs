//! `aws_vpc` and `aws_subnet`.

use super::{
    client, def, ec2_arn, filter, find_tagged, gone, put_tags, retag_and_read, tag_spec,
    tags_schema,
};
use crate::aws::resource::{Ctx, Recovery, Resource, SdkResult};
use crate::aws::value::{opt_s, s, Obj};
use aws_sdk_ec2::types::{
    AttributeBooleanValue, ResourceType as Ec2Type, Tenancy, VpcAttributeName,
};
use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::provider::{Attribute, BoxFuture, ProviderError, ProviderResult, ResourceType, Schema};

pub struct Vpc;

fn vpc_schema() -> Schema {
    tags_schema(
        Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("arn", Attribute::computed(Type::String))
            .attr(
                "cidr_block",
                Attribute::required(Type::String)
                    .force_new()
                    .describe("The IPv4 CIDR block of the VPC"),
            )
            .attr(
                "instance_tenancy",
                Attribute::optional(Type::String)
                    .force_new()
                    .default(s("default")),
            )
            .attr(
                "enable_dns_support",
                Attribute::optional(Type::Bool).default(Value::bool(true)),
            )
            .attr(
                "enable_dns_hostnames",
                Attribute::optional(Type::Bool).default(Value::bool(false)),
            )
            .attr("main_route_table_id", Attribute::computed(Type::String))
            .attr("default_route_table_id", Attribute::computed(Type::String))
            .attr(
                "default_security_group_id",
                Attribute::computed(Type::String),
            )
            .attr("default_network_acl_id", Attribute::computed(Type::String))
            .attr("owner_id", Attribute::computed(Type::String)),
    )
}

async fn dns_attr(cx: &Ctx<'_>, id: &str, a: VpcAttributeName) -> ProviderResult<Option<bool>> {
    let out = client(cx)
        .describe_vpc_attribute()
        .vpc_id(id)
        .attribute(a.clone())
        .send()
        .await
        .map_err(|e| cx.err("DescribeVpcAttribute", &e))?;
    let v = match a {
        VpcAttributeName::EnableDnsHostnames => out.enable_dns_hostnames(),
        _ => out.enable_dns_support(),
    };
    Ok(v.and_then(|x| x.value()))
}

async fn set_dns(
    cx: &Ctx<'_>,
    id: &str,
    support: Option<bool>,
    hostnames: Option<bool>,
) -> ProviderResult<()> {
    // One attribute per call, as the API requires.
    if let Some(b) = support {
        client(cx)
            .modify_vpc_attribute()
            .vpc_id(id)
            .enable_dns_support(AttributeBooleanValue::builder().value(b).build())
            .send()
            .await
            .map_err(|e| cx.err("ModifyVpcAttribute", &e))?;
    }
    if let Some(b) = hostnames {
        client(cx)
            .modify_vpc_attribute()
            .vpc_id(id)
            .enable_dns_hostnames(AttributeBooleanValue::builder().value(b).build())
            .send()
            .await
            .map_err(|e| cx.err("ModifyVpcAttribute", &e))?;
    }
    Ok(())
}

async fn read_vpc(cx: &Ctx<'_>, current: &Value) -> ProviderResult<Option<Value>> {
    let Some(id) = Obj(current).str("id") else {
        return Ok(None);
    };
    let ec2 = client(cx);
    let Some(out) =
        ec2.describe_vpcs()
            .vpc_ids(&id)
            .send()
            .await
            .found(cx, "DescribeVpcs", gone)?
    else {
        return Ok(None);
    };
    let Some(vpc) = out.vpcs().first() else {
        return Ok(None);
    };
    let owner = vpc.owner_id().unwrap_or_default().to_string();
    let mut st = cx.state();
    st.set("id", s(&id));
    st.set("arn", ec2_arn(cx, &owner, "vpc", &id));
    st.set("cidr_block", opt_s(vpc.cidr_block()));
    st.set(
        "instance_tenancy",
        opt_s(vpc.instance_tenancy().map(|t| t.as_str())),
    );
    st.set("owner_id", s(&owner));
    let support = dns_attr(cx, &id, VpcAttributeName::EnableDnsSupport).await?;
    let hostnames = dns_attr(cx, &id, VpcAttributeName::EnableDnsHostnames).await?;
    st.set("enable_dns_support", Value::bool(support.unwrap_or(true)));
    st.set(
        "enable_dns_hostnames",
        Value::bool(hostnames.unwrap_or(false)),
    );
    let rts = ec2
        .describe_route_tables()
        .filters(filter("vpc-id", &id))
        .filters(filter("association.main", "true"))
        .send()
        .await
        .map_err(|e| cx.err("DescribeRouteTables", &e))?;
    let main_rt = rts.route_tables().first().and_then(|r| r.route_table_id());
    st.set("main_route_table_id", opt_s(main_rt));
    st.set("default_route_table_id", opt_s(main_rt));
    let sgs = ec2
        .describe_security_groups()
        .filters(filter("vpc-id", &id))
        .filters(filter("group-name", "default"))
        .send()
        .await
        .map_err(|e| cx.err("DescribeSecurityGroups", &e))?;
    st.set(
        "default_security_group_id",
        opt_s(sgs.security_groups().first().and_then(|g| g.group_id())),
    );
    let acls = ec2
        .describe_network_acls()
        .filters(filter("vpc-id", &id))
        .filters(filter("default", "true"))
        .send()
        .await
        .map_err(|e| cx.err("DescribeNetworkAcls", &e))?;
    st.set(
        "default_network_acl_id",
        opt_s(acls.network_acls().first().and_then(|a| a.network_acl_id())),
    );
    put_tags(cx, &mut st, vpc.tags(), current);
    Ok(Some(st.build()))
}

pub(crate) fn must_read(cx: &Ctx<'_>, v: Option<Value>, what: &str) -> ProviderResult<Value> {
    v.ok_or_else(|| {
        ProviderError::new(format!(
            "{}: the {what} vanished right after it was written",
            cx.address()
        ))
        .hint("something else deleted it: check CloudTrail, then run apply again")
    })
}

impl Resource for Vpc {
    fn type_name(&self) -> &'static str {
        "aws_vpc"
    }
    fn definition(&self) -> ResourceType {
        def(vpc_schema())
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(read_vpc(cx, current))
    }
    fn recovery(&self) -> Recovery {
        Recovery::Tag
    }
    fn find_id<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        _planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<String>>> {
        Box::pin(
            async move { find_tagged!(cx, describe_vpcs, "DescribeVpcs", vpcs, vpc_id, "VPC") },
        )
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let p = Obj(planned);
            let id = cx
                .create_id(
                    "CreateVpc",
                    || {
                        let mut req = client(cx)
                            .create_vpc()
                            .set_cidr_block(p.str("cidr_block"))
                            .set_tag_specifications(
                                tag_spec(Ec2Type::Vpc, &cx.create_tags(planned)).map(|t| vec![t]),
                            );
                        if let Some(t) = p.str("instance_tenancy") {
                            req = req.instance_tenancy(Tenancy::from(t.as_str()));
                        }
                        async move {
                            let out = req.send().await?;
                            Ok(out.vpc().and_then(|v| v.vpc_id()).map(str::to_string))
                        }
                    },
                    || self.find_id(cx, planned),
                )
                .await?
                .to_string();
            let stub = cx.state_from(planned).with("id", s(&id)).build();
            let support = p.bool("enable_dns_support").unwrap_or(true);
            let hostnames = p.bool("enable_dns_hostnames").unwrap_or(false);
            set_dns(
                cx,
                &id,
                (!support).then_some(false),
                hostnames.then_some(true),
            )
            .await?;
            must_read(cx, read_vpc(cx, &stub).await?, "VPC")
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
            let support = n.bool("enable_dns_support");
            let hostnames = n.bool("enable_dns_hostnames");
            set_dns(
                cx,
                &id,
                support.filter(|b| Some(*b) != o.bool("enable_dns_support")),
                hostnames.filter(|b| Some(*b) != o.bool("enable_dns_hostnames")),
            )
            .await?;
            retag_and_read(self, cx, &id, prior, planned, "VPC").await
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
            let r = client(cx).delete_vpc().vpc_id(&id).send().await;
            r.gone_ok(cx, "DeleteVpc", gone).map_err(|e| {
                e.hint(
                    "a VPC can only be deleted once its subnets, gateways, ENIs and non-default security groups are gone: check for objects created outside this configuration",
                )
            })
        })
    }
}

pub struct Subnet;

fn subnet_schema() -> Schema {
    tags_schema(
        Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("arn", Attribute::computed(Type::String))
            .attr("vpc_id", Attribute::required(Type::String).force_new())
            .attr("cidr_block", Attribute::required(Type::String).force_new())
            .attr(
                "availability_zone",
                Attribute::optional_computed(Type::String).force_new(),
            )
            .attr("availability_zone_id", Attribute::computed(Type::String))
            .attr(
                "map_public_ip_on_launch",
                Attribute::optional(Type::Bool).default(Value::bool(false)),
            )
            .attr("owner_id", Attribute::computed(Type::String)),
    )
}

async fn read_subnet(cx: &Ctx<'_>, current: &Value) -> ProviderResult<Option<Value>> {
    let Some(id) = Obj(current).str("id") else {
        return Ok(None);
    };
    let r = client(cx).describe_subnets().subnet_ids(&id).send().await;
    let Some(out) = r.found(cx, "DescribeSubnets", gone)? else {
        return Ok(None);
    };
    let Some(sn) = out.subnets().first() else {
        return Ok(None);
    };
    let owner = sn.owner_id().unwrap_or_default().to_string();
    let mut st = cx.state();
    st.set("id", s(&id));
    st.set(
        "arn",
        sn.subnet_arn()
            .map(s)
            .unwrap_or_else(|| ec2_arn(cx, &owner, "subnet", &id)),
    );
    st.set("vpc_id", opt_s(sn.vpc_id()));
    st.set("cidr_block", opt_s(sn.cidr_block()));
    st.set("availability_zone", opt_s(sn.availability_zone()));
    st.set("availability_zone_id", opt_s(sn.availability_zone_id()));
    st.set(
        "map_public_ip_on_launch",
        Value::bool(sn.map_public_ip_on_launch().unwrap_or(false)),
    );
    st.set("owner_id", s(&owner));
    put_tags(cx, &mut st, sn.tags(), current);
    Ok(Some(st.build()))
}

async fn set_map_public_ip(cx: &Ctx<'_>, id: &str, b: bool) -> ProviderResult<()> {
    client(cx)
        .modify_subnet_attribute()
        .subnet_id(id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(b).build())
        .send()
        .await
        .map_err(|e| cx.err("ModifySubnetAttribute", &e))?;
    Ok(())
}

impl Resource for Subnet {
    fn type_name(&self) -> &'static str {
        "aws_subnet"
    }
    fn definition(&self) -> ResourceType {
        def(subnet_schema())
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(read_subnet(cx, current))
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
                describe_subnets,
                "DescribeSubnets",
                subnets,
                subnet_id,
                "subnet"
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
            let id = cx
                .create_id(
                    "CreateSubnet",
                    || {
                        let req = client(cx)
                            .create_subnet()
                            .set_vpc_id(p.str("vpc_id"))
                            .set_cidr_block(p.str("cidr_block"))
                            .set_availability_zone(p.str("availability_zone"))
                            .set_tag_specifications(
                                tag_spec(Ec2Type::Subnet, &cx.create_tags(planned))
                                    .map(|t| vec![t]),
                            );
                        async move {
                            let out = req.send().await?;
                            Ok(out.subnet().and_then(|v| v.subnet_id()).map(str::to_string))
                        }
                    },
                    || self.find_id(cx, planned),
                )
                .await?
                .to_string();
            if p.bool("map_public_ip_on_launch") == Some(true) {
                set_map_public_ip(cx, &id, true).await?;
            }
            let stub = cx.state_from(planned).with("id", s(&id)).build();
            must_read(cx, read_subnet(cx, &stub).await?, "subnet")
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
            let m = n.bool("map_public_ip_on_launch").unwrap_or(false);
            if Some(m) != o.bool("map_public_ip_on_launch") {
                set_map_public_ip(cx, &id, m).await?;
            }
            retag_and_read(self, cx, &id, prior, planned, "subnet").await
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
            let r = client(cx).delete_subnet().subnet_id(&id).send().await;
            r.gone_ok(cx, "DeleteSubnet", gone).map_err(|e| {
                e.hint(
                    "a subnet can only be deleted once no network interface (node, NAT gateway, load balancer) uses it",
                )
            })
        })
    }
}

pub(crate) use must_read as must_read_after_write;
