//! `aws_eks_addon` and `aws_eks_access_entry` through recorded HTTP exchanges.
//!
//! moto 5.2 does not serve the EKS add-on or access-entry APIs, so these tests replay HTTP
//! exchanges with aws-smithy's `StaticReplayClient` instead of talking to moto. The exchanges
//! were written down from the EKS API reference (request paths and JSON bodies of CreateAddon,
//! DescribeAddon, UpdateAddon, DeleteAddon, CreateAccessEntry, DescribeAccessEntry,
//! UpdateAccessEntry, DeleteAccessEntry, and the 404 ResourceNotFoundException error shape),
//! not captured from a live account. Each test checks the requests sakk sent (method, path,
//! body fields) and the state it built from the responses: create (with waiting and
//! clientRequestToken), clean re-plan, in-place update, replacement, drift, out-of-band
//! deletion, import and destroy.

use crate::support::*;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
use aws_smithy_types::body::SdkBody;
use engine::lang::value::Value;
use engine::provider::{Provider, ProviderInstance};
use providers::aws::config::{AwsConfig, Clients};
use std::sync::Arc;

const BASE: &str = "https://eks.us-east-1.amazonaws.com";

fn req(method: &str, path: &str) -> http::Request<SdkBody> {
    match http::Request::builder()
        .method(method)
        .uri(format!("{BASE}{path}"))
        .body(SdkBody::empty())
    {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    }
}

fn ok(body: &str) -> http::Response<SdkBody> {
    match http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(SdkBody::from(body.to_string()))
    {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    }
}

fn not_found(msg: &str) -> http::Response<SdkBody> {
    match http::Response::builder()
        .status(404)
        .header("content-type", "application/json")
        .header("x-amzn-errortype", "ResourceNotFoundException")
        .body(SdkBody::from(format!(r#"{{"message":"{msg}"}}"#)))
    {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    }
}

fn ev(method: &str, path: &str, resp: http::Response<SdkBody>) -> ReplayEvent {
    ReplayEvent::new(req(method, path), resp)
}

/// The replay client and the (method, path) of each recorded request.
struct Recorded {
    http: StaticReplayClient,
    expected: Vec<(String, String)>,
}

fn method_path(r: &aws_smithy_runtime_api::client::orchestrator::HttpRequest) -> (String, String) {
    (
        r.method().to_string(),
        r.uri()
            .split("amazonaws.com")
            .nth(1)
            .unwrap_or("")
            .to_string(),
    )
}

impl Recorded {
    /// The (method, path, body) of every request sent.
    fn sent(&self) -> Vec<(String, String, String)> {
        self.http
            .actual_requests()
            .map(|r| {
                let body = r
                    .body()
                    .bytes()
                    .map(|b| String::from_utf8_lossy(b).to_string())
                    .unwrap_or_default();
                let (m, p) = method_path(r);
                (m, p, body)
            })
            .collect()
    }
    /// Every recorded exchange was used, each request going to the recorded method and path.
    fn relaxed_requests_match_paths(&self) {
        let got: Vec<(String, String)> = self.sent().into_iter().map(|(m, p, _)| (m, p)).collect();
        assert_eq!(got, self.expected, "requests sent vs recorded");
    }
}

/// A provider instance whose EKS calls are answered by `events`, in order.
fn replay(events: Vec<ReplayEvent>) -> (Arc<dyn ProviderInstance>, Recorded) {
    let expected = events.iter().map(|e| method_path(e.request())).collect();
    let http = StaticReplayClient::new(events);
    let sdk = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKIDTEST",
            "not-a-secret",
            None,
            None,
            "test",
        )))
        .http_client(http.clone())
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let inst = providers::aws::Aws::new().instance(AwsConfig::default(), Clients::from_sdk(sdk));
    (
        Arc::new(inst),
        Recorded {
            http: http.clone(),
            expected,
        },
    )
}

fn schema(t: &str) -> engine::provider::Schema {
    providers::aws::Aws::new().resource_types()[t]
        .schema
        .clone()
}

