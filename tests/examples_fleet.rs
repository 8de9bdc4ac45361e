//! examples/fleet end to end, with the real binary against moto and a local bare GitOps remote:
//! three clusters in three regions from one map (one provider configuration per cluster, one
//! GitOps provider shared by all: one commit per apply), init --bootstrap, plan (summary
//! snapshot), apply, every cluster found in its own region by boto3, a clean re-plan
//! (--detailed-exitcode 0), a new tenant in one cluster (exactly its resources, one commit with
//! its two files under that cluster's path), every manifest (ApplicationSet included) checked
//! against ../shared/schemas, and destroy (nothing left in any of the regions, only README.md in
//! the repository).
//!
//! The regions are ones no other test uses: moto gives every EKS cluster of a region the same
//! OIDC issuer (AWS gives each its own), so two live clusters in one region cannot both have
//! their IRSA OIDC provider there.

mod common;
use common::*;

const REGIONS: [(&str, &str); 3] = [
    ("dev", "eu-central-1"),
    ("staging", "ap-southeast-2"),
    ("prod", "ca-central-1"),
];

/// The variables of the fleet: each cluster's region, VPC range and tenants.
fn tfvars(zone: &str, parent: &str, remote: &str, arns: &serde_json::Value, extra: bool) -> String {
    let tenants = |names: &[&str]| -> serde_json::Value {
        names
            .iter()
            .map(|n| {
                (
                    n.to_string(),
                    serde_json::json!({ "owner": format!("{n}@{parent}") }),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let staging: &[&str] = if extra {
        &["alice", "ml-qa"]
    } else {
        &["alice"]
    };
    let clusters: serde_json::Map<String, serde_json::Value> = REGIONS
        .iter()
        .enumerate()
        .map(|(i, (name, region))| {
            let t = match *name {
                "dev" => tenants(&["alice", "bob"]),
                "staging" => tenants(staging),
                _ => tenants(&["ranking"]),
            };
            (
                name.to_string(),
                serde_json::json!({
                    "region": region,
                    "vpc_cidr": format!("10.{}.0.0/16", 10 * (i + 1)),
                    "tenants": t,
                }),
            )
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "mainzoneid": zone,
        "parent_domain": parent,
        "gitops_repository": remote,
        "eks_access_entries": false,
        "managed_policy_arns": arns,
        "clusters": clusters,
    }))
    .expect("json")
}

/// Destroys what the test made when it fails half-way, so a long-lived moto stays usable.
struct DestroyOnFailure<'a>(&'a std::path::Path);

impl Drop for DestroyOnFailure<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let o = sakk_aws(self.0, &["destroy", "--auto-approve"]);
            eprintln!("clean-up destroy: {}\n{}", stdout(&o), stderr(&o));
        }
    }
}

