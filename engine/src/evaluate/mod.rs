//! Evaluation of a whole configuration: input variables, module instances (count/for_each),
//! locals and outputs, walked in dependency order.

pub mod apply;
pub mod inputs;
pub mod resource;
pub mod resources;
pub mod scope;
pub mod walk;