fn addon_json(status: &str, version: &str, config: &str, team: &str) -> String {
    format!(
        r#"{{"addon":{{"addonName":"vpc-cni","clusterName":"ml","status":"{status}","addonVersion":"{version}","health":{{"issues":[]}},"addonArn":"arn:aws:eks:us-east-1:123456789012:addon/ml/vpc-cni/a1b2","createdAt":1.7E9,"modifiedAt":1.7E9,"serviceAccountRoleArn":"arn:aws:iam::123456789012:role/cni","tags":{{"team":"{team}"}},"configurationValues":{config}}}}}"#
    )
}

const ADDON: &str = "/clusters/ml/addons/vpc-cni";
const V1: &str = "v1.18.3-eksbuild.1";
const V2: &str = "v1.19.0-eksbuild.1";
const CV: &str = r#""{\"env\":{\"WARM_IP_TARGET\":\"2\"}}""#;

fn addon_cfg(version: &str, team: &str, name: &str) -> Value {
    obj(
        &schema("aws_eks_addon"),
        vec![
            ("cluster_name", s("ml")),
            ("addon_name", s(name)),
            ("addon_version", s(version)),
            (
                "service_account_role_arn",
                s("arn:aws:iam::123456789012:role/cni"),
            ),
            // Same JSON as AWS reports, in another layout: no drift.
            (
                "configuration_values",
                s("{ \"env\": { \"WARM_IP_TARGET\": \"2\" } }"),
            ),
            ("resolve_conflicts_on_create", s("OVERWRITE")),
            ("tags", map(&[("team", team)])),
        ],
    )
}

