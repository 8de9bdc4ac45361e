"""What is in (moto's) AWS and in sakk's state, compared with boto3, independently of sakk.

* :func:`inventory` lists every object of every resource type the crash configuration uses,
  leaving out what AWS makes by itself (the default VPC and its subnets, each VPC's main route
  table, default security group and local route) and the backend's own bucket and lock table.
  Each object has an identity ``key`` (what the state's attributes name it by) and a ``twin``
  key (what makes two AWS objects the same configuration object: a Name tag, a zone name, a
  pool name, the pool's name plus a client's name...).
* :func:`read_state` reads the state document from the S3 backend; :func:`state_entries` turns
  it into one entry per resource instance (and deposed object), with the same keys.
* :func:`compare` counts per type: twins (objects beyond the first per twin key), orphans
  (objects no state entry names), ghosts (state entries whose object is gone), the intents
  (create placeholders) and deposed objects still in the state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# Every AWS resource type of sakk (providers/src/aws/), and whether moto serves it.
TYPES = [
    "aws_vpc",
    "aws_subnet",
    "aws_internet_gateway",
    "aws_eip",
    "aws_nat_gateway",
    "aws_route_table",
    "aws_route",
    "aws_route_table_association",
    "aws_security_group",
    "aws_s3_bucket",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_public_access_block",
    "aws_dynamodb_table",
    "aws_iam_role",
    "aws_iam_policy",
    "aws_iam_role_policy_attachment",
    "aws_iam_openid_connect_provider",
    "aws_route53_zone",
    "aws_route53_record",
    "aws_cognito_user_pool",
    "aws_cognito_user_pool_client",
    "aws_cognito_user_group",
    "aws_cognito_user",
    "aws_cognito_user_in_group",
    "aws_cognito_user_pool_domain",
    "aws_eks_cluster",
    "aws_eks_node_group",
]
# sakk types moto 5.2 does not serve (the error moto gives): not in the configuration.
UNSUPPORTED = {
    "aws_eks_addon": "moto 5.2: CreateAddon -> HTTP 404 Not Found (no EKS add-on API)",
    "aws_eks_access_entry": "moto 5.2: CreateAccessEntry -> HTTP 404 Not Found (no EKS access-entry API)",
}


@dataclass
class Obj:
    type: str
    key: tuple
    twin: tuple
    desc: str


@dataclass
class Entry:
    type: str
    addr: str
    key: tuple | None
    intent: bool = False
    deposed: str | None = None
    tainted: bool = False


@dataclass
class TypeFigures:
    objects: int = 0
    entries: int = 0
    twins: int = 0
    orphans: int = 0
    ghosts: int = 0
    intents: int = 0
    deposed: int = 0
    details: list = field(default_factory=list)

    def bad(self) -> int:
        return self.twins + self.orphans + self.ghosts + self.intents + self.deposed


def clients(endpoint: str, region: str = "us-east-1") -> dict:
    cfg = Config(retries={"total_max_attempts": 10, "mode": "standard"}, connect_timeout=5, read_timeout=60)
    kw = dict(endpoint_url=endpoint, region_name=region, aws_access_key_id="test", aws_secret_access_key="test", config=cfg)
    names = {"ec2": "ec2", "s3": "s3", "ddb": "dynamodb", "iam": "iam", "r53": "route53", "cog": "cognito-idp", "eks": "eks"}
    return {k: boto3.client(v, **kw) for k, v in names.items()}


def _tags(o) -> dict:
    return {t["Key"]: t["Value"] for t in (o.get("Tags") or [])}


def _name(o) -> str:
    return _tags(o).get("Name", "")


def _zid(z: str | None) -> str:
    return (z or "").split("/")[-1]


def _rname(n: str | None) -> str:
    return (n or "").lower().rstrip(".").replace("\\052", "*")


def _code(e: ClientError) -> str:
    return e.response.get("Error", {}).get("Code", "")


def inventory(c: dict, exclude_buckets=(), exclude_tables=()) -> dict[str, list[Obj]]:
    """Every object of the configuration's types in AWS (type -> objects)."""
    inv: dict[str, list[Obj]] = {t: [] for t in TYPES}

    def add(t, key, twin, desc):
        inv[t].append(Obj(t, tuple(key), tuple(twin), desc))

    ec2 = c["ec2"]
    vpcs = [v for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    vpc_name = {v["VpcId"]: _name(v) for v in vpcs}
    for v in vpcs:
        add("aws_vpc", [v["VpcId"]], [_name(v) or v["CidrBlock"]], f"{v['VpcId']} {v['CidrBlock']} Name={_name(v)}")
    subnet_name = {}
    for s in ec2.describe_subnets()["Subnets"]:
        if s["VpcId"] not in vpc_name:
            continue
        subnet_name[s["SubnetId"]] = _name(s)
        add("aws_subnet", [s["SubnetId"]], [_name(s) or s["CidrBlock"]], f"{s['SubnetId']} {s['CidrBlock']} in {s['VpcId']} Name={_name(s)}")
    for g in ec2.describe_internet_gateways()["InternetGateways"]:
        att = [a["VpcId"] for a in g.get("Attachments", [])]
        if any(a not in vpc_name for a in att):
            continue  # the default VPC's
        add("aws_internet_gateway", [g["InternetGatewayId"]], [_name(g) or g["InternetGatewayId"]], f"{g['InternetGatewayId']} attached={att} Name={_name(g)}")
    for a in ec2.describe_addresses()["Addresses"]:
        add("aws_eip", [a["AllocationId"]], [_name(a) or a["AllocationId"]], f"{a['AllocationId']} {a.get('PublicIp')} Name={_name(a)}")
    for n in ec2.describe_nat_gateways()["NatGateways"]:
        if n.get("State") in ("deleted", "deleting", "failed"):
            continue
        add("aws_nat_gateway", [n["NatGatewayId"]], [_name(n) or n["NatGatewayId"]], f"{n['NatGatewayId']} {n.get('State')} Name={_name(n)}")
    for rt in ec2.describe_route_tables()["RouteTables"]:
        if rt["VpcId"] not in vpc_name:
            continue
        main = any(a.get("Main") for a in rt.get("Associations", []))
        rname = _name(rt) or rt["RouteTableId"]
        if not main:
            add("aws_route_table", [rt["RouteTableId"]], [rname], f"{rt['RouteTableId']} in {rt['VpcId']} Name={_name(rt)}")
        for r in rt.get("Routes", []):
            if r.get("GatewayId") == "local" or r.get("Origin") == "CreateRouteTable":
                continue
            dest = r.get("DestinationCidrBlock") or r.get("DestinationIpv6CidrBlock") or r.get("DestinationPrefixListId")
            add("aws_route", [rt["RouteTableId"], dest], [rname, dest], f"{rt['RouteTableId']} {dest} -> {r.get('GatewayId') or r.get('NatGatewayId')}")
        for a in rt.get("Associations", []):
            if a.get("Main") or not a.get("SubnetId"):
                continue
            add(
                "aws_route_table_association",
                [a["SubnetId"], rt["RouteTableId"]],
                [subnet_name.get(a["SubnetId"], a["SubnetId"]), rname],
                f"{a['RouteTableAssociationId']} {a['SubnetId']} -> {rt['RouteTableId']}",
            )
    for g in ec2.describe_security_groups()["SecurityGroups"]:
        if g["GroupName"] == "default" or g.get("VpcId") not in vpc_name:
            continue
        add("aws_security_group", [g["GroupId"]], [g["GroupName"]], f"{g['GroupId']} {g['GroupName']} in {g.get('VpcId')}")

    s3 = c["s3"]
    for b in s3.list_buckets().get("Buckets", []):
        n = b["Name"]
        if n in exclude_buckets:
            continue
        add("aws_s3_bucket", [n], [n], n)
        try:
            if s3.get_bucket_versioning(Bucket=n).get("Status") == "Enabled":
                add("aws_s3_bucket_versioning", [n], [n], f"{n} versioning Enabled")
        except ClientError:
            pass
        try:
            rules = s3.get_bucket_encryption(Bucket=n)["ServerSideEncryptionConfiguration"]["Rules"]
            if rules:
                add("aws_s3_bucket_server_side_encryption_configuration", [n], [n], f"{n} SSE {rules[0]['ApplyServerSideEncryptionByDefault']['SSEAlgorithm']}")
        except ClientError:
            pass
        try:
            pab = s3.get_public_access_block(Bucket=n)["PublicAccessBlockConfiguration"]
            if any(pab.values()):
                add("aws_s3_bucket_public_access_block", [n], [n], f"{n} public access block")
        except ClientError:
            pass

    for page in c["ddb"].get_paginator("list_tables").paginate():
        for t in page["TableNames"]:
            if t not in exclude_tables:
                add("aws_dynamodb_table", [t], [t], t)

    iam = c["iam"]
    roles = [r for page in iam.get_paginator("list_roles").paginate() for r in page["Roles"] if not r["Path"].startswith("/aws-service-role/")]
    for r in roles:
        add("aws_iam_role", [r["RoleName"]], [r["RoleName"]], r["RoleName"])
        for p in iam.get_paginator("list_attached_role_policies").paginate(RoleName=r["RoleName"]):
            for a in p["AttachedPolicies"]:
                add("aws_iam_role_policy_attachment", [r["RoleName"], a["PolicyArn"]], [r["RoleName"], a["PolicyArn"]], f"{r['RoleName']} <- {a['PolicyArn']}")
    for page in iam.get_paginator("list_policies").paginate(Scope="Local"):
        for p in page["Policies"]:
            add("aws_iam_policy", [p["Arn"]], [p["PolicyName"]], p["Arn"])
    for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
        url = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=p["Arn"]).get("Url", "")
        add("aws_iam_openid_connect_provider", [p["Arn"]], [url], p["Arn"])

    r53 = c["r53"]
    for page in r53.get_paginator("list_hosted_zones").paginate():
        for z in page["HostedZones"]:
            zid, zname = _zid(z["Id"]), _rname(z["Name"])
            add("aws_route53_zone", [zid], [zname], f"{zid} {zname}")
            for rp in r53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zid):
                for rr in rp["ResourceRecordSets"]:
                    n = _rname(rr["Name"])
                    if rr["Type"] in ("SOA", "NS") and n == zname:
                        continue
                    add("aws_route53_record", [zid, n, rr["Type"]], [zname, n, rr["Type"]], f"{zid} {n} {rr['Type']}")

    cog = c["cog"]
    pools = []
    for page in cog.get_paginator("list_user_pools").paginate(MaxResults=60):
        pools += page["UserPools"]
    for p in pools:
        pid, pname = p["Id"], p["Name"]
        add("aws_cognito_user_pool", [pid], [pname], f"{pid} {pname}")
        desc = cog.describe_user_pool(UserPoolId=pid)["UserPool"]
        for d in filter(None, [desc.get("Domain"), desc.get("CustomDomain")]):
            add("aws_cognito_user_pool_domain", [d], [d], f"{d} -> {pid}")
        for page in cog.get_paginator("list_user_pool_clients").paginate(UserPoolId=pid, MaxResults=60):
            for cl in page["UserPoolClients"]:
                add("aws_cognito_user_pool_client", [cl["ClientId"]], [pname, cl["ClientName"]], f"{cl['ClientId']} {cl['ClientName']} in {pid}")
        for page in cog.get_paginator("list_groups").paginate(UserPoolId=pid):
            for g in page["Groups"]:
                add("aws_cognito_user_group", [pid, g["GroupName"]], [pname, g["GroupName"]], f"{pid}/{g['GroupName']}")
        for page in cog.get_paginator("list_users").paginate(UserPoolId=pid):
            for u in page["Users"]:
                un = u["Username"]
                add("aws_cognito_user", [pid, un], [pname, un], f"{pid}/{un}")
                for g in cog.admin_list_groups_for_user(UserPoolId=pid, Username=un).get("Groups", []):
                    add("aws_cognito_user_in_group", [pid, un, g["GroupName"]], [pname, un, g["GroupName"]], f"{pid}/{un} in {g['GroupName']}")

    eks = c["eks"]
    for cl in eks.list_clusters().get("clusters", []):
        add("aws_eks_cluster", [cl], [cl], cl)
        for ng in eks.list_nodegroups(clusterName=cl).get("nodegroups", []):
            add("aws_eks_node_group", [cl, ng], [cl, ng], f"{cl}:{ng}")
    return inv


