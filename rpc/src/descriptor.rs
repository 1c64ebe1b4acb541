//! Output script descriptors, the part of Bitcoin Core's `script/descriptor.cpp` the node's RPCs
//! need without a wallet: parsing (with Core's error texts) the descriptors a regtest user mines
//! to — `raw()`, `addr()`, `pk()`, `pkh()`, `wpkh()`, `combo()`, `multi()`, `sortedmulti()`,
//! `sh()`, `wsh()`, key-path-only `tr()` and `rawtr()`, keys as hex, WIF, or xpub/xprv with
//! origins and paths — expanding them to scripts, checksums, and inferring a script's
//! descriptor as `scriptPubKey.desc` shows it. Miniscript and `tr()` script trees are not
//! supported (Core accepts them).

mod infer;
mod key;

use bitcoin::key::TweakedPublicKey;
use bitcoin::script::Builder;
use bitcoin::secp256k1::{self, Secp256k1, XOnlyPublicKey};
use bitcoin::ScriptBuf;

pub use infer::infer;
use key::{KeyExpr, MAX_PUBKEYS_PER_MULTISIG};

use crate::address::decode_destination;

/// Why a descriptor gives no single script (Core's `getScriptFromDescriptor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DescriptorError {
    /// It does not parse; Core's message (empty when text is left over, as in Core).
    Parse(String),
    /// It has a multipath key (`<0;1>`).
    Multipath,
    /// It has a ranged key (`/*`).
    Ranged,
    /// A hardened step needs a private key that was not given.
    NoPrivateKeys,
}

/// Where a script expression sits (Core's `ParseScriptContext`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ctx {
    Top,
    P2sh,
    P2wpkh,
    P2wsh,
    P2tr,
}

#[derive(Debug, Clone)]
enum Node {
    Script(ScriptBuf),
    Pk(KeyExpr),
    Pkh(KeyExpr),
    Wpkh(KeyExpr),
    Combo(KeyExpr),
    Multi(u32, Vec<KeyExpr>, bool),
    Sh(Box<Node>),
    Wsh(Box<Node>),
    Tr(KeyExpr),
    RawTr(KeyExpr),
}

/// Core's `Expr`: the text up to a `,` or `)` outside brackets, consumed from `sp`.
fn expr<'a>(sp: &mut &'a str) -> &'a str {
    let mut level = 0usize;
    let end = sp
        .char_indices()
        .find(|&(_, c)| match c {
            '(' | '{' => {
                level += 1;
                false
            }
            ')' | '}' if level > 0 => {
                level -= 1;
                false
            }
            ')' | '}' | ',' => level == 0,
            _ => false,
        })
        .map_or(sp.len(), |(i, _)| i);
    let (head, tail) = sp.split_at(end);
    *sp = tail;
    head
}

/// Core's `Func`: the arguments when `e` is `name(...)`.
fn func<'a>(name: &str, e: &'a str) -> Option<&'a str> {
    e.strip_prefix(name)?.strip_prefix('(')?.strip_suffix(')')
}

fn key(text: &str, ctx: Ctx, chain: common::Chain, what: &str) -> Result<KeyExpr, String> {
    KeyExpr::parse(text, ctx, chain).map_err(|e| format!("{what}: {e}"))
}

fn only_top(ctx: Ctx, allowed: &[Ctx], message: &str) -> Result<(), String> {
    if allowed.contains(&ctx) {
        Ok(())
    } else {
        Err(message.to_string())
    }
}

