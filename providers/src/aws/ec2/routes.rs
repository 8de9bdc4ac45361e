//! `aws_route_table`, `aws_route` and `aws_route_table_association`.
//!
//! Routes are managed only as `aws_route` resources (no inline `route` blocks), so a route table's
//! state never changes when a route is added elsewhere in the configuration.

use super::vpc::must_read_after_write as must_read;
use super::{
    client, def, ec2_arn, filter, find_tagged, gone, put_tags, retag_and_read, tag_spec,
    tags_schema,
};
use crate::aws::resource::{Ctx, Recovery, Resource, SdkResult};
use crate::aws::value::{opt_s, s, Obj, State};
use aws_sdk_ec2::types::ResourceType as Ec2Type;
use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::provider::{Attribute, BoxFuture, ProviderError, ProviderResult, ResourceType, Schema};

pub struct RouteTable;

async fn describe_rt(
    cx: &Ctx<'_>,
    id: &str,
) -> ProviderResult<Option<aws_sdk_ec2::types::RouteTable>> {
    let out = client(cx)
        .describe_route_tables()
        .route_table_ids(id)
        .send()
        .await
        .found(cx, "DescribeRouteTables", gone)?;
    Ok(out.and_then(|o| o.route_tables().first().cloned()))
}

async fn read_rt(cx: &Ctx<'_>, current: &Value) -> ProviderResult<Option<Value>> {
    let Some(id) = Obj(current).str("id") else {
        return Ok(None);
    };
    let Some(rt) = describe_rt(cx, &id).await? else {
        return Ok(None);
    };
    let owner = rt.owner_id().unwrap_or_default().to_string();
    let mut st = cx.state();
    st.set("id", s(&id));
    st.set("arn", ec2_arn(cx, &owner, "route-table", &id));
    st.set("vpc_id", opt_s(rt.vpc_id()));
    st.set("owner_id", s(&owner));
    put_tags(cx, &mut st, rt.tags(), current);
    Ok(Some(st.build()))
}

impl Resource for RouteTable {
    fn type_name(&self) -> &'static str {
        "aws_route_table"
    }
    fn definition(&self) -> ResourceType {
        def(tags_schema(
            Schema::new()
                .attr("id", Attribute::computed(Type::String))
                .attr("arn", Attribute::computed(Type::String))
                .attr("vpc_id", Attribute::required(Type::String).force_new())
                .attr("owner_id", Attribute::computed(Type::String)),
        ))
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(read_rt(cx, current))
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
            find_tagged!(
                cx,
                describe_route_tables,
                "DescribeRouteTables",
                route_tables,
                route_table_id,
                "route table"
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
                    "CreateRouteTable",
                    || {
                        let req = client(cx)
                            .create_route_table()
                            .set_vpc_id(Obj(planned).str("vpc_id"))
                            .client_token(cx.token())
                            .set_tag_specifications(
                                tag_spec(Ec2Type::RouteTable, &cx.create_tags(planned))
                                    .map(|t| vec![t]),
                            );
                        async move {
                            let out = req.send().await?;
                            let rt = out.route_table();
                            Ok(rt.and_then(|r| r.route_table_id()).map(str::to_string))
                        }
                    },
                    || self.find_id(cx, planned),
                )
                .await?
                .to_string();
            let stub = cx.state_from(planned).with("id", s(&id)).build();
            must_read(cx, read_rt(cx, &stub).await?, "route table")
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
            retag_and_read(self, cx, &id, prior, planned, "route table").await
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
            client(cx)
                .delete_route_table()
                .route_table_id(&id)
                .send()
                .await
                .gone_ok(cx, "DeleteRouteTable", gone)
                .map_err(|e| {
                    e.hint("a route table can only be deleted once no subnet is associated with it")
                })
        })
    }
}

pub struct Route;

const TARGETS: &[&str] = &[
    "gateway_id",
    "nat_gateway_id",
    "network_interface_id",
    "transit_gateway_id",
    "vpc_peering_connection_id",
];

