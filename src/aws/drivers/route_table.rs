//! Route tables with their routes and subnet associations (one resource,
//! so the plan shows a route change where it happens).

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType, RouteOrigin};
use serde_json::Value;

use super::ec2::{self, attr_str, attr_strs};
use crate::aws::ApiError;
use crate::aws::error::ApiResultExt;
use crate::engine::wait;
use crate::engine::{Attrs, Ctx, Driver, DriverError, Found, Live, Wanted};
use crate::stack::{Address, kinds};

pub struct RouteTable;

fn routes(v: Option<&Value>) -> Vec<Value> {
    v.and_then(Value::as_array).cloned().unwrap_or_default()
}

fn route_target(r: &Value) -> (Option<&str>, Option<&str>) {
    (
        r.get("gateway_id").and_then(Value::as_str),
        r.get("nat_gateway_id").and_then(Value::as_str),
    )
}

async fn add_route(ctx: &Ctx, rt: &str, r: &Value, replace: bool) -> Result<(), ApiError> {
    let dest = r
        .get("destination_cidr_block")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (gw, nat) = route_target(r);
    let ec2 = ctx.aws.ec2();
    if replace {
        ec2.replace_route()
            .route_table_id(rt)
            .destination_cidr_block(dest)
            .set_gateway_id(gw.map(str::to_string))
            .set_nat_gateway_id(nat.map(str::to_string))
            .send()
            .await
            .api("ec2:ReplaceRoute")?;
    } else {
        ec2.create_route()
            .route_table_id(rt)
            .destination_cidr_block(dest)
            .set_gateway_id(gw.map(str::to_string))
            .set_nat_gateway_id(nat.map(str::to_string))
            .send()
            .await
            .api("ec2:CreateRoute")?;
    }
    Ok(())
}