/// Core's `ParseScript` for the supported functions.
fn parse_script(sp: &mut &str, ctx: Ctx, chain: common::Chain) -> Result<Node, String> {
    use Ctx::{P2sh, P2wsh, Top};
    let e = expr(sp);
    if let Some(a) = func("pk", e) {
        return key(a, ctx, chain, "pk()").map(Node::Pk);
    }
    if let Some(a) = func("pkh", e) {
        return key(a, ctx, chain, "pkh()").map(Node::Pkh);
    }
    if let Some(a) = func("combo", e) {
        only_top(ctx, &[Top], "Can only have combo() at top level")?;
        return key(a, ctx, chain, "combo()").map(Node::Combo);
    }
    for (name, sorted) in [("multi", false), ("sortedmulti", true)] {
        if let Some(a) = func(name, e) {
            return multi(a, ctx, chain, sorted);
        }
    }
    if func("multi_a", e).or(func("sortedmulti_a", e)).is_some() {
        return Err("Can only have multi_a/sortedmulti_a inside tr()".into());
    }
    if let Some(a) = func("wpkh", e) {
        only_top(
            ctx,
            &[Top, P2sh],
            "Can only have wpkh() at top level or inside sh()",
        )?;
        return key(a, Ctx::P2wpkh, chain, "wpkh()").map(Node::Wpkh);
    }
    if let Some(mut a) = func("sh", e) {
        only_top(ctx, &[Top], "Can only have sh() at top level")?;
        let inner = parse_script(&mut a, P2sh, chain)?;
        return if a.is_empty() {
            Ok(Node::Sh(Box::new(inner)))
        } else {
            Err(String::new())
        };
    }
    if let Some(mut a) = func("wsh", e) {
        only_top(
            ctx,
            &[Top, P2sh],
            "Can only have wsh() at top level or inside sh()",
        )?;
        let inner = parse_script(&mut a, P2wsh, chain)?;
        return if a.is_empty() {
            Ok(Node::Wsh(Box::new(inner)))
        } else {
            Err(String::new())
        };
    }
    if let Some(a) = func("addr", e) {
        only_top(ctx, &[Top], "Can only have addr() at top level")?;
        let dest = decode_destination(a, chain).map_err(|_| "Address is not valid".to_string())?;
        return Ok(Node::Script(dest.script_pubkey()));
    }
    if let Some(mut a) = func("tr", e) {
        only_top(ctx, &[Top], "Can only have tr at top level")?;
        let internal = key(expr(&mut a), Ctx::P2tr, chain, "tr()")?;
        if !a.is_empty() {
            return Err("tr(): script trees are not supported by this node".into());
        }
        return Ok(Node::Tr(internal));
    }
    if let Some(mut a) = func("rawtr", e) {
        only_top(ctx, &[Top], "Can only have rawtr at top level")?;
        let output = expr(&mut a);
        if !a.is_empty() {
            return Err("rawtr(): only one key expected.".into());
        }
        return key(output, Ctx::P2tr, chain, "rawtr()").map(Node::RawTr);
    }
    if let Some(a) = func("raw", e) {
        only_top(ctx, &[Top], "Can only have raw() at top level")?;
        let bytes = crate::hex::parse_hex(a).ok_or("Raw script is not hex")?;
        return Ok(Node::Script(ScriptBuf::from_bytes(bytes)));
    }
    Err(match ctx {
        P2sh => "A function is needed within P2SH".into(),
        P2wsh => "A function is needed within P2WSH".into(),
        _ => format!("'{e}' is not a valid descriptor function"),
    })
}

