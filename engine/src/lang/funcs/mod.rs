//! Functions.

pub mod collection;
pub mod numeric;
pub mod string;
pub mod typeconv;
