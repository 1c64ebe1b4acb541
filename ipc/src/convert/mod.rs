//! Conversions between the `interfaces` value types and their capnp structs, one place per
//! interface (fuzzed through [`crate::fuzz`]).

pub mod chain;
pub mod mining;
pub mod node;
pub mod wallet;

/// Writes `value` into a fresh message and reads it back.
#[cfg(test)]
pub(crate) fn round_trip<T: crate::proxy::WireStruct>(value: &T) -> T {
    let mut message = capnp::message::Builder::new_default();
    value.write(message.init_root());
    let reader = message.get_root_as_reader().expect("root");
    T::read(reader).expect("read")
}
