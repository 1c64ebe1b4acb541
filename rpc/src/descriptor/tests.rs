//! Vectors from Core's `descriptor_tests.cpp` (mainnet keys) and `rpc_generate.py` (regtest).

use bitcoin::{Address, Network, ScriptBuf};
use common::Chain;

use super::*;
use crate::hex::hex;

const WIF: &str = "L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1";
const WIF_UNCOMPRESSED: &str = "5KYZdUEo39z3FPrtuX2QbbwGnNP5zTd7yyr2SC1j299sBCnWjss";
const PUB: &str = "03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd";
const XPRV: &str = "xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U";
const XPUB: &str = "xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB";
const TPUB: &str = "tpubD6NzVbkrYhZ4XgiXtGrdW5XDAPFCL9h7we1vwNCpn8tGbBcgfVYjXyhWo4E1xkh56hjod1RhGjxbaTLV3X4FyWuejifB9jusQ46QzG87VKp";

fn script(desc: &str, chain: Chain) -> String {
    hex(single_script(desc, chain).expect(desc).as_bytes())
}

fn parse_error(desc: &str) -> String {
    match single_script(desc, Chain::Main) {
        Err(DescriptorError::Parse(e)) => e,
        other => panic!("{desc}: {other:?}"),
    }
}

#[test]
fn expands_like_core() {
    let cases = [
        (format!("combo({WIF})"), "00149a1c78a507689f6f54b847ad1cef1e614ee23f1e"),
        (format!("combo({WIF_UNCOMPRESSED})"), "76a914b5bd079c4d57cc7fc28ecf8213a6b791625b818388ac"),
        (format!("sh(wpkh({WIF}))"), "a91484ab21b1b2fd065d4504ff693d832434b6108d7b87"),
        (format!("pkh({PUB})"), "76a9149a1c78a507689f6f54b847ad1cef1e614ee23f1e88ac"),
        (format!("pk({PUB})"), "2103a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bdac"),
        (format!("tr({WIF})"), "512077aab6e066f8a7419c5ab714c12c67d25007ed55a43cadcacb4d7a970a093f11"),
        (format!("pkh({XPRV}/2147483647'/0)"), "76a914ebdc90806a9c4356c1c88e42216611e1cb4c1c1788ac"),
        (format!("sortedmulti(1,{WIF_UNCOMPRESSED},{WIF})"), "512103a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd4104a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235a0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea23552ae"),
        ("wsh(multi(1,xprvA2JDeKCSNNZky6uBCviVfJSKyQ1mDYahRjijr5idH2WwLsEd4Hsb2Tyh8RfQMuPh7f7RtyzTtdrbdqqsunu5Mm3wDvUAKRHSC34sJ7in334/0,L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1))".into(), "0020cb155486048b23a6da976d4c6fe071a2dbc8a7b57aaf225b8955f2e2a27b5f00"),
        ("raw(6a)".into(), "6a"),
        ("addr(bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4)".into(), "0014751e76e8199196d454941c45d1b3a323f1433bd6"),
    ];
    for (desc, expected) in cases {
        assert_eq!(script(&desc, Chain::Main), expected, "{desc}");
    }
    // With a checksum (Core's `descsum_create` of the same text).
    let plain = format!("pkh({PUB})");
    let with_sum = format!("{plain}#{}", checksum(&plain).expect("checksum"));
    assert_eq!(script(&with_sum, Chain::Main), script(&plain, Chain::Main));
    // rpc_generate.py: combo() on regtest pays P2WPKH, or P2PKH for an uncompressed key.
    let regtest = |d: &str| {
        let s = single_script(d, Chain::Regtest).expect(d);
        Address::from_script(&s, Network::Regtest)
            .expect("address")
            .to_string()
    };
    assert_eq!(
        regtest("combo(0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798)"),
        "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
    );
    assert_eq!(regtest("combo(0408ef68c46d20596cc3f6ddf7c8794f71913add807f1dc55949fa805d764d191c0b7ce6894c126fce0babc6663042f3dde9b0cf76467ea315514e5a6731149c67)"), "mkc9STceoCcjoXEXe6cm66iJbmjM6zR9B2");
}