#[tokio::test]
async fn eks_addon_recorded_exchanges() {
    let (op, progress) = op("aws_eks_addon.cni");
    let ty = "aws_eks_addon";

    // Create: CreateAddon with the token, DescribeAddon until ACTIVE (progress reported), read.
    let (inst, http) = replay(vec![
        ev(
            "POST",
            "/clusters/ml/addons",
            ok(&addon_json("CREATING", V1, CV, "ml")),
        ),
        ev("GET", ADDON, ok(&addon_json("CREATING", V1, CV, "ml"))),
        ev("GET", ADDON, ok(&addon_json("ACTIVE", V1, CV, "ml"))),
        ev("GET", ADDON, ok(&addon_json("ACTIVE", V1, CV, "ml"))),
        // Refresh + clean re-plan.
        ev("GET", ADDON, ok(&addon_json("ACTIVE", V1, CV, "ml"))),
    ]);
    let cfg = addon_cfg(V1, "ml", "vpc-cni");
    let planned = inst
        .plan(engine::provider::PlanRequest {
            type_: ty,
            prior: None,
            config: &cfg,
        })
        .map(|p| p.planned)
        .unwrap_or_else(|e| panic!("{e}"));
    let state = inst
        .create(ty, &planned, &op)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attr(&state, "id"), "ml:vpc-cni");
    assert_eq!(
        attr(&state, "arn"),
        "arn:aws:eks:us-east-1:123456789012:addon/ml/vpc-cni/a1b2"
    );
    let req = http.sent();
    assert_eq!(
        (req[0].0.as_str(), req[0].1.as_str()),
        ("POST", "/clusters/ml/addons")
    );
    assert!(
        req[0].2.contains(&format!(
            "\"clientRequestToken\":\"{}\"",
            op.idempotency_token
        )),
        "{}",
        req[0].2
    );
    assert!(req[0].2.contains("\"resolveConflicts\":\"OVERWRITE\""));
    assert!(progress
        .lock()
        .map(|g| g.iter().any(|m| m.contains("ACTIVE")))
        .unwrap_or(false));
    let now = inst
        .read(ty, &state, &op)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("gone"));
    let p = inst
        .plan(engine::provider::PlanRequest {
            type_: ty,
            prior: Some(&now),
            config: &cfg,
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        diff(&now, &p.planned).is_empty(),
        "{:?}",
        diff(&now, &p.planned)
    );
    http.relaxed_requests_match_paths();

    // In-place update of the version: UpdateAddon, wait, read.
    let (inst, http) = replay(vec![
        ev(
            "POST",
            &format!("{ADDON}/update"),
            ok(r#"{"update":{"id":"u1","status":"InProgress","type":"VersionUpdate"}}"#),
        ),
        ev("GET", ADDON, ok(&addon_json("UPDATING", V1, CV, "ml"))),
        ev("GET", ADDON, ok(&addon_json("ACTIVE", V2, CV, "ml"))),
        ev("GET", ADDON, ok(&addon_json("ACTIVE", V2, CV, "ml"))),
    ]);
    let cfg2 = addon_cfg(V2, "ml", "vpc-cni");
    let p = inst
        .plan(engine::provider::PlanRequest {
            type_: ty,
            prior: Some(&now),
            config: &cfg2,
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(p.requires_replace.is_empty());
    let state = inst
        .update(ty, &now, &p.planned, &op)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attr(&state, "addon_version"), V2);
    let req = http.sent();
    assert!(
        req[0].2.contains(&format!("\"addonVersion\":\"{V2}\"")),
        "{}",
        req[0].2
    );
    http.relaxed_requests_match_paths();

    // Drift: a tag changed out of band shows as a change; then it is deleted out of band and
    // plans as a re-create; import by ID reads it; a new add-on name replaces it.
    let (inst, http) = replay(vec![
        ev(
            "GET",
            ADDON,
            ok(&addon_json("ACTIVE", V2, CV, "hand-edited")),
        ),
        ev(
            "GET",
            ADDON,
            not_found("No addon: vpc-cni found in cluster: ml"),
        ),
        ev("GET", ADDON, ok(&addon_json("ACTIVE", V2, CV, "ml"))),
    ]);
    let drifted = inst
        .read(ty, &state, &op)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("gone"));
    let p = inst
        .plan(engine::provider::PlanRequest {
            type_: ty,
            prior: Some(&drifted),
            config: &cfg2,
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!diff(&drifted, &p.planned).is_empty() && p.requires_replace.is_empty());
    assert!(inst
        .read(ty, &state, &op)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .is_none());
    let imported = inst
        .import(ty, "ml:vpc-cni", &op)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attr(&imported, "cluster_name"), "ml");
    assert_eq!(attr(&imported, "addon_name"), "vpc-cni");
    let p = inst
        .plan(engine::provider::PlanRequest {
            type_: ty,
            prior: Some(&state),
            config: &addon_cfg(V2, "ml", "coredns"),
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.requires_replace, vec!["addon_name".to_string()]);
    http.relaxed_requests_match_paths();

    // Destroy: DeleteAddon, wait until DescribeAddon says it is gone; deleting again is success.
    let (inst, http) = replay(vec![
        ev("DELETE", ADDON, ok(&addon_json("DELETING", V2, CV, "ml"))),
        ev("GET", ADDON, ok(&addon_json("DELETING", V2, CV, "ml"))),
        ev(
            "GET",
            ADDON,
            not_found("No addon: vpc-cni found in cluster: ml"),
        ),
        ev(
            "DELETE",
            ADDON,
            not_found("No addon: vpc-cni found in cluster: ml"),
        ),
    ]);
    inst.delete(ty, &state, &op)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    inst.delete(ty, &state, &op)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    http.relaxed_requests_match_paths();
}

const PRINCIPAL: &str = "arn:aws:iam::123456789012:role/platform-admin";
const ENTRY: &str =
    "/clusters/ml/access-entries/arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fplatform-admin";

fn entry_json(groups: &str, team: &str) -> String {
    format!(
        r#"{{"accessEntry":{{"clusterName":"ml","principalArn":"{PRINCIPAL}","kubernetesGroups":[{groups}],"accessEntryArn":"arn:aws:eks:us-east-1:123456789012:access-entry/ml/role/123456789012/platform-admin/c3d4","createdAt":1.7E9,"modifiedAt":1.7E9,"tags":{{"team":"{team}"}},"username":"arn:aws:sts::123456789012:assumed-role/platform-admin/{{{{SessionName}}}}","type":"STANDARD"}}}}"#
    )
}

fn entry_cfg(groups: &[&str], principal: &str) -> Value {
    obj(
        &schema("aws_eks_access_entry"),
        vec![
            ("cluster_name", s("ml")),
            ("principal_arn", s(principal)),
            ("kubernetes_groups", strs(groups)),
            ("tags", map(&[("team", "ml")])),
        ],
    )
}

#[tokio::test]
async fn eks_access_entry_recorded_exchanges() {
    let (op, _) = op("aws_eks_access_entry.admin");
    let ty = "aws_eks_access_entry";
    let (inst, http) = replay(vec![
        ev(
            "POST",
            "/clusters/ml/access-entries",
            ok(&entry_json(r#""platform-admins""#, "ml")),
        ),
        ev("GET", ENTRY, ok(&entry_json(r#""platform-admins""#, "ml"))),
        ev("GET", ENTRY, ok(&entry_json(r#""platform-admins""#, "ml"))),
    ]);
    let cfg = entry_cfg(&["platform-admins"], PRINCIPAL);
    let planned = inst
        .plan(engine::provider::PlanRequest {
            type_: ty,
            prior: None,
            config: &cfg,
        })
        .map(|p| p.planned)
        .unwrap_or_else(|e| panic!("{e}"));
    let state = inst
        .create(ty, &planned, &op)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attr(&state, "id"), format!("ml:{PRINCIPAL}"));
    let req = http.sent();
    assert!(req[0].2.contains(&format!(
        "\"clientRequestToken\":\"{}\"",
        op.idempotency_token
    )));
    assert!(
        req[0]
            .2
            .contains("\"kubernetesGroups\":[\"platform-admins\"]"),
        "{}",
        req[0].2
    );
    let now = inst
        .read(ty, &state, &op)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("gone"));
    let p = inst
        .plan(engine::provider::PlanRequest {
            type_: ty,
            prior: Some(&now),
            config: &cfg,
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        diff(&now, &p.planned).is_empty(),
        "{:?}",
        diff(&now, &p.planned)
    );
    http.relaxed_requests_match_paths();

    // Update the groups in place; drift; out-of-band deletion; import; replacement; destroy.
    let (inst, http) = replay(vec![
        ev(
            "POST",
            ENTRY,
            ok(&entry_json(r#""platform-admins","viewers""#, "ml")),
        ),
        ev(
            "GET",
            ENTRY,
            ok(&entry_json(r#""platform-admins","viewers""#, "ml")),
        ),
        ev("GET", ENTRY, ok(&entry_json(r#""system:masters""#, "ml"))),
        ev(
            "GET",
            ENTRY,
            not_found("The specified access entry resource is not found"),
        ),
        ev(
            "GET",
            ENTRY,
            ok(&entry_json(r#""platform-admins","viewers""#, "ml")),
        ),
        ev("DELETE", ENTRY, ok("{}")),
        ev(
            "DELETE",
            ENTRY,
            not_found("The specified access entry resource is not found"),
        ),
    ]);
    let cfg2 = entry_cfg(&["platform-admins", "viewers"], PRINCIPAL);
    let p = inst
        .plan(engine::provider::PlanRequest {
            type_: ty,
            prior: Some(&now),
            config: &cfg2,
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(p.requires_replace.is_empty());
    let state = inst
        .update(ty, &now, &p.planned, &op)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(http.sent()[0].2.contains("viewers"));
    let drifted = inst
        .read(ty, &state, &op)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("gone"));
    let p = inst
        .plan(engine::provider::PlanRequest {
            type_: ty,
            prior: Some(&drifted),
            config: &cfg2,
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!diff(&drifted, &p.planned).is_empty());
    assert!(inst
        .read(ty, &state, &op)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .is_none());
    let imported = inst
        .import(ty, &format!("ml:{PRINCIPAL}"), &op)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attr(&imported, "principal_arn"), PRINCIPAL);
    let p = inst
        .plan(engine::provider::PlanRequest {
            type_: ty,
            prior: Some(&state),
            config: &entry_cfg(&["viewers"], "arn:aws:iam::123456789012:role/other"),
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.requires_replace, vec!["principal_arn".to_string()]);
    inst.delete(ty, &state, &op)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    inst.delete(ty, &state, &op)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    http.relaxed_requests_match_paths();
}