fn destination(v: &Value) -> Option<String> {
    let o = Obj(v);
    o.str("destination_cidr_block")
        .or_else(|| o.str("destination_ipv6_cidr_block"))
}

/// `rtb-123_10.0.0.0/16` (Terraform's import ID) into its route table and destination.
fn split_route_id(id: &str) -> Option<(String, String)> {
    let (rt, dest) = id.split_once('_')?;
    (!rt.is_empty() && !dest.is_empty()).then(|| (rt.to_string(), dest.to_string()))
}

async fn read_route(cx: &Ctx<'_>, current: &Value) -> ProviderResult<Option<Value>> {
    let o = Obj(current);
    let (rt_id, dest) = match (o.str("route_table_id"), destination(current)) {
        (Some(r), Some(d)) => (r, d),
        _ => match o.str("id").as_deref().and_then(split_route_id) {
            Some(x) => x,
            None => return Ok(None),
        },
    };
    let Some(rt) = describe_rt(cx, &rt_id).await? else {
        return Ok(None);
    };
    let Some(r) = rt.routes().iter().find(|r| {
        r.destination_cidr_block() == Some(dest.as_str())
            || r.destination_ipv6_cidr_block() == Some(dest.as_str())
    }) else {
        return Ok(None);
    };
    let mut st = cx.state();
    st.set("id", s(format!("{rt_id}_{dest}")));
    st.set("route_table_id", s(&rt_id));
    st.set("destination_cidr_block", opt_s(r.destination_cidr_block()));
    st.set(
        "destination_ipv6_cidr_block",
        opt_s(r.destination_ipv6_cidr_block()),
    );
    st.set("gateway_id", opt_s(r.gateway_id()));
    st.set("nat_gateway_id", opt_s(r.nat_gateway_id()));
    st.set("network_interface_id", opt_s(r.network_interface_id()));
    st.set("transit_gateway_id", opt_s(r.transit_gateway_id()));
    st.set(
        "vpc_peering_connection_id",
        opt_s(r.vpc_peering_connection_id()),
    );
    st.set("origin", opt_s(r.origin().map(|x| x.as_str())));
    st.set("state", opt_s(r.state().map(|x| x.as_str())));
    Ok(Some(st.build()))
}

/// The route a cut-off create of `planned` made: the table's route to the destination, when it
/// goes to the planned target (one to another target is not ours: an error naming it).
async fn our_route(cx: &Ctx<'_>, planned: &Value) -> ProviderResult<Option<Value>> {
    let Some(r) = read_route(cx, planned).await? else {
        return Ok(None);
    };
    let same_target = TARGETS
        .iter()
        .all(|t| Obj(planned).str(t).is_none() || Obj(planned).str(t) == Obj(&r).str(t));
    if same_target {
        return Ok(Some(r));
    }
    let id = Obj(&r).str("id").unwrap_or_default();
    Err(cx.not_ours("route", &id, &id))
}

fn check_route(cx: &Ctx<'_>, p: &Value) -> ProviderResult<String> {
    let n = TARGETS.iter().filter(|t| Obj(p).str(t).is_some()).count();
    if n != 1 {
        return Err(crate::aws::error::invalid(
            cx.address(),
            "gateway_id",
            format!(
                "a route needs exactly one target ({}), found {n}",
                TARGETS.join(", ")
            ),
            "set one of the target arguments",
        ));
    }
    destination(p).ok_or_else(|| {
        crate::aws::error::invalid(
            cx.address(),
            "destination_cidr_block",
            "a route needs destination_cidr_block or destination_ipv6_cidr_block",
            "set the destination",
        )
    })
}

