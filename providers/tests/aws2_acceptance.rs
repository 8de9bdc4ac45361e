//! The AWS provider's EC2 networking, EKS and Cognito resources: acceptance tests.
//!
//! One test binary (every test binary links the AWS SDKs; one keeps the build small):
//! - `ec2`, `eks`, `cognito`: each resource type against moto, every step checked by boto3;
//! - `eks_replay`: EKS add-ons and access entries, which moto does not serve, through recorded
//!   HTTP exchanges (aws-smithy's StaticReplayClient);
//! - `sequence`: the platform sequence (VPC -> subnets -> IAM roles -> EKS cluster -> node groups,
//!   Route53 zone with records, Cognito pool with clients, groups and users): apply, clean
//!   re-plan, destroy, at the provider level.
//!
//! moto: `eval "$(scripts/moto ensure)"`. Without AWS_ENDPOINT_URL the moto tests skip, except
//! under CI=true, where they fail.

#[path = "aws2/support.rs"]
mod support;

#[path = "aws2/cognito.rs"]
mod cognito;
#[path = "aws2/ec2.rs"]
mod ec2;
#[path = "aws2/eks.rs"]
mod eks;
#[path = "aws2/eks_replay.rs"]
mod eks_replay;
#[path = "aws2/sequence.rs"]
mod sequence;