def read_state(s3, bucket: str, key: str) -> dict | None:
    """The state document in the S3 backend (None: there is none)."""
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as e:
        if _code(e) in ("NoSuchKey", "404", "NoSuchBucket"):
            return None
        raise
    return json.loads(body)


def _key(t: str, a: dict) -> tuple | None:
    """The identity of a state instance's object, from its attributes (None: unknown yet)."""
    g = a.get
    if t in ("aws_vpc", "aws_subnet", "aws_internet_gateway", "aws_nat_gateway", "aws_route_table", "aws_security_group", "aws_cognito_user_pool", "aws_cognito_user_pool_client"):
        k = (g("id"),)
    elif t == "aws_eip":
        k = (g("allocation_id") or g("id"),)
    elif t == "aws_route":
        k = (g("route_table_id"), g("destination_cidr_block") or g("destination_ipv6_cidr_block") or g("destination_prefix_list_id"))
    elif t == "aws_route_table_association":
        k = (g("subnet_id"), g("route_table_id"))
    elif t in ("aws_s3_bucket", "aws_s3_bucket_versioning", "aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_public_access_block"):
        k = (g("bucket") or g("id"),)
    elif t in ("aws_dynamodb_table", "aws_iam_role", "aws_eks_cluster"):
        k = (g("name") or g("id"),)
    elif t in ("aws_iam_policy", "aws_iam_openid_connect_provider"):
        k = (g("arn") or g("id"),)
    elif t == "aws_iam_role_policy_attachment":
        k = (g("role"), g("policy_arn"))
    elif t == "aws_route53_zone":
        k = (_zid(g("zone_id") or g("id")),)
    elif t == "aws_route53_record":
        k = (_zid(g("zone_id")), _rname(g("fqdn") or g("name")), g("type"))
    elif t == "aws_cognito_user_group":
        k = (g("user_pool_id"), g("name"))
    elif t == "aws_cognito_user":
        k = (g("user_pool_id"), g("username"))
    elif t == "aws_cognito_user_in_group":
        k = (g("user_pool_id"), g("username"), g("group_name"))
    elif t == "aws_cognito_user_pool_domain":
        k = (g("domain"),)
    elif t == "aws_eks_node_group":
        k = (g("cluster_name"), g("node_group_name"))
    else:
        return None
    return None if any(x in (None, "") for x in k) else k


