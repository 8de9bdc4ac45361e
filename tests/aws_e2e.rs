//! The AWS provider through the whole engine, against moto: `sakk apply` creates an S3 bucket,
//! a Route53 zone with a record, and reads a data source whose arguments are known only after
//! apply (a deferred read); boto3 confirms; a re-plan is clean; `sakk destroy` leaves nothing.

mod common;
use common::*;

fn moto_python(code: &str) -> String {
    let o = std::process::Command::new(repo_root().join("scripts/moto"))
        .args(["python", "-c", code])
        .output()
        .expect("scripts/moto python");
    assert!(
        o.status.success(),
        "boto3 check failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

const CONFIG: &str = r#"
provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = { ManagedBy = "sakk" }
  }
}
resource "aws_s3_bucket" "artifacts" {
  bucket        = "sakk-e2e-artifacts"
  force_destroy = true
}
resource "aws_route53_zone" "main" {
  name          = "e2e.sakk.test"
  force_destroy = true
}
resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.main.zone_id
  name    = "www.e2e.sakk.test"
  type    = "A"
  ttl     = 60
  records = ["10.0.0.1"]
}
data "aws_route53_zone" "again" {
  zone_id = aws_route53_zone.main.zone_id
}
output "zone_name" { value = data.aws_route53_zone.again.name }
output "bucket_arn" { value = aws_s3_bucket.artifacts.arn }
"#;

