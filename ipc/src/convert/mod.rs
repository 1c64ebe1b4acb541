//! Conversions between the `interfaces` value types and their capnp structs, one place per
//! interface (fuzzed through [`crate::fuzz`]).

pub mod mining;
pub mod node;