def state_entries(state: dict | None) -> list[Entry]:
    """One entry per managed resource instance of the state (deposed objects as their own)."""
    out: list[Entry] = []
    for r in (state or {}).get("resources", []):
        if r.get("mode") != "managed":
            continue
        base = (r.get("module") + "." if r.get("module") else "") + f"{r['type']}.{r['name']}"
        for i in r.get("instances", []):
            ik = i.get("index_key")
            addr = base + ("" if ik is None else (f"[{json.dumps(ik)}]"))
            private = i.get("private") or ""
            out.append(
                Entry(
                    type=r["type"],
                    addr=addr + (f" (deposed {i['deposed']})" if i.get("deposed") else ""),
                    key=_key(r["type"], i.get("attributes") or {}),
                    intent=private.startswith("sakk-intent:"),
                    deposed=i.get("deposed"),
                    tainted=i.get("status") == "tainted",
                )
            )
    return out


def compare(inv: dict[str, list[Obj]], entries: list[Entry]) -> dict[str, TypeFigures]:
    """Per-type twins, orphans, ghosts, intents and deposed objects (see the module doc)."""
    figs = {t: TypeFigures() for t in sorted(set(TYPES) | {e.type for e in entries})}
    for t, objs in inv.items():
        f = figs[t]
        f.objects = len(objs)
        by_twin: dict[tuple, list[Obj]] = {}
        for o in objs:
            by_twin.setdefault(o.twin, []).append(o)
        for tk, group in by_twin.items():
            if len(group) > 1:
                f.twins += len(group) - 1
                f.details.append(f"twin: {len(group)} objects for {'/'.join(map(str, tk))}: " + "; ".join(o.desc for o in group))
        tracked = {e.key for e in entries if e.type == t and e.key is not None and not e.intent}
        for o in objs:
            if o.key not in tracked:
                f.orphans += 1
                f.details.append(f"orphan: {o.desc}")
    for e in entries:
        f = figs[e.type]
        f.entries += 1
        if e.intent:
            f.intents += 1
            f.details.append(f"intent left: {e.addr} key={e.key}")
            continue
        if e.deposed:
            f.deposed += 1
            f.details.append(f"deposed left: {e.addr}")
        present = {o.key for o in inv.get(e.type, [])}
        if e.key is None or e.key not in present:
            f.ghosts += 1
            f.details.append(f"ghost: {e.addr} key={e.key}")
    return figs


def leftovers(inv: dict[str, list[Obj]]) -> dict[str, list[str]]:
    """The objects still there (type -> descriptions), e.g. after a destroy."""
    return {t: [o.desc for o in objs] for t, objs in inv.items() if objs}
