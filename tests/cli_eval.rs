//! plan / apply / output / console end to end on the local backend.

mod common;
use common::*;
use std::io::Write;
use std::process::Stdio;

const CONFIG: &str = r#"
variable "name" {}
variable "replicas" {
  type    = number
  default = 2
}
variable "token" {
  default   = "s3cr3t"
  sensitive = true
}
locals {
  greeting = "hello ${var.name}"
}
output "greeting" { value = local.greeting }
output "replicas" { value = var.replicas * 2 }
output "token" {
  value     = var.token
  sensitive = true
}
output "list" { value = [for i in range(var.replicas) : "n${i}"] }
"#;

#[test]
fn plan_apply_output_round_trip() {
    let p = project(&[("main.tf", CONFIG)]);
    let dir = p.path();
    // A missing required variable is named, and there is no prompt without a terminal.
    let o = run_in(dir, &["plan"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("No value for required variable"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("\"name\""), "{}", stderr(&o));

    let o = run_in(dir, &["plan", "--var", "name=world", "--detailed-exitcode"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("Changes to Outputs:"), "{out}");
    assert!(out.contains("+ greeting = \"hello world\""), "{out}");
    assert!(out.contains("+ token    = (sensitive value)"), "{out}");
    assert!(!out.contains("s3cr3t"), "{out}");

    let o = run_in(dir, &["apply", "-auto-approve", "-var", "name=world"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("token = <sensitive>"), "{}", stdout(&o));
    assert!(!stdout(&o).contains("s3cr3t"));

    // Nothing changes the second time.
    let o = run_in(dir, &["plan", "--var", "name=world", "--detailed-exitcode"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("No changes."));

    // output: all, one, raw, json; sensitive hidden except where asked for explicitly.
    let o = run_in(dir, &["output"]);
    assert_eq!(
        stdout(&o),
        "greeting = \"hello world\"\nlist = [\n  \"n0\",\n  \"n1\",\n]\nreplicas = 4\ntoken = <sensitive>\n"
    );
    assert_eq!(
        stdout(&run_in(dir, &["output", "--raw", "greeting"])),
        "hello world"
    );
    assert_eq!(stdout(&run_in(dir, &["output", "token"])), "<sensitive>\n");
    assert_eq!(stdout(&run_in(dir, &["output", "-raw", "token"])), "s3cr3t");
    let j: serde_json::Value =
        serde_json::from_slice(&run_in(dir, &["output", "--json"]).stdout).expect("json");
    assert_eq!(
        j["replicas"],
        serde_json::json!({"sensitive": false, "type": "number", "value": 4})
    );
    assert_eq!(
        j["list"]["type"],
        serde_json::json!(["tuple", ["string", "string"]])
    );
    assert_eq!(j["token"]["sensitive"], true);
    let o = run_in(dir, &["output", "--raw", "list"]);
    assert_eq!(o.status.code(), Some(1));

    // A change of one variable shows exactly that output changing.
    let o = run_in(dir, &["plan", "--var", "name=sakk"]);
    let out = stdout(&o);
    assert!(
        out.contains("~ greeting = \"hello world\" -> \"hello sakk\""),
        "{out}"
    );
    assert!(!out.contains("replicas"), "{out}");
}

#[test]
fn console_evaluates_stdin_lines() {
    let p = project(&[("main.tf", CONFIG)]);
    let mut child = sakk()
        .current_dir(p.path())
        .args(["console", "--var", "name=x"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(
            b"local.greeting\ncidrsubnet(\"10.0.0.0/16\", 8, 2)\nvar.token\n{a = 1}\nnope(\n",
        )
        .expect("write");
    let o = child.wait_with_output().expect("wait");
    let out = stdout(&o);
    assert_eq!(
        out,
        "\"hello x\"\n\"10.0.2.0/24\"\n(sensitive value)\n{\n  \"a\" = 1\n}\n",
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("Error: Invalid HCL syntax"),
        "{}",
        stderr(&o)
    );
    assert_eq!(o.status.code(), Some(1));
}

/// Evaluation errors point at the offending expression: file:line:col.
#[test]
fn evaluation_errors_have_locations() {
    let cases: &[(&str, &str, &str)] = &[
        (
            // type mismatch deep inside a nested object variable
            "variable \"admin_arns\" {\n  type = list(object({ userarn = string, groups = list(string) }))\n  default = [{ userarn = \"a\", groups = \"x\" }]\n}\noutput \"o\" { value = var.admin_arns }\n",
            "element 0: attribute \"groups\": list of string required",
            "main.tf:3:13",
        ),
        (
            "variable \"n\" {\n  default = 0\n  validation {\n    condition     = var.n > 0\n    error_message = \"The n must be positive.\"\n  }\n}\n",
            "The n must be positive.",
            "main.tf:3:3",
        ),
        ("locals {\n  a = 1\n  b = uper(\"x\")\n}\n", "Call to unknown function", "main.tf:3:7"),
        ("locals {\n  b = upper(\"x\", \"y\")\n}\n", "Too many function arguments", "main.tf:2:"),
        (
            "module \"m\" {\n  source = \"./m\"\n}\noutput \"x\" { value = module.m.nope }\n",
            "Unsupported attribute",
            "main.tf:4:22",
        ),
    ];
    for (src, summary, at) in cases {
        let p = project(&[
            ("main.tf", src),
            ("m/main.tf", "output \"yes\" { value = 1 }\n"),
        ]);
        let o = run_in(p.path(), &["plan"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{src}\n{err}");
        assert!(err.contains(summary), "missing {summary:?} in:\n{err}");
        assert!(
            err.contains(&format!("on {at}")),
            "missing location {at} in:\n{err}"
        );
    }
}

const DYNAMIC: &str = r#"
provider "aws" {
  region = "us-east-1"
  dynamic "default_tags" {
    for_each = [var.tags]
    content {
      tags = default_tags.value
    }
  }
}
variable "tags" {
  default = { ManagedBy = "sakk" }
}
variable "ingress" {
  default = {
    ssh   = { port = 22, cidrs = ["10.0.0.0/8"] }
    https = { port = 443, cidrs = ["0.0.0.0/0"] }
  }
}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_security_group" "web" {
  name   = "web"
  vpc_id = aws_vpc.main.id
  dynamic "ingress" {
    for_each = var.ingress
    iterator = rule
    content {
      description = rule.key
      from_port   = rule.value.port
      to_port     = rule.value.port
      protocol    = "tcp"
      cidr_blocks = rule.value.cidrs
    }
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = [aws_vpc.main.cidr_block]
  }
  # Unknown until the VPC exists: the whole egress set is unknown, as in Terraform.
  dynamic "egress" {
    for_each = aws_vpc.main.id == "" ? [] : [1]
    content {
      from_port        = 0
      to_port          = 0
      protocol         = "-1"
      ipv6_cidr_blocks = ["::/0"]
    }
  }
}
"#;

/// `dynamic` blocks against the AWS provider's schemas (security group rules from a map, the
/// provider's default_tags). Planning creates makes no AWS calls: the endpoint is a closed port.
#[test]
fn dynamic_blocks_plan_against_the_aws_provider() {
    let p = project(&[("main.tf", DYNAMIC)]);
    let dir = p.path();
    let run = |args: &[&str]| {
        sakk()
            .current_dir(dir)
            .args(args)
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .expect("run sakk")
    };
    let o = run(&["validate"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(run(&["init"]).status.success());
    let o = run(&["plan"]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}{}", stderr(&o));
    let ingress = r#"      + ingress                = [
          {
            cidr_blocks      = [
              "0.0.0.0/0",
            ]
            description      = "https"
            from_port        = 443
            ipv6_cidr_blocks = []
            prefix_list_ids  = []
            protocol         = "tcp"
            security_groups  = []
            self             = false
            to_port          = 443
          },
          {
            cidr_blocks      = [
              "10.0.0.0/8",
            ]
            description      = "ssh"
            from_port        = 22
"#;
    assert!(out.contains(ingress), "{out}");
    assert!(
        out.contains("      + egress                 = (known after apply)\n"),
        "{out}"
    );
    assert!(out.contains("ManagedBy = \"sakk\""), "{out}");
    assert!(
        out.contains("Plan: 2 to add, 0 to change, 0 to destroy."),
        "{out}"
    );

    // A misspelt block type, and an iterator used outside its block, with their locations.
    for (from, to, summary, at) in [
        (
            "dynamic \"ingress\"",
            "dynamic \"ingres\"",
            "Unsupported block type",
            "main.tf:26:11",
        ),
        (
            "name   = \"web\"",
            "name   = rule.key",
            "Reference to undeclared resource",
            "main.tf:24:12",
        ),
    ] {
        std::fs::write(dir.join("main.tf"), DYNAMIC.replace(from, to)).expect("write");
        let o = run(&["plan"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains(summary), "missing {summary:?} in:\n{err}");
        assert!(err.contains(&format!("on {at}")), "missing {at} in:\n{err}");
    }
}

/// The configuration of [`JSON_BLOCKS`] in native syntax.
const JSON_BLOCKS_HCL: &str = r#"
provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = { ManagedBy = "sakk" }
  }
}
variable "rules" {
  default = {
    ssh = { port = 22, cidrs = ["10.0.0.0/8"] }
  }
}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_security_group" "web" {
  name   = "web"
  vpc_id = aws_vpc.main.id
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  dynamic "ingress" {
    for_each = var.rules
    iterator = r
    content {
      description = r.key
      from_port   = r.value.port
      to_port     = r.value.port
      protocol    = "tcp"
      cidr_blocks = r.value.cidrs
    }
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
  lifecycle {
    create_before_destroy = true
    ignore_changes        = [tags]
  }
  depends_on = [aws_vpc.main]
}
resource "aws_vpc" "east" {
  provider   = aws.east
  cidr_block = "10.1.0.0/16"
}
provider "aws" {
  alias  = "east"
  region = "us-east-2"
}
"#;

/// Nested blocks written in JSON syntax: a property named like a block type of the provider's
/// schema is a block (an object) or several (an array of objects), and `dynamic` works; the
/// references of meta-arguments are strings.
const JSON_BLOCKS: &str = r#"{
  "provider": {"aws": {"region": "us-east-1", "default_tags": {"tags": {"ManagedBy": "sakk"}}}},
  "variable": {"rules": {"default": {"ssh": {"port": 22, "cidrs": ["10.0.0.0/8"]}}}},
  "resource": {
    "aws_vpc": {"main": {"cidr_block": "10.0.0.0/16"}},
    "aws_security_group": {"web": {
      "name": "web",
      "vpc_id": "${aws_vpc.main.id}",
      "ingress": [{"from_port": 443, "to_port": 443, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}],
      "dynamic": {"ingress": {
        "for_each": "${var.rules}",
        "iterator": "r",
        "content": {
          "description": "${r.key}",
          "from_port": "${r.value.port}",
          "to_port": "${r.value.port}",
          "protocol": "tcp",
          "cidr_blocks": "${r.value.cidrs}"
        }
      }},
      "egress": {"from_port": 0, "to_port": 0, "protocol": "-1", "cidr_blocks": ["0.0.0.0/0"]},
      "lifecycle": {"create_before_destroy": true, "ignore_changes": ["tags"]},
      "depends_on": ["aws_vpc.main"]
    }}
  },
  "//": "references in meta-arguments are strings",
  "resource": {"aws_vpc": {"east": {"provider": "aws.east", "cidr_block": "10.1.0.0/16"}}},
  "provider": {"aws": [{"alias": "east", "region": "us-east-2"}]}
}
"#;

/// `.tf.json` bodies are decoded with the provider's schema: the plan of [`JSON_BLOCKS`] is the
/// plan of the same configuration in native syntax.
#[test]
fn json_nested_blocks_plan_like_native_syntax() {
    let run = |dir: &std::path::Path, args: &[&str]| {
        sakk()
            .current_dir(dir)
            .args(args)
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .expect("run sakk")
    };
    // The resource changes: from the first "# address" line through "Plan: ...".
    let changes = |out: &str| -> String {
        let from = out.find("  # ").unwrap_or(0);
        let to = out[from..]
            .find("\nPlan: ")
            .and_then(|i| out[from + i + 1..].find('\n').map(|j| from + i + 1 + j))
            .unwrap_or(out.len());
        out[from..to].to_string()
    };
    let plan = |file: &str, src: &str| {
        let p = project(&[(file, src)]);
        let dir = p.path();
        let o = run(dir, &["validate"]);
        assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
        assert!(run(dir, &["init"]).status.success());
        let o = run(dir, &["plan"]);
        let out = stdout(&o);
        assert!(o.status.success(), "{out}{}", stderr(&o));
        changes(&out)
    };
    let hcl = plan("main.tf", JSON_BLOCKS_HCL);
    let json = plan("main.tf.json", JSON_BLOCKS);
    assert!(
        hcl.contains("Plan: 3 to add, 0 to change, 0 to destroy."),
        "{hcl}"
    );
    assert!(hcl.contains("description      = \"ssh\""), "{hcl}");
    assert!(hcl.contains("ManagedBy = \"sakk\""), "{hcl}");
    assert_eq!(json, hcl);

    // Errors in JSON blocks point into the JSON file.
    let p = project(&[("main.tf.json", JSON_BLOCKS)]);
    let dir = p.path();
    assert!(run(dir, &["init"]).status.success());
    for (from, to, summary, at) in [
        (
            r#""egress": {"from_port": 0, "to_port": 0, "protocol": "-1", "cidr_blocks": ["0.0.0.0/0"]}"#,
            r#""egress": ["x", {"from_port": 0, "to_port": 0, "protocol": "-1", "cidr_blocks": ["0.0.0.0/0"]}]"#,
            "Invalid egress block",
            "main.tf.json:21:18",
        ),
        (
            r#""create_before_destroy": true"#,
            r#""create_before_destroy": "yes""#,
            "Invalid value for \"create_before_destroy\"",
            "main.tf.json:22:46",
        ),
        (
            r#""dynamic": {"ingress""#,
            r#""dynamic": {"ingres""#,
            "Unsupported block type",
            "main.tf.json:10:19",
        ),
        (
            r#""depends_on": ["aws_vpc.main"]"#,
            r#""depends_on": ["aws_vpc.mian"]"#,
            "Reference to undeclared resource",
            "main.tf.json:23:23",
        ),
        (
            r#""name": "web""#,
            r#""name": "${r.key}""#,
            "Reference to undeclared resource",
            "main.tf.json:7:18",
        ),
    ] {
        let src = JSON_BLOCKS.replace(from, to);
        std::fs::write(dir.join("main.tf.json"), &src).expect("write");
        let o = run(dir, &["plan"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{src}\n{err}");
        assert!(err.contains(summary), "missing {summary:?} in:\n{err}");
        assert!(err.contains(&format!("on {at}")), "missing {at} in:\n{err}");
    }
}
