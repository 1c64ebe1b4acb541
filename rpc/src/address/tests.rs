//! Core's `rpc_invalid_address_message.py` vectors (regtest) and `DescribeAddress` shapes.

use super::*;
use common::Chain;

fn error(address: &str) -> (String, Vec<usize>) {
    let e = decode_destination(address, Chain::Regtest).expect_err(address);
    (e.message, e.locations)
}

/// Core's invalid addresses with the error and error locations it reports.
const INVALID: &[(&str, &str, &[usize])] = &[
    (
        "bcrt1s0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav25430mtr",
        "Invalid Bech32 address program size (41 bytes)",
        &[],
    ),
    (
        "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx",
        "Invalid or unsupported Segwit (Bech32) or Base58 encoding.",
        &[],
    ),
    (
        "bcrt1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqdmchcc",
        "Version 1+ witness address must use Bech32m checksum",
        &[],
    ),
    (
        "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7k35mrzd",
        "Version 0 witness address must use Bech32 checksum",
        &[],
    ),
    (
        "bcrt130xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqynjegk",
        "Invalid Bech32 address witness version",
        &[],
    ),
    (
        "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kqqq5k3my",
        "Invalid Bech32 v0 address program size (21 bytes), per BIP141",
        &[],
    ),
    (
        "bcrt1q049edschfnwystcqnsvyfpj23mpsg3jcedq9xv",
        "Invalid Bech32 checksum",
        &[9],
    ),
    (
        "bcrt1qax9suht3qv95sw33xavx8crpxduefdrsvgsklu",
        "Invalid Bech32 checksum",
        &[22, 43],
    ),
    (
        "BCRT1QPLMTZKC2XHARPPZDLNPAQL78RSHJ68U32RAH7R",
        "Invalid Bech32 checksum",
        &[38],
    ),
    (
        "bcrtq049ldschfnwystcqnsvyfpj23mpsg3jcedq9xv",
        "Missing separator",
        &[],
    ),
    (
        "bcrt1q04oldschfnwystcqnsvyfpj23mpsg3jcedq9xv",
        "Invalid Base 32 character",
        &[8],
    ),
    (
        "bcrt1qdg3myrgvzw7ml8q0ejxhlkyxn7vl9r56yzkfgvzclrf4hkpx9yfqhpsuks",
        "Invalid Bech32 checksum",
        &[19, 30],
    ),
    (
        "bcrt1ptmp74ayg7p24uslctssvjm06q5phz4yrxucgnv",
        "Invalid Bech32 checksum",
        &[5],
    ),
    (
        "17VZNX1SN5NtKa8UQFxwQbFeFc3iqRYhem",
        "Invalid or unsupported Base58-encoded address.",
        &[],
    ),
    (
        "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJJfn",
        "Invalid checksum or length of Base58 address (P2PKH or P2SH)",
        &[],
    ),
    (
        "2VKf7XKMrp4bVNVmuRbyCewkP8FhGLP2E54LHDPakr9Sq5mtU2",
        "Invalid checksum or length of Base58 address (P2PKH or P2SH)",
        &[],
    ),
    (
        "asfah14i8fajz0123f",
        "Invalid or unsupported Segwit (Bech32) or Base58 encoding.",
        &[],
    ),
    (
        "1q049ldschfnwystcqnsvyfpj23mpsg3jcedq9xv",
        "Invalid or unsupported Segwit (Bech32) or Base58 encoding.",
        &[],
    ),
];

#[test]
fn invalid_addresses_get_cores_messages_and_locations() {
    for (address, message, locations) in INVALID {
        assert_eq!(
            error(address),
            (message.to_string(), locations.to_vec()),
            "{address}"
        );
    }
    let long = "bcrt1q049edschfnwystcqnsvyfpj23mpsg3jcedq9xv049edschfnwystcqnsvyfpj23mpsg3jcedq9xv049edschfnwystcqnsvyfpj23m";
    assert_eq!(
        error(long),
        ("Bech32 string too long".into(), (90..108).collect())
    );
}

#[test]
fn valid_addresses_decode_and_describe_like_core() {
    for address in [
        "bcrt1qtmp74ayg7p24uslctssvjm06q5phz4yrxucgnv",
        "bcrt1p424qxxyd0r",
        "bcrt1qdg3myrgvzw7ml9q0ejxhlkyxm7vl9r56yzkfgvzclrf4hkpx9yfqhpsuks",
        "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",
    ] {
        let dest = decode_destination(address, Chain::Regtest).expect(address);
        assert_eq!(dest.encode(Chain::Regtest), address);
    }
    let capitals = decode_destination(
        "BCRT1QPLMTZKC2XHARPPZDLNPAQL78RSHJ68U33RAH7R",
        Chain::Regtest,
    )
    .expect("capitals");
    assert_eq!(
        capitals.encode(Chain::Regtest),
        "bcrt1qplmtzkc2xharppzdlnpaql78rshj68u33rah7r"
    );
    let unknown = decode_destination("bcrt1p424qxxyd0r", Chain::Regtest).expect("v1 2 bytes");
    assert!(!unknown.describe().contains_key("isscript"));
    let wpkh = decode_destination(
        "bcrt1qtmp74ayg7p24uslctssvjm06q5phz4yrxucgnv",
        Chain::Regtest,
    )
    .expect("wpkh");
    let described = wpkh.describe();
    let keys: Vec<&str> = described.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "isscript",
            "iswitness",
            "witness_version",
            "witness_program"
        ]
    );
    assert_eq!(
        (
            described["isscript"].clone(),
            described["witness_version"].clone()
        ),
        (json!(false), json!(0))
    );
    assert_eq!(
        described["witness_program"].as_str().map(str::len),
        Some(40)
    );
    assert_eq!(wpkh.script_pubkey().len(), 22);
    let anchor = Destination::Witness {
        version: 1,
        program: vec![0x4e, 0x73],
    };
    assert_eq!(
        Value::Object(anchor.describe()),
        json!({"isscript": true, "iswitness": true})
    );
    assert_eq!(anchor.encode(Chain::Regtest), "bcrt1pfeesnyr2tx");
    // Another chain's addresses.
    assert_eq!(
        error("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4").0,
        "Invalid or unsupported Segwit (Bech32) or Base58 encoding."
    );
    let e = decode_destination("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", Chain::Main)
        .expect_err("main");
    assert_eq!(
        e.message,
        "Invalid or unsupported prefix for Segwit (Bech32) address (expected bc, got bcrt)."
    );
}
