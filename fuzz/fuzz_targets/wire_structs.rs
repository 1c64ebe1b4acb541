//! Arbitrary bytes read as every interface struct (node and mining): must return an error,
//! never panic or hang.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = ipc::fuzz::decode_structs(data);
});
