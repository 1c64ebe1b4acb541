//! Deterministic garbage against a live server: each bad stream closes only its own
//! connection, and the message reader never panics (the cargo-fuzz target in `fuzz/` does
//! the same with coverage guidance).

mod common;

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::sync::Arc;

use ipc::interfaces::test_suite::{LocalTestInit, TestInit, TestInitServer};

/// xorshift64*: reproducible pseudo-random bytes without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn decode_frame_rejects_random_input_without_panicking() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for i in 0..20_000 {
        let len = (rng.next() % 256) as usize;
        let mut data = rng.bytes(len);
        if i % 2 == 0 && data.len() >= 8 {
            // Plausible header: one segment of a small size, so the body gets parsed.
            data[..4].copy_from_slice(&0u32.to_le_bytes());
            let words = ((data.len() - 8) / 8) as u32;
            data[4..8].copy_from_slice(&words.to_le_bytes());
        }
        let _ = ipc::fuzz::decode_frame(&data);
    }
}

#[test]
fn random_streams_close_only_their_own_connection() {
    let pair = common::pair();
    let suite = pair.client.make_suite().expect("make_suite");
    let mut rng = Rng(42);
    for _ in 0..200 {
        let (ours, theirs) = UnixStream::pair().expect("socketpair");
        let init: Arc<dyn TestInit> = Arc::new(LocalTestInit);
        let conn =
            ipc::serve_stream(theirs, move |c| TestInitServer::bootstrap(init, c)).expect("serve");
        let len = 8 + (rng.next() % 200) as usize;
        let mut data = rng.bytes(len);
        data[..4].copy_from_slice(&0u32.to_le_bytes());
        let words = ((len - 8) / 8) as u32;
        data[4..8].copy_from_slice(&words.to_le_bytes());
        let mut ours = ours;
        let _ = ours.write_all(&data);
        drop(ours);
        // Whatever the bytes did, the connection ends and the healthy client is unaffected.
        assert!(conn
            .wait_closed_timeout(std::time::Duration::from_secs(5))
            .is_some());
        assert_eq!(suite.record(1).expect("healthy client").last(), Some(&1));
    }
}