fn multi(args: &str, ctx: Ctx, chain: common::Chain, sorted: bool) -> Result<Node, String> {
    let mut sp = args;
    let text = expr(&mut sp);
    let threshold = Some(text)
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|t| t.parse::<u32>().ok())
        .ok_or_else(|| format!("Multi threshold '{text}' is not valid"))?;
    let (mut keys, mut script_size) = (Vec::new(), 0);
    while let Some(c) = sp.chars().next() {
        sp = sp
            .strip_prefix(',')
            .ok_or_else(|| format!("Multi: expected ',', got '{c}'"))?;
        let k = key(expr(&mut sp), ctx, chain, "Multi")?;
        script_size += k.size() + 1;
        keys.push(k);
    }
    let n = keys.len();
    if n == 0 || n > MAX_PUBKEYS_PER_MULTISIG {
        return Err(format!("Cannot have {n} keys in multisig; must have between 1 and {MAX_PUBKEYS_PER_MULTISIG} keys, inclusive"));
    }
    if threshold < 1 {
        return Err(format!(
            "Multisig threshold cannot be {threshold}, must be at least 1"
        ));
    }
    if threshold as usize > n {
        return Err(format!("Multisig threshold cannot be larger than the number of keys; threshold is {threshold} but only {n} keys specified"));
    }
    if ctx == Ctx::Top && n > 3 {
        return Err(format!(
            "Cannot have {n} pubkeys in bare multisig; only at most 3 pubkeys"
        ));
    }
    if ctx == Ctx::P2sh && script_size + 3 > 520 {
        return Err(format!(
            "P2SH script is too large, {} bytes is larger than 520 bytes",
            script_size + 3
        ));
    }
    let most = keys.iter().map(KeyExpr::paths).max().unwrap_or(1);
    if keys.iter().any(|k| k.paths() != 1 && k.paths() != most) {
        return Err("multi(): Multipath derivation paths have mismatched lengths".into());
    }
    Ok(Node::Multi(threshold, keys, sorted))
}

impl Node {
    fn keys(&self) -> Vec<&KeyExpr> {
        match self {
            Node::Script(_) => Vec::new(),
            Node::Pk(k) | Node::Pkh(k) | Node::Wpkh(k) | Node::Combo(k) => vec![k],
            Node::Tr(k) | Node::RawTr(k) => vec![k],
            Node::Multi(_, keys, _) => keys.iter().collect(),
            Node::Sh(inner) | Node::Wsh(inner) => inner.keys(),
        }
    }

    /// The scripts it stands for (several for `combo()`); `None` when a key needs a private
    /// key that was not given.
    fn scripts(&self, secp: &Secp256k1<secp256k1::All>) -> Option<Vec<ScriptBuf>> {
        let one = |s: ScriptBuf| Some(vec![s]);
        let inner_script = |n: &Node| n.scripts(secp)?.into_iter().next();
        match self {
            Node::Script(s) => one(s.clone()),
            Node::Pk(k) => one(ScriptBuf::new_p2pk(&k.derive(secp)?)),
            Node::Pkh(k) => one(ScriptBuf::new_p2pkh(&k.derive(secp)?.pubkey_hash())),
            Node::Wpkh(k) => one(ScriptBuf::new_p2wpkh(&k.derive(secp)?.wpubkey_hash().ok()?)),
            Node::Combo(k) => {
                let pk = k.derive(secp)?;
                let mut scripts = vec![
                    ScriptBuf::new_p2pk(&pk),
                    ScriptBuf::new_p2pkh(&pk.pubkey_hash()),
                ];
                if let Ok(hash) = pk.wpubkey_hash() {
                    let wpkh = ScriptBuf::new_p2wpkh(&hash);
                    scripts.push(ScriptBuf::new_p2sh(&wpkh.script_hash()));
                    scripts.insert(2, wpkh);
                }
                Some(scripts)
            }
            Node::Multi(threshold, keys, sorted) => {
                let mut pks = keys
                    .iter()
                    .map(|k| k.derive(secp))
                    .collect::<Option<Vec<_>>>()?;
                if *sorted {
                    pks.sort_by_key(|k| k.to_bytes());
                }
                let builder = pks
                    .iter()
                    .fold(Builder::new().push_int(i64::from(*threshold)), |b, k| {
                        b.push_key(k)
                    });
                let n = i64::try_from(pks.len()).ok()?;
                one(builder
                    .push_int(n)
                    .push_opcode(bitcoin::opcodes::all::OP_CHECKMULTISIG)
                    .into_script())
            }
            Node::Sh(inner) => one(ScriptBuf::new_p2sh(&inner_script(inner)?.script_hash())),
            Node::Wsh(inner) => one(ScriptBuf::new_p2wsh(&inner_script(inner)?.wscript_hash())),
            Node::Tr(k) => one(ScriptBuf::new_p2tr(
                secp,
                k.derive(secp)?.inner.into(),
                None,
            )),
            Node::RawTr(k) => {
                let key = XOnlyPublicKey::from(k.derive(secp)?.inner);
                one(ScriptBuf::new_p2tr_tweaked(
                    TweakedPublicKey::dangerous_assume_tweaked(key),
                ))
            }
        }
    }
}

