//! Route tables with their routes and subnet associations (one resource,
//! so the plan shows a route change where it happens).

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType, RouteOrigin};

use super::ec2;
use crate::aws::error::ApiResultExt;
use crate::aws::policy::{Phase, Policy, minutes};
use crate::aws::{ApiError, Aws};
use crate::engine::typed::{Advice, Found, Lifecycle, Live, Wanted};
use crate::engine::{Ctx, DriverError};
use crate::model::network::{Route, RouteTable, RouteTableAttrs};
use crate::model::{Attrs, Changed, Id, Tags};
use crate::stack::Address;

const POLICY: Policy = Policy {
    create: minutes(2),
    update: minutes(2),
    delete: minutes(5),
    transient: &[ec2::NOT_VISIBLE_YET, ec2::in_use(minutes(5))],
};

pub struct RouteTableDriver {
    pub aws: Arc<Aws>,
}

fn to_live(t: &aws_sdk_ec2::types::RouteTable) -> (Tags, Live<RouteTable>) {
    let id = t.route_table_id().unwrap_or_default().to_string();
    let tags = ec2::tag_set(t.tags());
    let routes = t
        .routes()
        .iter()
        .filter(|r| {
            r.origin() == Some(&RouteOrigin::CreateRoute) && r.gateway_id() != Some("local")
        })
        .map(|r| Route {
            destination_cidr_block: r.destination_cidr_block().unwrap_or_default().to_string(),
            gateway_id: r.gateway_id().map(str::to_string),
            nat_gateway_id: r.nat_gateway_id().map(str::to_string),
        })
        .collect();
    let subnet_ids = t
        .associations()
        .iter()
        .filter(|a| a.main() != Some(true))
        .filter_map(|a| a.subnet_id())
        .map(str::to_string)
        .collect();
    let attrs = RouteTableAttrs {
        vpc_id: t.vpc_id().unwrap_or_default().to_string(),
        routes,
        subnet_ids,
        tags: tags.clone(),
    };
    (tags, Live::ready(id.clone(), attrs, Id { id }))
}

impl RouteTableDriver {
    async fn add_route(&self, rt: &str, r: &Route, replace: bool) -> Result<(), ApiError> {
        let ec2 = self.aws.ec2();
        if replace {
            ec2.replace_route()
                .route_table_id(rt)
                .destination_cidr_block(&r.destination_cidr_block)
                .set_gateway_id(r.gateway_id.clone())
                .set_nat_gateway_id(r.nat_gateway_id.clone())
                .send()
                .await
                .api("ec2:ReplaceRoute")?;
        } else {
            ec2.create_route()
                .route_table_id(rt)
                .destination_cidr_block(&r.destination_cidr_block)
                .set_gateway_id(r.gateway_id.clone())
                .set_nat_gateway_id(r.nat_gateway_id.clone())
                .send()
                .await
                .api("ec2:CreateRoute")?;
        }
        Ok(())
    }

    async fn associate(&self, rt: &str, subnet: &str) -> Result<(), DriverError> {
        let ec2 = self.aws.ec2();
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
                    .ok_or(DriverError::from(e))?
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
}

#[async_trait]
impl Lifecycle for RouteTableDriver {
    type Kind = RouteTable;

    async fn read(
        &self,
        ctx: &Ctx,
        wanted: &[Wanted<RouteTable>],
    ) -> Result<Found<RouteTable>, DriverError> {
        let describe = |filters| async move {
            self.aws
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
        ec2::read(ctx, wanted, "route-table-id", describe, to_live).await
    }

    async fn create(
        &self,
        ctx: &Ctx,
        _a: &Address,
        d: &Attrs<RouteTable>,
    ) -> Result<Live<RouteTable>, DriverError> {
        let out = POLICY
            .retry(ctx, Phase::Create, "creating a route table", || async {
                self.aws
                    .ec2()
                    .create_route_table()
                    .vpc_id(&d.vpc_id)
                    .tag_specifications(ec2::spec(ResourceType::RouteTable, &d.tags))
                    .send()
                    .await
                    .api("ec2:CreateRouteTable")
            })
            .await?;
        let id = out
            .route_table()
            .and_then(|t| t.route_table_id())
            .unwrap_or_default()
            .to_string();
        for r in &d.routes {
            POLICY
                .retry(ctx, Phase::Create, "creating a route", || {
                    self.add_route(&id, r, false)
                })
                .await?;
        }
        for s in &d.subnet_ids {
            self.associate(&id, s).await?;
        }
        Ok(Live::ready(id.clone(), d.clone(), Id { id }))
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        _a: &Address,
        live: &Live<RouteTable>,
        d: &Attrs<RouteTable>,
        changed: &Changed<RouteTable>,
    ) -> Result<Live<RouteTable>, DriverError> {
        let RouteTableAttrs {
            vpc_id: _,
            routes,
            subnet_ids,
            tags,
        } = *changed;
        let ec2 = self.aws.ec2();
        let id = &live.id;
        if routes {
            let (old, new) = (&live.attrs.routes, &d.routes);
            let same_dest =
                |a: &Route, b: &Route| a.destination_cidr_block == b.destination_cidr_block;
            for r in new {
                match old.iter().find(|o| same_dest(o, r)) {
                    Some(o) if o == r => {}
                    Some(_) => self.add_route(id, r, true).await?,
                    None => self.add_route(id, r, false).await?,
                }
            }
            for o in old.iter().filter(|o| !new.iter().any(|r| same_dest(r, o))) {
                ec2.delete_route()
                    .route_table_id(id)
                    .destination_cidr_block(&o.destination_cidr_block)
                    .send()
                    .await
                    .api("ec2:DeleteRoute")?;
            }
        }
        if subnet_ids {
            let (old, new) = (&live.attrs.subnet_ids, &d.subnet_ids);
            for s in new.iter().filter(|s| !old.contains(s)) {
                self.associate(id, s).await?;
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
        if tags {
            ec2::retag(&self.aws, id, &live.attrs.tags, &d.tags).await?;
        }
        Ok(live.updated(d))
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<RouteTable>,
    ) -> Result<(), DriverError> {
        let ec2 = self.aws.ec2();
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
        POLICY
            .delete_call(ctx, &format!("route table {}", live.id), || async {
                ec2.delete_route_table()
                    .route_table_id(&live.id)
                    .send()
                    .await
                    .api("ec2:DeleteRouteTable")
                    .map(|_| ())
            })
            .await
            .map(|_| ())
    }
}

impl Advice for RouteTableDriver {}
