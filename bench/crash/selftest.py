"""Checks of the instrument itself, against a real moto server with boto3 (no sakk needed):
the fault proxy names actions right, answers AWS-shaped errors that botocore parses to the
service's own error codes, resets before forwarding (moto saw nothing), drops after forwarding
(moto acted), holds, is deterministic per seed; the checker finds twins, orphans, ghosts and
left-over intents in a state document it is given.

    bench/crash/run --self-test        (starts its own moto)
    CRASH_MOTO=http://127.0.0.1:PORT scripts/moto python -m unittest bench/crash/selftest.py
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import unittest
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awscheck  # noqa: E402
import faultproxy  # noqa: E402

MOTO = os.environ.get("CRASH_MOTO", "")


def reset_moto():
    urllib.request.urlopen(urllib.request.Request(MOTO + "/moto-api/reset", method="POST"), timeout=30).read()


def client(service, endpoint, attempts=1):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": attempts, "mode": "standard"}, read_timeout=30, connect_timeout=5),
    )


def role_doc():
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


@unittest.skipUnless(MOTO, "needs CRASH_MOTO (bench/crash/run --self-test starts one)")
class ProxyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = faultproxy.make_server("127.0.0.1:0", MOTO)
        cls.url = f"http://127.0.0.1:{cls.srv.server_address[1]}"
        cls.thread = threading.Thread(target=cls.srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        cls.thread.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.faults.release_event.set()
        cls.srv.shutdown()
        cls.srv.server_close()

    def setUp(self):
        reset_moto()
        self.configure({})

    def configure(self, cfg):
        req = urllib.request.Request(self.url + "/__faultproxy/config", data=json.dumps(cfg).encode(), method="POST")
        self.assertEqual(json.loads(urllib.request.urlopen(req, timeout=5).read()), {"ok": True})

    def stats(self):
        return json.loads(urllib.request.urlopen(self.url + "/__faultproxy/stats", timeout=5).read())

    def test_forwards_and_names_actions(self):
        ec2, iam, s3 = client("ec2", self.url), client("iam", self.url), client("s3", self.url)
        r53, ddb, cog, eks = client("route53", self.url), client("dynamodb", self.url), client("cognito-idp", self.url), client("eks", self.url)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        role = iam.create_role(RoleName="r1", AssumeRolePolicyDocument=role_doc())["Role"]["Arn"]
        s3.create_bucket(Bucket="bucket-one")
        s3.put_bucket_versioning(Bucket="bucket-one", VersioningConfiguration={"Status": "Enabled"})
        s3.put_public_access_block(Bucket="bucket-one", PublicAccessBlockConfiguration={"BlockPublicAcls": True})
        z = r53.create_hosted_zone(Name="t.test", CallerReference="c1")["HostedZone"]["Id"]
        r53.change_resource_record_sets(
            HostedZoneId=z,
            ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {"Name": "a.t.test", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "1.2.3.4"}]}}]},
        )
        ddb.create_table(TableName="t1", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        pool = cog.create_user_pool(PoolName="p1")["UserPool"]["Id"]
        cog.create_group(UserPoolId=pool, GroupName="g1")
        eks.create_cluster(name="c1", roleArn=role, resourcesVpcConfig={"subnetIds": [sub]})
        eks.create_nodegroup(clusterName="c1", nodegroupName="n1", subnets=[sub], nodeRole=role)
        eks.describe_cluster(name="c1")
        r53.delete_hosted_zone  # noqa: B018 (named, not called)
        seen = self.stats()["actions"]
        for a in [
            "ec2:CreateVpc", "ec2:CreateSubnet", "iam:CreateRole", "s3:CreateBucket", "s3:PutBucketVersioning",
            "s3:PutPublicAccessBlock", "route53:CreateHostedZone", "route53:ChangeResourceRecordSets",
            "dynamodb:CreateTable", "cognito-idp:CreateUserPool", "cognito-idp:CreateGroup", "eks:CreateCluster",
            "eks:CreateNodegroup", "eks:DescribeCluster",
        ]:
            self.assertIn(a, seen, f"{a} not named; seen: {sorted(seen)}")
        self.assertEqual(self.stats()["faults"], {})
        # what went through is really in moto
        self.assertEqual(len(client("ec2", MOTO).describe_vpcs(VpcIds=[vpc])["Vpcs"]), 1)

    def test_errors_are_aws_shaped(self):
        expected = {
            "throttle": {"ec2": "RequestLimitExceeded", "iam": "Throttling", "s3": "SlowDown", "route53": "Throttling", "dynamodb": "ThrottlingException", "cognito-idp": "TooManyRequestsException", "eks": "ThrottlingException"},
            "500": {"ec2": "InternalError", "iam": "ServiceFailure", "s3": "InternalError", "route53": "InternalFailure", "dynamodb": "InternalServerError", "cognito-idp": "InternalErrorException", "eks": "ServerException"},
            "503": {"ec2": "Unavailable", "iam": "ServiceUnavailable", "s3": "ServiceUnavailable", "route53": "ServiceUnavailable", "dynamodb": "ServiceUnavailableException", "cognito-idp": "ServiceUnavailableException", "eks": "ServiceUnavailableException"},
        }
        calls = {
            "ec2": lambda c: c.create_vpc(CidrBlock="10.1.0.0/16"),
            "iam": lambda c: c.create_role(RoleName="r2", AssumeRolePolicyDocument=role_doc()),
            "s3": lambda c: c.create_bucket(Bucket="bucket-two"),
            "route53": lambda c: c.create_hosted_zone(Name="u.test", CallerReference="c2"),
            "dynamodb": lambda c: c.list_tables(),
            "cognito-idp": lambda c: c.list_user_pools(MaxResults=10),
            "eks": lambda c: c.list_clusters(),
        }
        for kind, codes in expected.items():
            self.configure({"rate": 1.0, "kinds": [kind]})
            for svc, code in codes.items():
                with self.assertRaises(ClientError, msg=f"{kind} {svc}") as cm:
                    calls[svc](client(svc, self.url))
                got = cm.exception.response["Error"]["Code"]
                self.assertEqual(got, code, f"{kind} for {svc}")
                status = cm.exception.response["ResponseMetadata"]["HTTPStatusCode"]
                if kind in ("500", "503"):
                    self.assertEqual(status, int(kind), f"{kind} for {svc}")
        # nothing was forwarded: moto has none of it
        self.assertEqual([v for v in client("ec2", MOTO).describe_vpcs()["Vpcs"] if not v["IsDefault"]], [])
        self.assertEqual(client("iam", MOTO).list_roles()["Roles"], [])

    def test_reset_before_forwarding_leaves_moto_untouched(self):
        self.configure({"rate": 1.0, "kinds": ["reset"]})
        with self.assertRaises((ConnectionClosedError, EndpointConnectionError, ConnectionError)):
            client("ec2", self.url).create_vpc(CidrBlock="10.2.0.0/16")
        self.assertEqual([v for v in client("ec2", MOTO).describe_vpcs()["Vpcs"] if not v["IsDefault"]], [])
        self.assertEqual(self.stats()["forwarded"], 0)

    def test_drop_after_forwarding_moto_acted(self):
        self.configure({"rate": 1.0, "kinds": ["drop"]})
        with self.assertRaises((ConnectionClosedError, EndpointConnectionError, ConnectionError)):
            client("iam", self.url).create_role(RoleName="dropped", AssumeRolePolicyDocument=role_doc())
        self.assertEqual([r["RoleName"] for r in client("iam", MOTO).list_roles()["Roles"]], ["dropped"])
        # what an SDK retry then meets: "already exists"
        self.configure({})
        with self.assertRaises(ClientError) as cm:
            client("iam", self.url).create_role(RoleName="dropped", AssumeRolePolicyDocument=role_doc())
        self.assertEqual(cm.exception.response["Error"]["Code"], "EntityAlreadyExists")

    def test_drop_once(self):
        self.configure({"drop_once": "ec2:CreateVpc"})
        ec2 = client("ec2", self.url)
        with self.assertRaises((ConnectionClosedError, EndpointConnectionError, ConnectionError)):
            ec2.create_vpc(CidrBlock="10.3.0.0/16")
        ec2.create_vpc(CidrBlock="10.4.0.0/16")  # only the first
        cidrs = sorted(v["CidrBlock"] for v in client("ec2", MOTO).describe_vpcs()["Vpcs"] if not v["IsDefault"])
        self.assertEqual(cidrs, ["10.3.0.0/16", "10.4.0.0/16"])
        self.assertEqual([d["action"] for d in self.stats()["dropped_once"]], ["ec2:CreateVpc"])

    def test_hold_forwards_and_never_answers(self):
        self.configure({"hold": "cognito-idp:CreateUserPool"})
        err = []

        def call():
            try:
                client("cognito-idp", self.url).create_user_pool(PoolName="held")
            except Exception as e:  # noqa: BLE001
                err.append(e)

        t = threading.Thread(target=call, daemon=True)
        t.start()
        deadline = time.time() + 10
        while not self.stats()["held"] and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual([h["action"] for h in self.stats()["held"]], ["cognito-idp:CreateUserPool"])
        time.sleep(0.3)
        self.assertTrue(t.is_alive(), "the held call was answered")
        pools = client("cognito-idp", MOTO).list_user_pools(MaxResults=10)["UserPools"]
        self.assertEqual([p["Name"] for p in pools], ["held"])
        urllib.request.urlopen(urllib.request.Request(self.url + "/__faultproxy/release", data=b"", method="POST"), timeout=5).read()
        t.join(10)
        self.assertFalse(t.is_alive())
        self.assertEqual(len(err), 1)

    def test_seeded_draws_are_deterministic(self):
        def run(seed):
            self.configure({"rate": 0.5, "seed": seed, "kinds": ["throttle"]})
            out = []
            c = client("dynamodb", self.url)
            for _ in range(30):
                try:
                    c.list_tables()
                    out.append(0)
                except ClientError:
                    out.append(1)
            return out

        a, b, c = run("7"), run("7"), run("8")
        self.assertEqual(a, b)
        self.assertNotEqual(a, c)
        self.assertTrue(5 < sum(a) < 25, a)

    def test_sdk_retries_through_faults(self):
        # botocore's standard retries get through 30% throttling/5xx, as the Rust SDK's do
        self.configure({"rate": 0.3, "seed": "1", "kinds": ["throttle", "500", "503"]})
        c = client("dynamodb", self.url, attempts=10)
        for _ in range(20):
            c.list_tables()
        self.assertGreater(sum(self.stats()["faults"].values()), 0)


@unittest.skipUnless(MOTO, "needs CRASH_MOTO (bench/crash/run --self-test starts one)")
class CheckerTest(unittest.TestCase):
    def setUp(self):
        reset_moto()
        self.c = awscheck.clients(MOTO)

    def test_empty_moto_has_nothing(self):
        inv = awscheck.inventory(self.c)
        self.assertEqual(awscheck.leftovers(inv), {})

    def test_twins_orphans_ghosts_intents(self):
        ec2, cog, r53, iam = self.c["ec2"], self.c["cog"], self.c["r53"], self.c["iam"]
        tag = [{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "crash-main"}]}]
        v1 = ec2.create_vpc(CidrBlock="10.10.0.0/16", TagSpecifications=tag)["Vpc"]["VpcId"]
        v2 = ec2.create_vpc(CidrBlock="10.10.0.0/16", TagSpecifications=tag)["Vpc"]["VpcId"]  # a twin
        p1 = cog.create_user_pool(PoolName="crash-pool")["UserPool"]["Id"]
        cog.create_group(UserPoolId=p1, GroupName="admins")
        z1 = r53.create_hosted_zone(Name="app.crash.test", CallerReference="a")["HostedZone"]["Id"].split("/")[-1]
        iam.create_role(RoleName="crash-app", AssumeRolePolicyDocument=role_doc())  # an orphan
        state = {
            "version": 4,
            "resources": [
                {"mode": "managed", "type": "aws_vpc", "name": "main", "instances": [{"attributes": {"id": v1}}]},
                {"mode": "managed", "type": "aws_cognito_user_pool", "name": "main", "instances": [{"attributes": {"id": p1}}]},
                {"mode": "managed", "type": "aws_cognito_user_group", "name": "g", "instances": [
                    {"index_key": "admins", "attributes": {"user_pool_id": p1, "name": "admins"}},
                    {"index_key": "readers", "attributes": {"user_pool_id": p1, "name": "readers"}},  # a ghost
                ]},
                {"mode": "managed", "type": "aws_route53_zone", "name": "app", "instances": [{"attributes": {"zone_id": z1, "id": z1}}]},
                {"mode": "managed", "type": "aws_dynamodb_table", "name": "t", "instances": [
                    {"index_key": "x", "status": "tainted", "private": "sakk-intent:tok", "attributes": {"name": "crash-x"}},
                ]},
                {"mode": "data", "type": "aws_caller_identity", "name": "me", "instances": [{"attributes": {"id": "1"}}]},
            ],
        }
        figs = awscheck.compare(awscheck.inventory(self.c), awscheck.state_entries(state))
        self.assertEqual((figs["aws_vpc"].twins, figs["aws_vpc"].orphans, figs["aws_vpc"].ghosts), (1, 1, 0))
        self.assertTrue(any(v2 in d for d in figs["aws_vpc"].details))
        self.assertEqual((figs["aws_iam_role"].orphans, figs["aws_iam_role"].entries), (1, 0))
        self.assertEqual((figs["aws_cognito_user_group"].ghosts, figs["aws_cognito_user_group"].orphans), (1, 0))
        self.assertEqual(figs["aws_dynamodb_table"].intents, 1)
        self.assertEqual((figs["aws_route53_zone"].twins, figs["aws_route53_zone"].orphans, figs["aws_route53_zone"].ghosts), (0, 0, 0))
        self.assertEqual(figs["aws_cognito_user_pool"].bad(), 0)
        # a second zone of the same name is a twin
        r53.create_hosted_zone(Name="app.crash.test", CallerReference="b")
        figs = awscheck.compare(awscheck.inventory(self.c), awscheck.state_entries(state))
        self.assertEqual((figs["aws_route53_zone"].twins, figs["aws_route53_zone"].orphans), (1, 1))

    def test_implicit_objects_are_not_ours(self):
        ec2 = self.c["ec2"]
        v = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        inv = awscheck.inventory(self.c)
        # the VPC, not its main route table, default security group or local route
        self.assertEqual({t: len(o) for t, o in inv.items() if o}, {"aws_vpc": 1})
        self.assertEqual(inv["aws_vpc"][0].key, (v,))


if __name__ == "__main__":
    unittest.main()