/// Core's `getScriptFromDescriptor`: parses `text` (checksum optional), refuses multipath and
/// ranged descriptors, and picks one script (for `combo()`, P2WPKH, or P2PKH when the key is
/// uncompressed).
pub fn single_script(text: &str, chain: common::Chain) -> Result<ScriptBuf, DescriptorError> {
    let mut sp = check_checksum(text).map_err(DescriptorError::Parse)?;
    let node = parse_script(&mut sp, Ctx::Top, chain).map_err(DescriptorError::Parse)?;
    if !sp.is_empty() {
        return Err(DescriptorError::Parse(String::new()));
    }
    let keys = node.keys();
    if keys.iter().any(|k| k.paths() > 1) {
        return Err(DescriptorError::Multipath);
    }
    if keys.iter().any(|k| k.ranged()) {
        return Err(DescriptorError::Ranged);
    }
    let scripts = node
        .scripts(&Secp256k1::new())
        .ok_or(DescriptorError::NoPrivateKeys)?;
    let pick = match scripts.len() {
        1 => 0,
        4 => 2,
        _ => 1,
    };
    scripts
        .into_iter()
        .nth(pick)
        .ok_or(DescriptorError::NoPrivateKeys)
}

/// Core's `DescriptorChecksum`: 8 characters, or `None` for characters outside its set.
pub fn checksum(text: &str) -> Option<String> {
    const INPUT: &str = "0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ";
    const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    fn polymod(c: u64, val: u64) -> u64 {
        const GENERATOR: [u64; 5] = [
            0xf5_dee5_1989,
            0xa9_fdca_3312,
            0x1b_ab10_e32d,
            0x37_06b1_677a,
            0x64_4d62_6ffd,
        ];
        let top = c >> 35;
        let c = ((c & 0x7_ffff_ffff) << 5) ^ val;
        (0..5)
            .filter(|i| (top >> i) & 1 == 1)
            .fold(c, |c, i| c ^ GENERATOR[i])
    }
    let (mut c, mut cls, mut count) = (1u64, 0u64, 0);
    for ch in text.chars() {
        let pos = INPUT.find(ch)? as u64;
        c = polymod(c, pos & 31);
        cls = cls * 3 + (pos >> 5);
        count += 1;
        if count == 3 {
            c = polymod(c, cls);
            (cls, count) = (0, 0);
        }
    }
    if count > 0 {
        c = polymod(c, cls);
    }
    c = (0..8).fold(c, |c, _| polymod(c, 0)) ^ 1;
    Some(
        (0..8)
            .map(|j| char::from(CHARSET[((c >> (5 * (7 - j))) & 31) as usize]))
            .collect(),
    )
}

/// Core's `CheckChecksum` (checksum optional): the text before `#`.
fn check_checksum(text: &str) -> Result<&str, String> {
    let parts: Vec<&str> = text.split('#').collect();
    if parts.len() > 2 {
        return Err("Multiple '#' symbols".into());
    }
    if let Some(given) = parts.get(1).filter(|g| g.len() != 8) {
        return Err(format!(
            "Expected 8 character checksum, not {} characters",
            given.len()
        ));
    }
    let computed = checksum(parts[0]).ok_or("Invalid characters in payload")?;
    match parts.get(1) {
        Some(given) if *given != computed => Err(format!(
            "Provided checksum '{given}' does not match computed checksum '{computed}'"
        )),
        _ => Ok(parts[0]),
    }
}

#[cfg(test)]
mod tests;
