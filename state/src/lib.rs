//! sakk's state: the model (Terraform's format version 4), the backends that store it (local
//! files, S3), their locks (OS file lock, DynamoDB item, S3 lock object), the backend
//! configuration, and the write-back writer the apply engine feeds.

pub mod backend;
pub mod config;
pub mod error;
pub mod lock;
pub mod model;
pub mod writer;

pub use backend::Backend;
pub use error::{Error, Result};
pub use lock::LockInfo;
pub use model::State;