#[test]
fn refuses_like_core() {
    let ranged = format!("pkh({TPUB}/0/*)");
    assert_eq!(
        single_script(&ranged, Chain::Regtest),
        Err(DescriptorError::Ranged)
    );
    let hardened = format!("pkh({TPUB}/0'/0)");
    assert_eq!(
        single_script(&hardened, Chain::Regtest),
        Err(DescriptorError::NoPrivateKeys)
    );
    assert_eq!(
        single_script(&format!("pkh({XPUB}/2147483647'/0)"), Chain::Main),
        Err(DescriptorError::NoPrivateKeys)
    );
    let multipath = format!("wpkh({XPUB}/<0;1>)");
    assert_eq!(
        single_script(&multipath, Chain::Main),
        Err(DescriptorError::Multipath)
    );
    let cases = [
        (format!("sh(wpkh({}))", &PUB[..64]), "wpkh(): Pubkey '03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5' is invalid"),
        (format!("pkh(deadbeef/1/2h/3/4h]{PUB})"), "pkh(): Key origin start '[ character expected but not found, got 'd' instead"),
        (format!("pkh([deadbeef]/1/2'/3/4']{PUB})"), "pkh(): Multiple ']' characters found for a single pubkey"),
        (format!("wpkh({WIF_UNCOMPRESSED})"), "wpkh(): Uncompressed keys are not allowed"),
        (format!("wsh(pk({WIF_UNCOMPRESSED}))"), "pk(): Uncompressed keys are not allowed"),
        ("pk(0623542d61708e3fc48ba78fbe8fcc983ba94a520bc33f82b8e45e51dbc47af2726bcf181925eee1bdd868b109314f3ea92a6fc23d6b66057d3acfba04d6b08b58)".into(), "pk(): Hybrid public keys are not allowed"),
        (format!("combo([012345678]{XPUB})"), "combo(): Fingerprint is not 4 bytes (9 characters instead of 8 characters)"),
        (format!("pkh({XPUB}/2147483648)"), "pkh(): Key path value 2147483648 is out of range"),
        (format!("pkh({XPUB}/1aa)"), "pkh(): Key path value '1aa' is not a valid uint32"),
        (format!("pkh({XPUB}/+1)"), "pkh(): Key path value '+1' is not a valid uint32"),
        (format!("pkh({XPUB}/<0;1>/<2;3>)"), "pkh(): Multiple multipath key path specifiers found"),
        (format!("pkh([deadbeef/<0;1>]{XPUB}/0)"), "pkh(): Key path value '<0;1>' specifies multipath in a section where multipath is not allowed"),
        (format!("wpkh({XPUB}/<0>/*)"), "wpkh(): Multipath key path specifiers must have at least two items"),
        (format!("wpkh({XPUB}/<1;1>/*)"), "wpkh(): Duplicated key path value 1 in multipath specifier"),
        ("multi(0)()".into(), "Multi: expected ',', got ')'"),
        ("multi(123)".into(), "Cannot have 0 keys in multisig; must have between 1 and 20 keys, inclusive"),
        (format!("sh({PUB})"), "A function is needed within P2SH"),
        (format!("sh(combo({PUB}))"), "Can only have combo() at top level"),
        (format!("wsh({PUB})"), "A function is needed within P2WSH"),
        (format!("wsh(wpkh({PUB}))"), "Can only have wpkh() at top level or inside sh()"),
        (format!("wsh(sh(pk({PUB})))"), "Can only have sh() at top level"),
        (format!("wsh(wsh(pk({PUB})))"), "Can only have wsh() at top level or inside sh()"),
        (format!("multi(1, {WIF},{WIF_UNCOMPRESSED})"), &format!("Multi: Key ' {WIF}' is invalid due to whitespace")),
        ("addr(asdf)".into(), "Address is not valid"),
        ("raw(asdf)".into(), "Raw script is not hex"),
        ("raw(Ü)#00000000".into(), "Invalid characters in payload"),
        ("raw(00)#0000000".into(), "Expected 8 character checksum, not 7 characters"),
        ("raw(00)#a#b".into(), "Multiple '#' symbols"),
        ("".into(), "'' is not a valid descriptor function"),
        ("1234".into(), "'1234' is not a valid descriptor function"),
        ("unknown(00)".into(), "'unknown(00)' is not a valid descriptor function"),
    ];
    for (desc, expected) in cases {
        assert_eq!(parse_error(&desc), expected, "{desc}");
    }
    let wrong = parse_error("raw(00)#qqqqqqqq");
    assert!(
        wrong.starts_with("Provided checksum 'qqqqqqqq' does not match computed checksum '"),
        "{wrong}"
    );
    // Text after the expression fails without a message, as in Core.
    assert_eq!(parse_error("raw(00),raw(01)"), "");
}

#[test]
fn infers_like_core() {
    let infer_hex = |h: &str| {
        infer(
            &ScriptBuf::from_bytes(crate::hex::parse_hex(h).expect("hex")),
            Network::Regtest,
        )
    };
    let p2wpkh = infer_hex("0014751e76e8199196d454941c45d1b3a323f1433bd6");
    assert_eq!(
        p2wpkh,
        format!(
            "addr(bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080)#{}",
            checksum("addr(bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080)").expect("sum")
        )
    );
    assert!(infer_hex(&format!("21{PUB}ac")).starts_with(&format!("pk({PUB})#")));
    assert!(infer_hex("6a0401020304").starts_with("raw(6a0401020304)#"));
    let tr = infer_hex("512077aab6e066f8a7419c5ab714c12c67d25007ed55a43cadcacb4d7a970a093f11");
    assert!(
        tr.starts_with("rawtr(77aab6e066f8a7419c5ab714c12c67d25007ed55a43cadcacb4d7a970a093f11)#"),
        "{tr}"
    );
    let multi = infer_hex(&format!("5121{PUB}51ae"));
    assert!(multi.starts_with(&format!("multi(1,{PUB})#")), "{multi}");
    assert!(infer(&ScriptBuf::new(), Network::Regtest).starts_with("raw()#"));
    // Core's checksum vector (descriptor_tests.cpp).
    let desc = "sh(multi(2,[00000000/111'/222]xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL,xpub68NZiKmJWnxxS6aaHmn81bvJeTESw724CRDs6HbuccFQN9Ku14VQrADWgqbhhTHBaohPX4CjNLf9fq9MYo6oDaPPLPxSb7gwQN3ih19Zm4Y/0))";
    assert_eq!(checksum(desc).as_deref(), Some("tjg09x5t"));
    assert!(single_script(&format!("{desc}#tjg09x5t"), Chain::Main).is_ok());
}