async fn associate(ctx: &Ctx, rt: &str, subnet: &str) -> Result<(), DriverError> {
    let ec2 = ctx.aws.ec2();
    match ec2
        .associate_route_table()
        .route_table_id(rt)
        .subnet_id(subnet)
        .send()
        .await
        .api("ec2:AssociateRouteTable")
    {
        Ok(_) => Ok(()),
        // Associated elsewhere (e.g. with the table this one replaces): move it.
        Err(e) if e.code_is("Resource.AlreadyAssociated") => {
            let out = ec2
                .describe_route_tables()
                .filters(ec2::filter("association.subnet-id", &[subnet]))
                .send()
                .await
                .api("ec2:DescribeRouteTables")?;
            let assoc = out
                .route_tables()
                .iter()
                .flat_map(|t| t.associations())
                .find(|a| a.subnet_id() == Some(subnet))
                .and_then(|a| a.route_table_association_id())
                .ok_or(DriverError::Api(e))?
                .to_string();
            ec2.replace_route_table_association()
                .association_id(assoc)
                .route_table_id(rt)
                .send()
                .await
                .api("ec2:ReplaceRouteTableAssociation")?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

fn to_live(t: &aws_sdk_ec2::types::RouteTable) -> (Option<Address>, Live) {
    let id = t.route_table_id().unwrap_or_default().to_string();
    let routes: Vec<Value> = t
        .routes()
        .iter()
        .filter(|r| {
            r.origin() == Some(&RouteOrigin::CreateRoute) && r.gateway_id() != Some("local")
        })
        .map(|r| {
            let mut m = serde_json::Map::new();
            m.insert(
                "destination_cidr_block".into(),
                r.destination_cidr_block().unwrap_or_default().into(),
            );
            if let Some(g) = r.gateway_id() {
                m.insert("gateway_id".into(), g.into());
            }
            if let Some(n) = r.nat_gateway_id() {
                m.insert("nat_gateway_id".into(), n.into());
            }
            Value::Object(m)
        })
        .collect();
    let subnets: Vec<Value> = t
        .associations()
        .iter()
        .filter(|a| a.main() != Some(true))
        .filter_map(|a| a.subnet_id())
        .map(Value::from)
        .collect();
    let mut a = Attrs::new();
    a.insert("vpc_id".into(), t.vpc_id().unwrap_or_default().into());
    a.insert("routes".into(), Value::Array(routes));
    a.insert("subnet_ids".into(), Value::Array(subnets));
    a.insert("tags".into(), ec2::tags_value(t.tags()));
    a.insert("id".into(), id.clone().into());
    (ec2::address_tag(t.tags()), Live::ready(id, a))
}

#[async_trait]
impl Driver for RouteTable {
    fn kind(&self) -> &'static str {
        kinds::ROUTE_TABLE
    }

    fn force_new(&self) -> &'static [&'static str] {
        &["vpc_id"]
    }

    fn unordered(&self) -> &'static [&'static str] {
        &["routes", "subnet_ids"]
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let describe = |filters| async move {
            ctx.aws
                .ec2()
                .describe_route_tables()
                .set_filters(Some(filters))
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .api("ec2:DescribeRouteTables")
        };
        ec2::read_owned(ctx, wanted, "route-table-id", describe, to_live).await
    }

    async fn create(&self, ctx: &Ctx, _a: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let out = wait::retry(
            ctx,
            "creating a route table",
            Duration::from_secs(120),
            ec2::not_found_yet,
            || async {
                ctx.aws
                    .ec2()
                    .create_route_table()
                    .vpc_id(attr_str(d, "vpc_id"))
                    .tag_specifications(ec2::tag_spec(ResourceType::RouteTable, d))
                    .send()
                    .await
                    .api("ec2:CreateRouteTable")
            },
        )
        .await?;
        let id = out
            .route_table()
            .and_then(|t| t.route_table_id())
            .unwrap_or_default()
            .to_string();
        for r in routes(d.get("routes")) {
            wait::retry(
                ctx,
                "creating a route",
                Duration::from_secs(120),
                ec2::not_found_yet,
                || add_route(ctx, &id, &r, false),
            )
            .await?;
        }
        for s in attr_strs(d, "subnet_ids") {
            associate(ctx, &id, &s).await?;
        }
        let mut attrs = d.clone();
        attrs.insert("id".into(), id.clone().into());
        Ok(Live::ready(id, attrs))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live,
        d: &Attrs,
        changed: &[String],
    ) -> Result<Live, DriverError> {
        let ec2 = ctx.aws.ec2();
        let id = &live.id;
        if changed.iter().any(|c| c == "routes") {
            let old = routes(live.attrs.get("routes"));
            let new = routes(d.get("routes"));
            let dest = |r: &Value| r.get("destination_cidr_block").cloned();
            for r in &new {
                match old.iter().find(|o| dest(o) == dest(r)) {
                    Some(o) if o == r => {}
                    Some(_) => add_route(ctx, id, r, true).await?,
                    None => add_route(ctx, id, r, false).await?,
                }
            }
            for o in old
                .iter()
                .filter(|o| !new.iter().any(|r| dest(r) == dest(o)))
            {
                ec2.delete_route()
                    .route_table_id(id)
                    .destination_cidr_block(
                        o.get("destination_cidr_block")
                            .and_then(Value::as_str)
                            .unwrap_or_default(),
                    )
                    .send()
                    .await
                    .api("ec2:DeleteRoute")?;
            }
        }
        if changed.iter().any(|c| c == "subnet_ids") {
            let old = attr_strs(&live.attrs, "subnet_ids");
            let new = attr_strs(d, "subnet_ids");
            for s in new.iter().filter(|s| !old.contains(s)) {
                associate(ctx, id, s).await?;
            }
            if old.iter().any(|s| !new.contains(s)) {
                let out = ec2
                    .describe_route_tables()
                    .route_table_ids(id)
                    .send()
                    .await
                    .api("ec2:DescribeRouteTables")?;
                for a in out.route_tables().iter().flat_map(|t| t.associations()) {
                    if let (Some(s), Some(assoc)) = (a.subnet_id(), a.route_table_association_id())
                        && !new.iter().any(|n| n == s)
                    {
                        ec2.disassociate_route_table()
                            .association_id(assoc)
                            .send()
                            .await
                            .api("ec2:DisassociateRouteTable")?;
                    }
                }
            }
        }
        if changed.iter().any(|c| c == "tags") {
            ec2::update_tags(ctx, id, &live.attrs, d).await?;
        }
        let mut attrs = live.attrs.clone();
        attrs.extend(d.clone());
        Ok(Live::ready(id.clone(), attrs))
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        let ec2 = ctx.aws.ec2();
        let out = match ec2
            .describe_route_tables()
            .route_table_ids(&live.id)
            .send()
            .await
            .api("ec2:DescribeRouteTables")
        {
            Ok(o) => o,
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        for a in out.route_tables().iter().flat_map(|t| t.associations()) {
            if a.main() != Some(true)
                && let Some(assoc) = a.route_table_association_id()
            {
                match ec2
                    .disassociate_route_table()
                    .association_id(assoc)
                    .send()
                    .await
                    .api("ec2:DisassociateRouteTable")
                {
                    Err(e) if !e.is_not_found() => return Err(e.into()),
                    _ => {}
                }
            }
        }
        let r = wait::retry(
            ctx,
            &format!("deleting route table {}", live.id),
            Duration::from_secs(5 * 60),
            ec2::dependency_violation,
            || async {
                ec2.delete_route_table()
                    .route_table_id(&live.id)
                    .send()
                    .await
                    .api("ec2:DeleteRouteTable")
                    .map(|_| ())
            },
        )
        .await;
        wait::gone_ok(r)
    }
}
