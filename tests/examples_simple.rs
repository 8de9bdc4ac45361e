//! examples/simple end to end, with the real binary against moto and a local bare GitOps
//! remote: init --bootstrap, plan (summary snapshot), apply (one GitOps commit), a clean re-plan
//! (--detailed-exitcode 0), a new Cognito user (exactly its two resources, no GitOps commit), a
//! new tenant (exactly its resources, one commit with its two files), every manifest checked
//! against ../shared/schemas and every Kubeflow path against the shared data file, and destroy
//! (checked with boto3: nothing of the cluster left; the GitOps files removed).
//!
//! moto quirks: AWS-managed IAM policies are not loaded in the shared moto, so the test makes
//! customer-managed stand-ins and passes them as `managed_policy_arns`; moto has no EKS
//! access-entry API, so `eks_access_entries = false`.

mod common;
use common::*;

#[test]
fn simple_example_end_to_end() {
    let _ = moto();
    let tmp = tempfile::tempdir().expect("tempdir");
    let remote = bare_remote(tmp.path());
    let uniq = run_name("simple");
    let work = copy_example(tmp.path(), "simple");
    let (zone, arns) = parent_zone_and_policies(&uniq);
    let arns = arns
        .as_object()
        .expect("arns")
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(", ");

    let original = std::fs::read_to_string(work.join("main.tf")).expect("main.tf");
    let base = original
        .replace("cluster_name = \"simple\"", &format!("cluster_name = \"{uniq}\""))
        .replace("\"github-repo-owner\"", "\"example\"")
        .replace("\"github-repo-name\"", "\"gitops\"")
        .replace("\"branch-name\"", "\"main\"")
        .replace("\"id-of-route53-zone\"", &format!("\"{zone}\""))
        .replace("some.domain.local", &format!("{uniq}.local"))
        .replace("<aws-account-id>", "123456789012")
        .replace("<username>", "admin")
        .replace(
            "  argo_apps_dir    = \"argocd-applications\"\n",
            &format!(
                "  argo_apps_dir    = \"argocd-applications\"\n  gitops_repository = \"file://{}\"\n  eks_access_entries = false\n  managed_policy_arns = {{ {arns} }}\n  availability_zones = [\"us-east-1a\", \"us-east-1b\"]\n",
                remote.display()
            ),
        );
    let write = |text: &str| std::fs::write(work.join("main.tf"), text).expect("write");
    write(&base);
    write_backend(&work, &uniq, "simple/terraform.tfstate");

    ok(&sakk_aws(
        &work,
        &["init", "--bootstrap", "--backend-config=backend.hcl"],
    ));
    ok(&sakk_aws(&work, &["validate"]));
    let o = sakk_aws(&work, &["plan", "--out", "plan.bin"]);
    ok(&o);
    assert_eq!(
        plan_line(&o),
        "Plan: 80 to add, 0 to change, 0 to destroy.",
        "{}",
        stdout(&o)
    );
    ok(&sakk_aws(&work, &["apply", "plan.bin"]));
    assert_eq!(git(&remote, &["rev-list", "--count", "main"]), "2");
    let out = sakk_aws(&work, &["output", "--json"]);
    ok(&out);
    let outputs: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(outputs["cluster_name"]["value"], uniq.as_str(), "{outputs}");
    assert_eq!(
        outputs["argocd_url"]["value"],
        format!("https://argocd.sandbox.{uniq}.local").as_str()
    );
    assert_eq!(
        outputs["gitops_path"]["value"],
        "examples/simple/argocd-applications"
    );

    // Nothing to do now: exit 0 with --detailed-exitcode.
    let o = sakk_aws(&work, &["plan", "--detailed-exitcode"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));

    // A new Cognito user: the user and its membership, nothing else; no manifest changes.
    let with_user = base.replace(
        "    { email = \"developer@",
        &format!("    {{ email = \"new@{uniq}.local\", username = \"new\" }},\n    {{ email = \"developer@"),
    );
    write(&with_user);
    let o = sakk_aws(&work, &["plan", "--detailed-exitcode"]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(plan_line(&o), "Plan: 2 to add, 0 to change, 0 to destroy.");
    assert!(
        stdout(&o).contains("aws_cognito_user.this[\"new\"]"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("aws_cognito_user_in_group.this[\"new\"]"));
    ok(&sakk_aws(&work, &["apply", "--auto-approve"]));
    assert_eq!(git(&remote, &["rev-list", "--count", "main"]), "2");

    // A new tenant: its bucket, IRSA role/policy/attachment, Cognito group, Profile, AppProject;
    // exactly one GitOps commit with its two files.
    let with_tenant = with_user.replace(
        "  argo_path_prefix",
        &format!(
            "  tenants = {{ team-a = {{ owner = \"qa@{uniq}.local\" }} }}\n  argo_path_prefix"
        ),
    );
    write(&with_tenant);
    let o = sakk_aws(&work, &["plan"]);
    ok(&o);
    assert_eq!(plan_line(&o), "Plan: 7 to add, 0 to change, 0 to destroy.");
    ok(&sakk_aws(&work, &["apply", "--auto-approve"]));
    assert_eq!(git(&remote, &["rev-list", "--count", "main"]), "3");
    let stat = git(&remote, &["show", "--stat", "--format=%s", "main"]);
    assert!(
        stat.starts_with("sakk: 2 added, 0 changed, 0 removed"),
        "{stat}"
    );
    assert!(stat.contains("profile-team-a.yaml"), "{stat}");
    assert!(stat.contains("appproject-tenant-team-a.yaml"), "{stat}");
    assert!(check_manifests(&remote) >= 35);

    // Destroy: nothing of the cluster is left in moto, and only README.md in the repository.
    let o = sakk_aws(&work, &["destroy", "--auto-approve"]);
    ok(&o);
    let left = boto3(&format!(
        r#"
u = "{uniq}"
left = []
ec2 = boto3.client("ec2")
left += [v["VpcId"] for v in ec2.describe_vpcs(Filters=[{{"Name": "tag:sakk.dev/cluster", "Values": [u]}}])["Vpcs"]]
left += [n["NatGatewayId"] for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] != "deleted" and any(t["Value"].startswith(u) for t in n.get("Tags", []))]
left += [a["AllocationId"] for a in ec2.describe_addresses()["Addresses"] if any(t["Value"].startswith(u) for t in a.get("Tags", []))]
left += [c for c in boto3.client("eks").list_clusters()["clusters"] if c == u]
iam = boto3.client("iam")
left += [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(u)]
left += [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"] if p["PolicyName"].startswith(u + "-") and p["PolicyName"].split("-")[-1] not in ("cluster", "worker", "cni", "registry")]
left += [o["Arn"] for o in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] if u in str(iam.get_open_id_connect_provider(OpenIDConnectProviderArn=o["Arn"]).get("Tags"))]
left += [z["Name"] for z in boto3.client("route53").list_hosted_zones()["HostedZones"] if z["Name"].endswith(u + ".local.") and z["Name"] != u + ".local."]
left += [p["Name"] for p in boto3.client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == u]
left += [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(u) and b["Name"] != u + "-state"]
print(json.dumps(left))
"#
    ));
    assert_eq!(left.trim(), "[]", "left in moto after destroy");
    assert_eq!(
        git(&remote, &["ls-tree", "-r", "--name-only", "main"]),
        "README.md"
    );
    assert_eq!(git(&remote, &["rev-list", "--count", "main"]), "4");
}
