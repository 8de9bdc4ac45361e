//! EC2 networking resources against moto, each checked by boto3 against the same server:
//! create, clean re-plan, in-place update, forced replacement, out-of-band change seen as drift,
//! out-of-band deletion planned as a re-create, import by ID, and destroy leaving nothing.

use crate::support::*;
use engine::lang::value::Value;

fn vpc_fixture(cidr: &str) -> String {
    py(&format!(
        "print(c('ec2').create_vpc(CidrBlock='{cidr}')['Vpc']['VpcId'])"
    ))
}

fn subnet_fixture(vpc: &str, cidr: &str) -> String {
    py(&format!(
        "print(c('ec2').create_subnet(VpcId='{vpc}', CidrBlock='{cidr}', AvailabilityZone='us-east-1a')['Subnet']['SubnetId'])"
    ))
}

fn ec2_tag(id: &str, key: &str) -> String {
    py(&format!(
        "t=c('ec2').describe_tags(Filters=[{{'Name':'resource-id','Values':['{id}']}},{{'Name':'key','Values':['{key}']}}])['Tags']\nprint(t[0]['Value'] if t else '')"
    ))
}

fn set_tag_oob(id: &str, key: &str, value: &str) {
    py(&format!(
        "c('ec2').create_tags(Resources=['{id}'], Tags=[{{'Key':'{key}','Value':'{value}'}}])"
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn vpc_lifecycle() {
    if moto().is_none() {
        return;
    }
    let rt = Rt::new("aws_vpc", &[("owner", "platform")]).await;
    let cfg = rt.cfg(vec![
        ("cidr_block", s("10.10.0.0/16")),
        ("tags", map(&[("Name", "main")])),
    ]);
    let v = rt.create(&cfg).await;
    let id = attr(&v, "id");
    assert_eq!(
        py(&format!(
            "print(c('ec2').describe_vpcs(VpcIds=['{id}'])['Vpcs'][0]['CidrBlock'])"
        )),
        "10.10.0.0/16"
    );
    assert_eq!(ec2_tag(&id, "owner"), "platform", "default_tags reach AWS");
    assert!(attr(&v, "arn").ends_with(&format!(":vpc/{id}")));
    assert!(!attr(&v, "default_security_group_id").is_empty());
    let v = rt.assert_noop(&v, &cfg).await;

    // In place: DNS hostnames and tags.
    let cfg2 = rt.cfg(vec![
        ("cidr_block", s("10.10.0.0/16")),
        ("enable_dns_hostnames", Value::bool(true)),
        ("tags", map(&[("Name", "main2")])),
    ]);
    let v = rt.update(&v, &cfg2).await;
    assert_eq!(attr(&v, "id"), id);
    assert_eq!(
        py(&format!("print(c('ec2').describe_vpc_attribute(VpcId='{id}', Attribute='enableDnsHostnames')['EnableDnsHostnames']['Value'])")),
        "True"
    );
    assert_eq!(ec2_tag(&id, "Name"), "main2");

    // Drift: a tag changed out of band shows in the plan; apply puts it back.
    set_tag_oob(&id, "Name", "hand-edited");
    rt.plan_change(&v, &cfg2).await;
    let v = rt.update(&v, &cfg2).await;
    assert_eq!(ec2_tag(&id, "Name"), "main2");

    // Import by ID.
    rt.import(&id, &cfg2, &v).await;

    // Replacement: a new CIDR block.
    let cfg3 = rt.cfg(vec![
        ("cidr_block", s("10.11.0.0/16")),
        ("tags", map(&[("Name", "main2")])),
    ]);
    let v2 = rt.replace(&v, &cfg3, "cidr_block").await;
    let id2 = attr(&v2, "id");
    assert_ne!(id2, id);
    assert_eq!(py(&format!("print(len(c('ec2').describe_vpcs(Filters=[{{'Name':'vpc-id','Values':['{id}']}}])['Vpcs']))")), "0", "old VPC destroyed");

    // Out-of-band deletion: planned as a re-create.
    py(&format!("c('ec2').delete_vpc(VpcId='{id2}')"));
    rt.assert_gone_plans_create(&v2, &cfg3).await;

    // Destroy leaves nothing behind.
    let v3 = rt.create(&cfg3).await;
    let id3 = attr(&v3, "id");
    rt.delete(&v3).await;
    assert_eq!(py(&format!("print(len(c('ec2').describe_vpcs(Filters=[{{'Name':'vpc-id','Values':['{id3}']}}])['Vpcs']))")), "0");
}

#[tokio::test(flavor = "multi_thread")]
async fn subnet_lifecycle() {
    if moto().is_none() {
        return;
    }
    let vpc = vpc_fixture("10.20.0.0/16");
    let rt = Rt::new("aws_subnet", &[]).await;
    let cfg = rt.cfg(vec![
        ("vpc_id", s(&vpc)),
        ("cidr_block", s("10.20.1.0/24")),
        ("availability_zone", s("us-east-1a")),
    ]);
    let v = rt.create(&cfg).await;
    let id = attr(&v, "id");
    assert_eq!(
        py(&format!(
            "print(c('ec2').describe_subnets(SubnetIds=['{id}'])['Subnets'][0]['VpcId'])"
        )),
        vpc
    );
    let v = rt.assert_noop(&v, &cfg).await;

    let cfg2 = rt.cfg(vec![
        ("vpc_id", s(&vpc)),
        ("cidr_block", s("10.20.1.0/24")),
        ("availability_zone", s("us-east-1a")),
        ("map_public_ip_on_launch", Value::bool(true)),
        ("tags", map(&[("kubernetes.io/role/elb", "1")])),
    ]);
    let v = rt.update(&v, &cfg2).await;
    assert_eq!(py(&format!("print(c('ec2').describe_subnets(SubnetIds=['{id}'])['Subnets'][0]['MapPublicIpOnLaunch'])")), "True");

    py(&format!(
        "c('ec2').modify_subnet_attribute(SubnetId='{id}', MapPublicIpOnLaunch={{'Value': False}})"
    ));
    rt.plan_change(&v, &cfg2).await;
    let v = rt.update(&v, &cfg2).await;

    rt.import(&id, &cfg2, &v).await;

    let cfg3 = rt.cfg(vec![
        ("vpc_id", s(&vpc)),
        ("cidr_block", s("10.20.2.0/24")),
        ("availability_zone", s("us-east-1a")),
        ("map_public_ip_on_launch", Value::bool(true)),
        ("tags", map(&[("kubernetes.io/role/elb", "1")])),
    ]);
    let v2 = rt.replace(&v, &cfg3, "cidr_block").await;
    let id2 = attr(&v2, "id");

    py(&format!("c('ec2').delete_subnet(SubnetId='{id2}')"));
    rt.assert_gone_plans_create(&v2, &cfg3).await;

    let v3 = rt.create(&cfg3).await;
    rt.delete(&v3).await;
    assert_eq!(py(&format!("print(len(c('ec2').describe_subnets(Filters=[{{'Name':'vpc-id','Values':['{vpc}']}}])['Subnets']))")), "0", "no subnet left in the VPC");
    py(&format!("c('ec2').delete_vpc(VpcId='{vpc}')"));
}

#[tokio::test(flavor = "multi_thread")]
async fn internet_gateway_lifecycle() {
    if moto().is_none() {
        return;
    }
    let vpc = vpc_fixture("10.30.0.0/16");
    let vpc2 = vpc_fixture("10.31.0.0/16");
    let rt = Rt::new("aws_internet_gateway", &[]).await;
    let cfg = rt.cfg(vec![("vpc_id", s(&vpc)), ("tags", map(&[("Name", "igw")]))]);
    let v = rt.create(&cfg).await;
    let id = attr(&v, "id");
    assert_eq!(py(&format!("print(c('ec2').describe_internet_gateways(InternetGatewayIds=['{id}'])['InternetGateways'][0]['Attachments'][0]['VpcId'])")), vpc);
    let v = rt.assert_noop(&v, &cfg).await;

    // In place: move to another VPC (detach + attach), new tags. (No attribute of an internet
    // gateway forces replacement, as in Terraform.)
    let cfg2 = rt.cfg(vec![
        ("vpc_id", s(&vpc2)),
        ("tags", map(&[("Name", "igw2")])),
    ]);
    let v = rt.update(&v, &cfg2).await;
    assert_eq!(py(&format!("print(c('ec2').describe_internet_gateways(InternetGatewayIds=['{id}'])['InternetGateways'][0]['Attachments'][0]['VpcId'])")), vpc2);

    set_tag_oob(&id, "Name", "x");
    rt.plan_change(&v, &cfg2).await;
    let v = rt.update(&v, &cfg2).await;
    rt.import(&id, &cfg2, &v).await;
    let plan = rt.plan(Some(&v), &cfg);
    assert!(plan.requires_replace.is_empty());

    py(&format!("e=c('ec2')\ne.detach_internet_gateway(InternetGatewayId='{id}', VpcId='{vpc2}')\ne.delete_internet_gateway(InternetGatewayId='{id}')"));
    rt.assert_gone_plans_create(&v, &cfg2).await;

    let v3 = rt.create(&cfg2).await;
    let id3 = attr(&v3, "id");
    rt.delete(&v3).await;
    assert_eq!(py(&format!("print(len(c('ec2').describe_internet_gateways(Filters=[{{'Name':'internet-gateway-id','Values':['{id3}']}}])['InternetGateways']))")), "0");
    py(&format!(
        "c('ec2').delete_vpc(VpcId='{vpc}')\nc('ec2').delete_vpc(VpcId='{vpc2}')"
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn eip_lifecycle() {
    if moto().is_none() {
        return;
    }
    let rt = Rt::new("aws_eip", &[]).await;
    let cfg = rt.cfg(vec![("tags", map(&[("Name", "nat")]))]);
    let v = rt.create(&cfg).await;
    let id = attr(&v, "id");
    assert!(id.starts_with("eipalloc-"));
    assert_eq!(py(&format!("print(c('ec2').describe_addresses(AllocationIds=['{id}'])['Addresses'][0]['PublicIp'])")), attr(&v, "public_ip"));
    let v = rt.assert_noop(&v, &cfg).await;

    let cfg2 = rt.cfg(vec![("tags", map(&[("Name", "nat2")]))]);
    let v = rt.update(&v, &cfg2).await;
    assert_eq!(ec2_tag(&id, "Name"), "nat2");

    set_tag_oob(&id, "Name", "x");
    rt.plan_change(&v, &cfg2).await;
    let v = rt.update(&v, &cfg2).await;
    rt.import(&id, &cfg2, &v).await;

    let cfg3 = rt.cfg(vec![
        ("network_border_group", s("us-east-1")),
        ("tags", map(&[("Name", "nat2")])),
    ]);
    let v2 = rt.replace(&v, &cfg3, "network_border_group").await;
    let id2 = attr(&v2, "id");

    py(&format!("c('ec2').release_address(AllocationId='{id2}')"));
    rt.assert_gone_plans_create(&v2, &cfg3).await;

    let v3 = rt.create(&cfg2).await;
    let id3 = attr(&v3, "id");
    rt.delete(&v3).await;
    for i in [&id, &id3] {
        assert_eq!(py(&format!("print(len([a for a in c('ec2').describe_addresses()['Addresses'] if a.get('AllocationId')=='{i}']))")), "0");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn nat_gateway_lifecycle() {
    if moto().is_none() {
        return;
    }
    let vpc = vpc_fixture("10.40.0.0/16");
    let subnet = subnet_fixture(&vpc, "10.40.1.0/24");
    let eip1 = py("print(c('ec2').allocate_address(Domain='vpc')['AllocationId'])");
    let eip2 = py("print(c('ec2').allocate_address(Domain='vpc')['AllocationId'])");
    let rt = Rt::new("aws_nat_gateway", &[]).await;
    let cfg = rt.cfg(vec![
        ("subnet_id", s(&subnet)),
        ("allocation_id", s(&eip1)),
        ("tags", map(&[("Name", "nat")])),
    ]);
    let v = rt.create(&cfg).await;
    let id = attr(&v, "id");
    assert_eq!(py(&format!("print(c('ec2').describe_nat_gateways(NatGatewayIds=['{id}'])['NatGateways'][0]['State'])")), "available");
    let v = rt.assert_noop(&v, &cfg).await;

    let cfg2 = rt.cfg(vec![
        ("subnet_id", s(&subnet)),
        ("allocation_id", s(&eip1)),
        ("tags", map(&[("Name", "nat-a")])),
    ]);
    let v = rt.update(&v, &cfg2).await;
    assert_eq!(ec2_tag(&id, "Name"), "nat-a");

    set_tag_oob(&id, "Name", "x");
    rt.plan_change(&v, &cfg2).await;
    let v = rt.update(&v, &cfg2).await;
    rt.import(&id, &cfg2, &v).await;

    let cfg3 = rt.cfg(vec![
        ("subnet_id", s(&subnet)),
        ("allocation_id", s(&eip2)),
        ("tags", map(&[("Name", "nat-a")])),
    ]);
    let v2 = rt.replace(&v, &cfg3, "allocation_id").await;
    let id2 = attr(&v2, "id");

    py(&format!(
        "c('ec2').delete_nat_gateway(NatGatewayId='{id2}')"
    ));
    rt.assert_gone_plans_create(&v2, &cfg3).await;

    // moto keeps an EIP associated after its NAT gateway is deleted: a fresh one for the last round.
    let eip3 = py("print(c('ec2').allocate_address(Domain='vpc')['AllocationId'])");
    let cfg4 = rt.cfg(vec![("subnet_id", s(&subnet)), ("allocation_id", s(&eip3))]);
    let v3 = rt.create(&cfg4).await;
    let id3 = attr(&v3, "id");
    rt.delete(&v3).await;
    for i in [&id, &id3] {
        let st = py(&format!("g=c('ec2').describe_nat_gateways(Filters=[{{'Name':'nat-gateway-id','Values':['{i}']}}])['NatGateways']\nprint(g[0]['State'] if g else 'none')"));
        assert!(
            st == "none" || st == "deleted",
            "NAT gateway {i} left: {st}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn route_table_route_and_association_lifecycle() {
    if moto().is_none() {
        return;
    }
    let vpc = vpc_fixture("10.50.0.0/16");
    let vpc2 = vpc_fixture("10.51.0.0/16");
    let subnet = subnet_fixture(&vpc, "10.50.1.0/24");
    let subnet2 = subnet_fixture(&vpc, "10.50.2.0/24");
    let igw = py(&format!("e=c('ec2')\ng=e.create_internet_gateway()['InternetGateway']['InternetGatewayId']\ne.attach_internet_gateway(InternetGatewayId=g, VpcId='{vpc}')\nprint(g)"));
    let igw2 =
        py("print(c('ec2').create_internet_gateway()['InternetGateway']['InternetGatewayId'])");

    // aws_route_table
    let rt = Rt::new("aws_route_table", &[]).await;
    let cfg = rt.cfg(vec![
        ("vpc_id", s(&vpc)),
        ("tags", map(&[("Name", "public")])),
    ]);
    let t = rt.create(&cfg).await;
    let tid = attr(&t, "id");
    assert_eq!(py(&format!("print(c('ec2').describe_route_tables(RouteTableIds=['{tid}'])['RouteTables'][0]['VpcId'])")), vpc);
    let t = rt.assert_noop(&t, &cfg).await;
    let cfg2 = rt.cfg(vec![
        ("vpc_id", s(&vpc)),
        ("tags", map(&[("Name", "public-a")])),
    ]);
    let t = rt.update(&t, &cfg2).await;
    set_tag_oob(&tid, "Name", "x");
    rt.plan_change(&t, &cfg2).await;
    let t = rt.update(&t, &cfg2).await;
    rt.import(&tid, &cfg2, &t).await;
    let cfg3 = rt.cfg(vec![
        ("vpc_id", s(&vpc2)),
        ("tags", map(&[("Name", "public-a")])),
    ]);
    let t2 = rt.replace(&t, &cfg3, "vpc_id").await;
    py(&format!(
        "c('ec2').delete_route_table(RouteTableId='{}')",
        attr(&t2, "id")
    ));
    rt.assert_gone_plans_create(&t2, &cfg3).await;
    let t = rt.create(&cfg2).await;
    let tid = attr(&t, "id");
    let t_other = rt.create(&cfg2).await;
    let tid_other = attr(&t_other, "id");

    // aws_route
    let rr = Rt::new("aws_route", &[]).await;
    let rcfg = rr.cfg(vec![
        ("route_table_id", s(&tid)),
        ("destination_cidr_block", s("0.0.0.0/0")),
        ("gateway_id", s(&igw)),
    ]);
    let r = rr.create(&rcfg).await;
    assert_eq!(attr(&r, "id"), format!("{tid}_0.0.0.0/0"));
    let gw_of = |rt_id: &str| {
        py(&format!("r=[x for x in c('ec2').describe_route_tables(RouteTableIds=['{rt_id}'])['RouteTables'][0]['Routes'] if x.get('DestinationCidrBlock')=='0.0.0.0/0']\nprint(r[0].get('GatewayId','') if r else 'none')"))
    };
    assert_eq!(gw_of(&tid), igw);
    let r = rr.assert_noop(&r, &rcfg).await;
    let rcfg2 = rr.cfg(vec![
        ("route_table_id", s(&tid)),
        ("destination_cidr_block", s("0.0.0.0/0")),
        ("gateway_id", s(&igw2)),
    ]);
    let r = rr.update(&r, &rcfg2).await;
    assert_eq!(gw_of(&tid), igw2);
    py(&format!("c('ec2').replace_route(RouteTableId='{tid}', DestinationCidrBlock='0.0.0.0/0', GatewayId='{igw}')"));
    rr.plan_change(&r, &rcfg2).await;
    let r = rr.update(&r, &rcfg2).await;
    rr.import(&format!("{tid}_0.0.0.0/0"), &rcfg2, &r).await;
    let rcfg3 = rr.cfg(vec![
        ("route_table_id", s(&tid)),
        ("destination_cidr_block", s("192.168.0.0/16")),
        ("gateway_id", s(&igw2)),
    ]);
    let r2 = rr.replace(&r, &rcfg3, "destination_cidr_block").await;
    assert_eq!(gw_of(&tid), "none", "old route removed");
    py(&format!(
        "c('ec2').delete_route(RouteTableId='{tid}', DestinationCidrBlock='192.168.0.0/16')"
    ));
    rr.assert_gone_plans_create(&r2, &rcfg3).await;
    let r3 = rr.create(&rcfg).await;
    rr.delete(&r3).await;
    assert_eq!(gw_of(&tid), "none");

    // aws_route_table_association
    let ra = Rt::new("aws_route_table_association", &[]).await;
    let acfg = ra.cfg(vec![("subnet_id", s(&subnet)), ("route_table_id", s(&tid))]);
    let a = ra.create(&acfg).await;
    let assoc_rt = |sn: &str| {
        py(&format!("r=c('ec2').describe_route_tables(Filters=[{{'Name':'association.subnet-id','Values':['{sn}']}}])['RouteTables']\nprint(r[0]['RouteTableId'] if r else 'none')"))
    };
    assert_eq!(assoc_rt(&subnet), tid);
    let a = ra.assert_noop(&a, &acfg).await;
    let acfg2 = ra.cfg(vec![
        ("subnet_id", s(&subnet)),
        ("route_table_id", s(&tid_other)),
    ]);
    let a = ra.update(&a, &acfg2).await;
    assert_eq!(assoc_rt(&subnet), tid_other);
    py(&format!(
        "c('ec2').replace_route_table_association(AssociationId='{}', RouteTableId='{tid}')",
        attr(&a, "id")
    ));
    // The association ID changes with an out-of-band replace; the old one reads as gone.
    let seen = ra.read(&a).await;
    match seen {
        None => {}
        Some(now) => {
            let p = ra.plan(Some(&now), &acfg2);
            assert!(!diff(&now, &p.planned).is_empty(), "drift not detected");
        }
    }
    py(&format!("e=c('ec2')\nr=e.describe_route_tables(Filters=[{{'Name':'association.subnet-id','Values':['{subnet}']}}])['RouteTables']\nfor t in r:\n  for x in t['Associations']:\n    if x.get('SubnetId')=='{subnet}': e.disassociate_route_table(AssociationId=x['RouteTableAssociationId'])"));
    let a = ra.create(&acfg2).await;
    let imported = ra
        .import(&format!("{subnet}/{tid_other}"), &acfg2, &a)
        .await;
    assert_eq!(attr(&imported, "route_table_id"), tid_other);
    let acfg3 = ra.cfg(vec![
        ("subnet_id", s(&subnet2)),
        ("route_table_id", s(&tid_other)),
    ]);
    let a2 = ra.replace(&a, &acfg3, "subnet_id").await;
    assert_eq!(assoc_rt(&subnet), "none", "old association removed");
    py(&format!(
        "c('ec2').disassociate_route_table(AssociationId='{}')",
        attr(&a2, "id")
    ));
    ra.assert_gone_plans_create(&a2, &acfg3).await;
    let a3 = ra.create(&acfg3).await;
    ra.delete(&a3).await;
    assert_eq!(assoc_rt(&subnet2), "none");

    rt.delete(&t).await;
    rt.delete(&t_other).await;
    for x in [&tid, &tid_other] {
        assert_eq!(py(&format!("print(len(c('ec2').describe_route_tables(Filters=[{{'Name':'route-table-id','Values':['{x}']}}])['RouteTables']))")), "0");
    }
}

fn rule(
    rt: &Rt,
    block: &str,
    proto: &str,
    from: i64,
    to: i64,
    cidrs: &[&str],
    desc: Option<&str>,
) -> Value {
    let mut a = vec![
        ("protocol", s(proto)),
        ("from_port", Value::int(from)),
        ("to_port", Value::int(to)),
        ("cidr_blocks", list(cidrs)),
    ];
    if let Some(d) = desc {
        a.push(("description", s(d)));
    }
    rt.block(block, a)
}

#[tokio::test(flavor = "multi_thread")]
async fn security_group_lifecycle() {
    if moto().is_none() {
        return;
    }
    let vpc = vpc_fixture("10.60.0.0/16");
    let rt = Rt::new("aws_security_group", &[]).await;
    let ty = rt.schema.blocks["ingress"].schema.object_type();
    let name = unique("sg-");
    let cfg_with = |ing: Vec<Value>, eg: Vec<Value>, desc: &str, tag: &str| {
        rt.cfg(vec![
            ("name", s(&name)),
            ("description", s(desc)),
            ("vpc_id", s(&vpc)),
            ("ingress", Value::set(ty.clone(), ing)),
            ("egress", Value::set(ty.clone(), eg)),
            ("tags", map(&[("Name", tag)])),
        ])
    };
    // "6" and unsorted CIDRs are normalised: the re-plan stays clean.
    let cfg = cfg_with(
        vec![rule(
            &rt,
            "ingress",
            "6",
            443,
            443,
            &["10.0.0.0/8", "172.16.0.0/12"],
            Some("https"),
        )],
        vec![rule(&rt, "egress", "-1", 0, 0, &["0.0.0.0/0"], None)],
        "cluster",
        "sg",
    );
    let g = rt.create(&cfg).await;
    let id = attr(&g, "id");
    let perms = |id: &str| {
        py(&format!("g=c('ec2').describe_security_groups(GroupIds=['{id}'])['SecurityGroups'][0]\nprint(sorted((p['IpProtocol'], p.get('FromPort'), r['CidrIp']) for p in g['IpPermissions'] for r in p['IpRanges']))"))
    };
    assert_eq!(
        perms(&id),
        "[('tcp', 443, '10.0.0.0/8'), ('tcp', 443, '172.16.0.0/12')]"
    );
    let g = rt.assert_noop(&g, &cfg).await;

    let cfg2 = cfg_with(
        vec![
            rule(
                &rt,
                "ingress",
                "tcp",
                443,
                443,
                &["10.0.0.0/8"],
                Some("https"),
            ),
            rule(&rt, "ingress", "tcp", 22, 22, &["10.1.0.0/16"], Some("ssh")),
        ],
        vec![rule(&rt, "egress", "-1", 0, 0, &["0.0.0.0/0"], None)],
        "cluster",
        "sg2",
    );
    let g = rt.update(&g, &cfg2).await;
    assert_eq!(
        perms(&id),
        "[('tcp', 22, '10.1.0.0/16'), ('tcp', 443, '10.0.0.0/8')]"
    );

    py(&format!("c('ec2').authorize_security_group_ingress(GroupId='{id}', IpPermissions=[{{'IpProtocol':'tcp','FromPort':80,'ToPort':80,'IpRanges':[{{'CidrIp':'0.0.0.0/0'}}]}}])"));
    rt.plan_change(&g, &cfg2).await;
    let g = rt.update(&g, &cfg2).await;
    assert_eq!(
        perms(&id),
        "[('tcp', 22, '10.1.0.0/16'), ('tcp', 443, '10.0.0.0/8')]",
        "out-of-band rule revoked"
    );

    rt.import(&id, &cfg2, &g).await;

    let cfg3 = cfg_with(
        vec![rule(
            &rt,
            "ingress",
            "tcp",
            443,
            443,
            &["10.0.0.0/8"],
            Some("https"),
        )],
        vec![],
        "cluster nodes",
        "sg2",
    );
    let g2 = rt.replace(&g, &cfg3, "description").await;
    let id2 = attr(&g2, "id");
    assert_eq!(py(&format!("g=c('ec2').describe_security_groups(GroupIds=['{id2}'])['SecurityGroups'][0]\nprint(len(g['IpPermissionsEgress']))")), "0", "default egress removed");

    py(&format!("c('ec2').delete_security_group(GroupId='{id2}')"));
    rt.assert_gone_plans_create(&g2, &cfg3).await;

    let g3 = rt.create(&cfg3).await;
    rt.delete(&g3).await;
    assert_eq!(py(&format!("print(len(c('ec2').describe_security_groups(Filters=[{{'Name':'vpc-id','Values':['{vpc}']}},{{'Name':'group-name','Values':['{name}']}}])['SecurityGroups']))")), "0");
}

#[tokio::test(flavor = "multi_thread")]
async fn availability_zones_data_source() {
    if moto().is_none() {
        return;
    }
    let rt = Rt::new("aws_availability_zones", &[]).await;
    let cfg = rt.cfg(vec![
        ("state", s("available")),
        ("exclude_names", strs(&["us-east-1f"])),
    ]);
    let v = match rt
        .inst
        .read_data("aws_availability_zones", &cfg, &rt.op)
        .await
    {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    };
    let names: Vec<String> = v
        .get_attr("names")
        .and_then(|n| {
            n.elements().map(|e| {
                e.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
        })
        .unwrap_or_default();
    let expect = py("z=sorted(a['ZoneName'] for a in c('ec2').describe_availability_zones()['AvailabilityZones'] if a['ZoneName']!='us-east-1f')\nprint(','.join(z))");
    assert_eq!(names.join(","), expect);
    assert_eq!(attr(&v, "id"), "us-east-1");
}