#[test]
fn apply_replan_destroy_against_moto() {
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "this test needs moto: run it through ./scripts/test, or `eval \"$(scripts/moto start)\"` first"
    );
    let p = project(&[("main.tf", CONFIG)]);
    let dir = p.path();
    assert!(run_in(dir, &["init"]).status.success());
    let o = run_in(dir, &["plan"]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}{}", stderr(&o));
    assert!(
        out.contains("# data.aws_route53_zone.again will be read during apply"),
        "{out}"
    );
    assert!(
        out.contains("Plan: 3 to add, 0 to change, 0 to destroy."),
        "{out}"
    );

    let o = run_in(dir, &["apply", "--auto-approve"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("zone_name = \"e2e.sakk.test\""),
        "{}",
        stdout(&o)
    );
    let seen = moto_python(
        "import boto3\n\
         s3 = boto3.client('s3'); r53 = boto3.client('route53')\n\
         b = [x['Name'] for x in s3.list_buckets()['Buckets']]\n\
         z = [x for x in r53.list_hosted_zones()['HostedZones'] if x['Name'] == 'e2e.sakk.test.']\n\
         rr = r53.list_resource_record_sets(HostedZoneId=z[0]['Id'])['ResourceRecordSets']\n\
         tags = s3.get_bucket_tagging(Bucket='sakk-e2e-artifacts')['TagSet']\n\
         print('sakk-e2e-artifacts' in b, len(z), [r['Type'] for r in rr if r['Name'].startswith('www')], sorted(t['Key'] for t in tags))",
    );
    // The default tag, and the intent tag the create wrote (how a cut-off create is found).
    assert_eq!(seen, "True 1 ['A'] ['ManagedBy', 'sakk:intent']");

    let o = run_in(dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "re-plan is not clean:\n{}",
        stdout(&o)
    );

    let o = run_in(dir, &["destroy", "--auto-approve"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let left = moto_python(
        "import boto3\n\
         s3 = boto3.client('s3'); r53 = boto3.client('route53')\n\
         print(sum(1 for x in s3.list_buckets()['Buckets'] if x['Name'] == 'sakk-e2e-artifacts'), \
               sum(1 for x in r53.list_hosted_zones()['HostedZones'] if x['Name'] == 'e2e.sakk.test.'))",
    );
    assert_eq!(left, "0 0");
}

/// Provider configurations in modules: one per instance of a module called with for_each (each
/// instance in its own region, inherited by a nested module), and an aliased configuration passed
/// in with `providers = { aws = aws.west }`. boto3 finds every VPC in its own region; a re-plan
/// is clean; removing an instance whose provider configuration went with it is refused with the
/// way out; destroy removes everything from every region.
#[test]
fn provider_configurations_per_module_instance_and_passed_in() {
    let _ = moto();
    let u = unique("prov");
    let root = format!(
        r#"
provider "aws" {{
  region = "us-east-1"
}}
provider "aws" {{
  alias  = "west"
  region = "eu-west-2"
}}
variable "regions" {{
  type    = map(string)
  default = {{ a = "eu-north-1", b = "sa-east-1" }}
}}
module "m" {{
  source   = "./m"
  for_each = var.regions
  region   = each.value
  name     = "{u}-${{each.key}}"
}}
module "w" {{
  source    = "./w"
  providers = {{ aws = aws.west }}
  name      = "{u}-w"
}}
resource "aws_vpc" "root" {{
  cidr_block = "10.0.0.0/16"
  tags       = {{ Name = "{u}-root" }}
}}
"#
    );
    let m = r#"
variable "region" { type = string }
variable "name" { type = string }
provider "aws" {
  region = var.region
}
module "inner" {
  source = "../inner"
  name   = var.name
}
"#;
    let vpc = r#"
variable "name" { type = string }
resource "aws_vpc" "this" {
  cidr_block = "10.1.0.0/16"
  tags       = { Name = var.name }
}
"#;
    let p = project(&[
        ("main.tf", &root),
        ("m/main.tf", m),
        ("inner/main.tf", vpc),
        ("w/main.tf", vpc),
    ]);
    let dir = p.path();
    let o = sakk_aws(dir, &["init"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = sakk_aws(dir, &["apply", "--auto-approve"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let where_ = |names: &[&str]| {
        boto3(&format!(
            r#"
out = {{}}
for n in {names:?}:
    out[n] = sorted(r for r in ["us-east-1", "eu-west-2", "eu-north-1", "sa-east-1"]
        if boto3.client("ec2", region_name=r).describe_vpcs(Filters=[{{"Name": "tag:Name", "Values": ["{u}-" + n]}}])["Vpcs"])
print(json.dumps(out, sort_keys=True))
"#
        ))
    };
    let found: serde_json::Value =
        serde_json::from_str(where_(&["root", "a", "b", "w"]).trim()).expect("json");
    assert_eq!(
        found,
        serde_json::json!({"root": ["us-east-1"], "a": ["eu-north-1"], "b": ["sa-east-1"], "w": ["eu-west-2"]})
    );
    let o = sakk_aws(dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));

    // Instance b goes, and with it the configuration of its region: refused, nothing changes.
    let o = sakk_aws(dir, &["plan", "--var", "regions={a = \"eu-north-1\"}"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("Provider configuration not present for aws_vpc"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("sakk destroy -target="),
        "{}",
        stderr(&o)
    );
    // The way out: destroy the instance first, then remove it.
    let o = sakk_aws(
        dir,
        &["destroy", "--auto-approve", "--target", "module.m[\"b\"]"],
    );
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let o = sakk_aws(
        dir,
        &[
            "plan",
            "--detailed-exitcode",
            "--var",
            "regions={a = \"eu-north-1\"}",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));

    // The whole module goes, and its own provider block with it: refused as well (the state
    // records that module.m's block configured these objects).
    let without_m = {
        let a = root.find("module \"m\" {").expect("module m");
        let b = a + root[a..].find("}\n").expect("end of module m") + 2;
        format!("{}{}", &root[..a], &root[b..])
    };
    std::fs::write(dir.join("main.tf"), &without_m).expect("write");
    let o = sakk_aws(dir, &["plan"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("Provider configuration not present"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("module.m"), "{}", stderr(&o));
    std::fs::write(dir.join("main.tf"), &root).expect("write");
    let state = std::fs::read_to_string(dir.join("terraform.tfstate")).expect("state");
    assert!(
        state.contains(
            r#""provider": "module.m.provider[\"registry.terraform.io/hashicorp/aws\"]""#
        ),
        "{state}"
    );
    assert!(
        state.contains(r#""provider": "provider[\"registry.terraform.io/hashicorp/aws\"].west""#),
        "{state}"
    );

    let o = sakk_aws(dir, &["destroy", "--auto-approve"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let found: serde_json::Value =
        serde_json::from_str(where_(&["root", "a", "b", "w"]).trim()).expect("json");
    assert_eq!(
        found,
        serde_json::json!({"root": [], "a": [], "b": [], "w": []})
    );
}

const REPLACE: &str = r#"
provider "aws" {
  region = "us-east-1"
}
variable "cidr" {
  default = "10.70.0.0/16"
}
variable "zone" {
  default = "one.replace.sakk.test"
}
resource "aws_vpc" "v" {
  cidr_block = var.cidr
  tags       = { Name = "replace-e2e" }
}
resource "aws_internet_gateway" "g" {
  vpc_id = aws_vpc.v.id
}
resource "aws_subnet" "s" {
  vpc_id     = aws_vpc.v.id
  cidr_block = cidrsubnet(var.cidr, 8, 1)
}
resource "aws_route53_zone" "z" {
  name          = var.zone
  force_destroy = true
  lifecycle {
    create_before_destroy = true
  }
}
resource "aws_route53_record" "r" {
  count   = 3
  zone_id = aws_route53_zone.z.zone_id
  name    = "r${count.index}.${var.zone}"
  type    = "A"
  ttl     = 60
  records = ["10.0.0.1"]
}
"#;

/// Replacements in Terraform's order against moto, in one run each: a VPC's `cidr_block` change
/// with an internet gateway and a subnet in it (the gateway is replaced with its VPC, destroyed
/// before it: no `DependencyViolation`), and a create_before_destroy Route53 zone with records
/// (the new zone and its records first, the old zone last). boto3 sees one of each; a re-plan
/// is clean; destroy leaves nothing.
#[test]
fn replacements_apply_in_one_run_in_terraforms_order() {
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "this test needs moto: run it through ./scripts/test, or `eval \"$(scripts/moto start)\"` first"
    );
    // Names of this run only (moto outlives a failed run).
    let run = format!("r{}", std::process::id());
    let uniq = |x: &str| {
        x.replace("replace-e2e", &format!("{run}-e2e"))
            .replace("replace.sakk.test", &format!("{run}.sakk.test"))
    };
    let config = uniq(REPLACE);
    let p = project(&[("main.tf", config.as_str())]);
    let dir = p.path();
    assert!(run_in(dir, &["init"]).status.success());
    let o = run_in(dir, &["apply", "--auto-approve"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let zone_var = uniq("zone=two.replace.sakk.test");
    let vars = ["--var", "cidr=10.71.0.0/16", "--var", zone_var.as_str()];
    let o = run_in(dir, &[&["plan"][..], &vars].concat());
    let plan = stdout(&o);
    assert!(o.status.success(), "{plan}{}", stderr(&o));
    assert!(
        plan.contains("# aws_internet_gateway.g must be replaced"),
        "{plan}"
    );
    let o = run_in(dir, &[&["apply", "--auto-approve"][..], &vars].concat());
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let seen = moto_python(&uniq(
        "import boto3\n\
         e = boto3.client('ec2'); r53 = boto3.client('route53')\n\
         v = [x['CidrBlock'] for x in e.describe_vpcs(Filters=[{'Name':'tag:Name','Values':['replace-e2e']}])['Vpcs']]\n\
         g = [a['VpcId'] for x in e.describe_internet_gateways()['InternetGateways'] for a in x.get('Attachments', [])]\n\
         vid = [x['VpcId'] for x in e.describe_vpcs(Filters=[{'Name':'tag:Name','Values':['replace-e2e']}])['Vpcs']]\n\
         z = sorted(x['Name'] for x in r53.list_hosted_zones()['HostedZones'] if 'replace.sakk.test' in x['Name'])\n\
         zid = [x['Id'] for x in r53.list_hosted_zones()['HostedZones'] if x['Name'] == 'two.replace.sakk.test.']\n\
         rr = sorted(r['Name'] for r in r53.list_resource_record_sets(HostedZoneId=zid[0])['ResourceRecordSets'] if r['Type'] == 'A')\n\
         print(v, sum(1 for x in g if x in vid), z, rr)",
    ));
    assert_eq!(
        seen,
        uniq("['10.71.0.0/16'] 1 ['two.replace.sakk.test.'] ['r0.two.replace.sakk.test.', 'r1.two.replace.sakk.test.', 'r2.two.replace.sakk.test.']")
    );
    let o = run_in(dir, &[&["plan", "--detailed-exitcode"][..], &vars].concat());
    assert_eq!(
        o.status.code(),
        Some(0),
        "re-plan is not clean:\n{}",
        stdout(&o)
    );
    let o = run_in(dir, &[&["destroy", "--auto-approve"][..], &vars].concat());
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let left = moto_python(&uniq(
        "import boto3\n\
         e = boto3.client('ec2'); r53 = boto3.client('route53')\n\
         print(len(e.describe_vpcs(Filters=[{'Name':'tag:Name','Values':['replace-e2e']}])['Vpcs']), \
               sum(1 for x in r53.list_hosted_zones()['HostedZones'] if 'replace.sakk.test' in x['Name']))",
    ));
    assert_eq!(left, "0 0");
}
