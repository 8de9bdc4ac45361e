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
         print('sakk-e2e-artifacts' in b, len(z), [r['Type'] for r in rr if r['Name'].startswith('www')], tags)",
    );
    assert_eq!(seen, "True 1 ['A'] [{'Key': 'ManagedBy', 'Value': 'sakk'}]");

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