#[test]
fn fleet_example_end_to_end() {
    let _ = moto();
    let tmp = tempfile::tempdir().expect("tempdir");
    let remote = bare_remote(tmp.path());
    let uniq = run_name("fleet");
    let work = copy_example(tmp.path(), "fleet");
    // Cluster names of this run (IAM role names are global).
    let main_tf = std::fs::read_to_string(work.join("main.tf")).expect("main.tf");
    assert!(main_tf.contains("\"fleet-${each.key}\""));
    std::fs::write(
        work.join("main.tf"),
        main_tf.replace(
            "\"fleet-${each.key}\"",
            &format!("\"{uniq}-${{each.key}}\""),
        ),
    )
    .expect("write");

    // The shared parent zone and stand-ins for the AWS managed policies.
    let (zone, arns) = parent_zone_and_policies(&uniq);
    let parent = format!("{uniq}.local");
    let remote_url = format!("file://{}", remote.display());
    let vars = |extra: bool| {
        std::fs::write(
            work.join("terraform.tfvars.json"),
            tfvars(&zone, &parent, &remote_url, &arns, extra),
        )
        .expect("write tfvars");
    };
    vars(false);
    write_backend(&work, &uniq, "fleet/terraform.tfstate");

    ok(&sakk_aws(
        &work,
        &["init", "--bootstrap", "--backend-config=backend.hcl"],
    ));
    let _cleanup = DestroyOnFailure(&work);
    ok(&sakk_aws(&work, &["validate"]));
    let o = sakk_aws(&work, &["plan", "--out", "plan.bin"]);
    ok(&o);
    assert_eq!(
        plan_line(&o),
        "Plan: 260 to add, 0 to change, 0 to destroy.",
        "{}",
        stdout(&o)
    );
    ok(&sakk_aws(&work, &["apply", "plan.bin"]));
    // One GitOps commit for the whole fleet: one gitops provider instance shared by the clusters.
    assert_eq!(git(&remote, &["rev-list", "--count", "main"]), "2");
    let files = git(&remote, &["ls-tree", "-r", "--name-only", "main"]);
    for (name, _) in REGIONS {
        assert!(
            files.contains(&format!("clusters/{name}/argocd-applications/")),
            "{files}"
        );
    }
    assert!(files.contains("fleet/applicationset-fleet.yaml"), "{files}");

    let out = sakk_aws(&work, &["output", "--json"]);
    ok(&out);
    let outputs: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        outputs["clusters"]["value"]["staging"]["argocd_url"],
        format!("https://argocd.staging.{uniq}.local").as_str(),
        "{outputs}"
    );

    // Each cluster, its VPC and its user pool live in the cluster's own region; each cluster
    // has its own OIDC provider (IRSA).
    let found = boto3(&format!(
        r#"
regions = {regions:?}
out = {{}}
for name, region in regions:
    c = "{uniq}-" + name
    eks = boto3.client("eks", region_name=region)
    ec2 = boto3.client("ec2", region_name=region)
    vpcs = ec2.describe_vpcs(Filters=[{{"Name": "tag:sakk.dev/cluster", "Values": [c]}}])["Vpcs"]
    pools = [p["Name"] for p in boto3.client("cognito-idp", region_name=region).list_user_pools(MaxResults=60)["UserPools"]]
    out[name] = [c in eks.list_clusters()["clusters"], len(vpcs), c in pools]
iam = boto3.client("iam")
issuers = [iam.get_open_id_connect_provider(OpenIDConnectProviderArn=o["Arn"])["Url"] for o in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
out["oidc"] = sorted(r for _, r in regions if any(("oidc.eks." + r + ".") in i for i in issuers))
print(json.dumps(out, sort_keys=True))
"#,
        regions = REGIONS
            .iter()
            .map(|(n, r)| (n.to_string(), r.to_string()))
            .collect::<Vec<_>>()
    ));
    let found: serde_json::Value = serde_json::from_str(found.trim()).expect("json");
    for (name, _) in REGIONS {
        assert_eq!(
            found[name],
            serde_json::json!([true, 1, true]),
            "{name}: {found}"
        );
    }
    assert_eq!(
        found["oidc"],
        serde_json::json!(["ap-southeast-2", "ca-central-1", "eu-central-1"]),
        "{found}"
    );

    // Nothing to do now: exit 0 with --detailed-exitcode.
    let o = sakk_aws(&work, &["plan", "--detailed-exitcode"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));

    // A new tenant in staging: its bucket, IRSA role/policy/attachment, Cognito group, Profile,
    // AppProject; exactly one GitOps commit with its two files under clusters/staging/.
    vars(true);
    let o = sakk_aws(&work, &["plan"]);
    ok(&o);
    assert_eq!(plan_line(&o), "Plan: 7 to add, 0 to change, 0 to destroy.");
    assert!(
        stdout(&o).contains("module.cluster[\"staging\"].module.tenant[\"ml-qa\"]"),
        "{}",
        stdout(&o)
    );
    ok(&sakk_aws(&work, &["apply", "--auto-approve"]));
    assert_eq!(git(&remote, &["rev-list", "--count", "main"]), "3");
    let names = git(&remote, &["show", "--name-only", "--format=%s", "main"]);
    let names: Vec<&str> = names.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        names,
        [
            "sakk: 2 added, 0 changed, 0 removed",
            "clusters/staging/argocd-applications/appproject-tenant-ml-qa.yaml",
            "clusters/staging/argocd-applications/profile-ml-qa.yaml",
        ]
    );
    assert!(check_manifests(&remote) >= 100);

    // Destroy: nothing of the fleet is left in any region, only README.md in the repository.
    ok(&sakk_aws(&work, &["destroy", "--auto-approve"]));
    let left = boto3(&format!(
        r#"
u = "{uniq}"
left = []
for region in {regions:?}:
    ec2 = boto3.client("ec2", region_name=region)
    left += [v["VpcId"] for v in ec2.describe_vpcs(Filters=[{{"Name": "tag-key", "Values": ["sakk.dev/cluster"]}}])["Vpcs"] if any(t["Value"].startswith(u) for t in v.get("Tags", []))]
    left += [n["NatGatewayId"] for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] != "deleted" and any(t["Value"].startswith(u) for t in n.get("Tags", []))]
    left += [a["AllocationId"] for a in ec2.describe_addresses()["Addresses"] if any(t["Value"].startswith(u) for t in a.get("Tags", []))]
    left += [c for c in boto3.client("eks", region_name=region).list_clusters()["clusters"] if c.startswith(u)]
    left += [p["Name"] for p in boto3.client("cognito-idp", region_name=region).list_user_pools(MaxResults=60)["UserPools"] if p["Name"].startswith(u)]
iam = boto3.client("iam")
left += [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(u)]
left += [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"] if p["PolicyName"].startswith(u + "-") and p["PolicyName"].split("-")[-1] not in ("cluster", "worker", "cni", "registry")]
left += [o["Arn"] for o in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] if u in str(iam.get_open_id_connect_provider(OpenIDConnectProviderArn=o["Arn"]).get("Tags"))]
left += [z["Name"] for z in boto3.client("route53").list_hosted_zones()["HostedZones"] if z["Name"].endswith(u + ".local.") and z["Name"] != u + ".local."]
left += [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(u) and b["Name"] != u + "-state"]
print(json.dumps(left))
"#,
        regions = REGIONS
            .iter()
            .map(|(_, r)| r.to_string())
            .collect::<Vec<_>>()
    ));
    assert_eq!(left.trim(), "[]", "left in moto after destroy");
    assert_eq!(
        git(&remote, &["ls-tree", "-r", "--name-only", "main"]),
        "README.md"
    );
    assert_eq!(git(&remote, &["rev-list", "--count", "main"]), "4");
}