impl Resource for Route {
    fn type_name(&self) -> &'static str {
        "aws_route"
    }
    fn definition(&self) -> ResourceType {
        let mut s = Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr(
                "route_table_id",
                Attribute::required(Type::String).force_new(),
            )
            .attr(
                "destination_cidr_block",
                Attribute::optional(Type::String).force_new(),
            )
            .attr(
                "destination_ipv6_cidr_block",
                Attribute::optional(Type::String).force_new(),
            );
        for t in TARGETS {
            s = s.attr(t, Attribute::optional(Type::String));
        }
        def(s
            .attr("origin", Attribute::computed(Type::String))
            .attr("state", Attribute::computed(Type::String)))
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(read_route(cx, current))
    }
    fn recovery(&self) -> Recovery {
        Recovery::Name
    }
    fn find_by_token<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
        _token: &'a str,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(our_route(cx, planned))
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            check_route(cx, planned)?;
            let p = Obj(planned);
            cx.create_once(
                "CreateRoute",
                || {
                    let req = client(cx)
                        .create_route()
                        .set_route_table_id(p.str("route_table_id"))
                        .set_destination_cidr_block(p.str("destination_cidr_block"))
                        .set_destination_ipv6_cidr_block(p.str("destination_ipv6_cidr_block"))
                        .set_gateway_id(p.str("gateway_id"))
                        .set_nat_gateway_id(p.str("nat_gateway_id"))
                        .set_network_interface_id(p.str("network_interface_id"))
                        .set_transit_gateway_id(p.str("transit_gateway_id"))
                        .set_vpc_peering_connection_id(p.str("vpc_peering_connection_id"));
                    async move { req.send().await.map(|_| None) }
                },
                || async { Ok(our_route(cx, planned).await?.map(Some)) },
            )
            .await?;
            must_read(cx, read_route(cx, planned).await?, "route")
        })
    }
    fn update<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        _prior: &'a Value,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            check_route(cx, planned)?;
            let p = Obj(planned);
            client(cx)
                .replace_route()
                .set_route_table_id(p.str("route_table_id"))
                .set_destination_cidr_block(p.str("destination_cidr_block"))
                .set_destination_ipv6_cidr_block(p.str("destination_ipv6_cidr_block"))
                .set_gateway_id(p.str("gateway_id"))
                .set_nat_gateway_id(p.str("nat_gateway_id"))
                .set_network_interface_id(p.str("network_interface_id"))
                .set_transit_gateway_id(p.str("transit_gateway_id"))
                .set_vpc_peering_connection_id(p.str("vpc_peering_connection_id"))
                .send()
                .await
                .map_err(|e| cx.err("ReplaceRoute", &e))?;
            must_read(cx, read_route(cx, planned).await?, "route")
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
                .delete_route()
                .set_route_table_id(p.str("route_table_id"))
                .set_destination_cidr_block(p.str("destination_cidr_block"))
                .set_destination_ipv6_cidr_block(p.str("destination_ipv6_cidr_block"))
                .send()
                .await
                .gone_ok(cx, "DeleteRoute", gone)
        })
    }
}

pub struct RouteTableAssociation;

async fn read_assoc(cx: &Ctx<'_>, current: &Value) -> ProviderResult<Option<Value>> {
    let Some(id) = Obj(current).str("id") else {
        return Ok(None);
    };
    let Some(out) = client(cx)
        .describe_route_tables()
        .filters(filter("association.route-table-association-id", &id))
        .send()
        .await
        .found(cx, "DescribeRouteTables", gone)?
    else {
        return Ok(None);
    };
    let found = out.route_tables().iter().find_map(|rt| {
        rt.associations()
            .iter()
            .find(|a| a.route_table_association_id() == Some(id.as_str()))
            .map(|a| {
                (
                    rt.route_table_id().unwrap_or_default().to_string(),
                    a.clone(),
                )
            })
    });
    let Some((rt_id, a)) = found else {
        return Ok(None);
    };
    let mut st = State::new(cx.schema);
    st.set("id", s(&id));
    st.set("route_table_id", s(rt_id));
    st.set("subnet_id", opt_s(a.subnet_id()));
    st.set("gateway_id", opt_s(a.gateway_id()));
    Ok(Some(st.build()))
}

