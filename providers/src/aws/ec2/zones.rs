//! The `aws_availability_zones` data source.

use super::{client, def, filter};
use crate::aws::resource::{Ctx, DataSource};
use crate::aws::value::{list_of_strings, s, Obj};
use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::provider::{Attribute, BoxFuture, ProviderResult, ResourceType, Schema};

pub struct AvailabilityZones;

impl DataSource for AvailabilityZones {
    fn type_name(&self) -> &'static str {
        "aws_availability_zones"
    }
    fn definition(&self) -> ResourceType {
        def(Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr(
                "state",
                Attribute::optional(Type::String)
                    .describe("available, information, impaired or unavailable"),
            )
            .attr(
                "exclude_names",
                Attribute::optional(Type::set(Type::String)),
            )
            .attr("names", Attribute::computed(Type::list(Type::String)))
            .attr("zone_ids", Attribute::computed(Type::list(Type::String)))
            .attr("group_names", Attribute::computed(Type::set(Type::String))))
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        config: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let c = Obj(config);
            let mut req = client(cx).describe_availability_zones();
            if let Some(st) = c.str("state") {
                req = req.filters(filter("state", &st));
            }
            let out = req
                .send()
                .await
                .map_err(|e| cx.err("DescribeAvailabilityZones", &e))?;
            let exclude = c.str_list("exclude_names");
            let mut zones: Vec<(String, String, String)> = out
                .availability_zones()
                .iter()
                .filter_map(|z| {
                    let n = z.zone_name()?.to_string();
                    (!exclude.contains(&n)).then(|| {
                        (
                            n,
                            z.zone_id().unwrap_or_default().to_string(),
                            z.group_name().unwrap_or_default().to_string(),
                        )
                    })
                })
                .collect();
            zones.sort();
            let mut st = cx.state_from(config);
            st.set("id", s(cx.region()));
            st.set("names", list_of_strings(zones.iter().map(|z| z.0.clone())));
            st.set(
                "zone_ids",
                list_of_strings(zones.iter().map(|z| z.1.clone())),
            );
            st.set(
                "group_names",
                Value::set(
                    Type::String,
                    zones
                        .iter()
                        .filter(|z| !z.2.is_empty())
                        .map(|z| s(&z.2))
                        .collect(),
                ),
            );
            Ok(st.build())
        })
    }
}