impl Resource for RouteTableAssociation {
    fn type_name(&self) -> &'static str {
        "aws_route_table_association"
    }
    fn definition(&self) -> ResourceType {
        def(Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("route_table_id", Attribute::required(Type::String))
            .attr("subnet_id", Attribute::optional(Type::String).force_new())
            .attr("gateway_id", Attribute::optional(Type::String).force_new()))
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(read_assoc(cx, current))
    }
    fn recovery(&self) -> Recovery {
        Recovery::Name
    }
    /// The association of the planned subnet (or gateway) with the planned table: a subnet
    /// has at most one, so it is the one a cut-off create made.
    fn find_id<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<String>>> {
        Box::pin(async move {
            let p = Obj(planned);
            let (Some(rt), target) = (
                p.str("route_table_id"),
                p.str("subnet_id").or(p.str("gateway_id")),
            ) else {
                return Ok(None);
            };
            let Some(target) = target else {
                return Ok(None);
            };
            let Some(table) = describe_rt(cx, &rt).await? else {
                return Ok(None);
            };
            Ok(table
                .associations()
                .iter()
                .find(|a| {
                    a.subnet_id() == Some(target.as_str())
                        || a.gateway_id() == Some(target.as_str())
                })
                .and_then(|a| a.route_table_association_id())
                .map(str::to_string))
        })
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let p = Obj(planned);
            if p.str("subnet_id").is_some() == p.str("gateway_id").is_some() {
                return Err(crate::aws::error::invalid(
                    cx.address(),
                    "subnet_id",
                    "set exactly one of subnet_id and gateway_id",
                    "associate the route table with a subnet or with a gateway",
                ));
            }
            let id = cx
                .create_id(
                    "AssociateRouteTable",
                    || {
                        let req = client(cx)
                            .associate_route_table()
                            .set_route_table_id(p.str("route_table_id"))
                            .set_subnet_id(p.str("subnet_id"))
                            .set_gateway_id(p.str("gateway_id"));
                        async move {
                            let out = req.send().await?;
                            Ok(out.association_id().map(str::to_string))
                        }
                    },
                    || self.find_id(cx, planned),
                )
                .await?;
            let id = id.as_str();
            let stub = cx.state_from(planned).with("id", s(id)).build();
            must_read(cx, read_assoc(cx, &stub).await?, "route table association")
        })
    }
    fn update<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let out = client(cx)
                .replace_route_table_association()
                .set_association_id(Obj(prior).str("id"))
                .set_route_table_id(Obj(planned).str("route_table_id"))
                .send()
                .await
                .map_err(|e| cx.err("ReplaceRouteTableAssociation", &e))?;
            let id = out
                .new_association_id()
                .map(str::to_string)
                .or_else(|| Obj(prior).str("id"))
                .unwrap_or_default();
            let stub = cx.state_from(planned).with("id", s(id)).build();
            must_read(cx, read_assoc(cx, &stub).await?, "route table association")
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
            client(cx)
                .disassociate_route_table()
                .association_id(&id)
                .send()
                .await
                .gone_ok(cx, "DisassociateRouteTable", gone)
        })
    }
    /// Terraform's import ID: `subnet-123/rtb-456` (or `igw-123/rtb-456`); an association ID
    /// (`rtbassoc-...`) works too.
    fn import<'a>(&'a self, cx: &'a Ctx<'a>, id: &'a str) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let assoc = match id.split_once('/') {
                Some((target, rt_id)) => describe_rt(cx, rt_id).await?.and_then(|rt| {
                    rt.associations()
                        .iter()
                        .find(|a| a.subnet_id() == Some(target) || a.gateway_id() == Some(target))
                        .and_then(|a| a.route_table_association_id().map(str::to_string))
                }),
                None => Some(id.to_string()),
            };
            let stub = cx.state().with("id", opt_s(assoc)).build();
            read_assoc(cx, &stub).await?.ok_or_else(|| {
                ProviderError::new(format!(
                    "{}: cannot import {id}: no such route table association",
                    cx.address()
                ))
                .hint("the import ID is SUBNET_ID/ROUTE_TABLE_ID (or GATEWAY_ID/ROUTE_TABLE_ID)")
            })
        })
    }
}
