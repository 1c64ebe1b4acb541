//! A JSON value that behaves like Bitcoin Core's `UniValue`, so `bitcoin-cli` prints exactly
//! what Core's does: numbers keep the server's digits (`0.00001000` stays `0.00001000`),
//! object keys keep their order (duplicates included), and [`Json::write_pretty`] reproduces
//! `UniValue::write(2)` byte for byte (including its `[\n]` for empty containers and its
//! escaping of control characters and DEL).

use std::fmt::Write as _;

/// Nesting limit of the parser (UniValue's `MAX_JSON_DEPTH`).
const MAX_DEPTH: usize = 512;

/// A JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written (already checked against JSON's number grammar).
    Number(String),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object: keys in order; a repeated key is kept (lookups find the first).
    Object(Vec<(String, Json)>),
}

/// Shared `null` for lookups that find nothing.
static NULL: Json = Json::Null;

impl Json {
    /// Parses `text` as one JSON value with optional surrounding whitespace; `None` when it is
    /// not valid JSON (as `UniValue::read` returning false).
    pub fn parse(text: &str) -> Option<Json> {
        let mut parser = Parser {
            bytes: text.as_bytes(),
            pos: 0,
        };
        let value = parser.value(0)?;
        parser.skip_space();
        (parser.pos == parser.bytes.len()).then_some(value)
    }

    /// An integer number.
    pub fn int(n: i64) -> Json {
        Json::Number(n.to_string())
    }

    /// A string value.
    pub fn str(s: impl Into<String>) -> Json {
        Json::String(s.into())
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// The value of `key` in an object (the first if repeated); `null` for anything else, like
    /// UniValue's `operator[]`.
    pub fn get(&self, key: &str) -> &Json {
        match self {
            Json::Object(members) => members
                .iter()
                .find(|(k, _)| k == key)
                .map_or(&NULL, |(_, v)| v),
            _ => &NULL,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number as an `i64`, if this is an integer number that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Number(n) => n.parse().ok(),
            _ => None,
        }
    }

    /// The number as an `f64`, if this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Number(n) => n.parse().ok(),
            _ => None,
        }
    }

    /// UniValue's `getValStr()`: a string's or number's text, `1`/empty for booleans (as
    /// UniValue stores them), empty for null and containers.
    pub fn val_str(&self) -> String {
        match self {
            Json::String(s) | Json::Number(s) => s.clone(),
            Json::Bool(true) => "1".into(),
            _ => String::new(),
        }
    }

    /// Sets `key` in an object, replacing the first value of that key in place if present
    /// (UniValue's `pushKV`). Does nothing to a non-object.
    pub fn push_kv(&mut self, key: &str, value: Json) {
        if let Json::Object(members) = self {
            match members.iter_mut().find(|(k, _)| k == key) {
                Some((_, v)) => *v = value,
                None => members.push((key.to_string(), value)),
            }
        }
    }

    /// Compact text (UniValue's `write()`).
    pub fn write(&self) -> String {
        let mut out = String::new();
        self.write_to(&mut out, 0, 1);
        out
    }

    /// Text indented by two spaces per level (UniValue's `write(2)`).
    pub fn write_pretty(&self) -> String {
        let mut out = String::new();
        self.write_to(&mut out, 2, 1);
        out
    }

    fn write_to(&self, out: &mut String, indent: usize, level: usize) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::String(s) => escape_into(out, s),
            Json::Array(items) => {
                out.push('[');
                newline(out, indent);
                for (i, item) in items.iter().enumerate() {
                    pad(out, indent, level);
                    item.write_to(out, indent, level + 1);
                    if i + 1 != items.len() {
                        out.push(',');
                    }
                    newline(out, indent);
                }
                pad(out, indent, level - 1);
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                newline(out, indent);
                for (i, (key, value)) in members.iter().enumerate() {
                    pad(out, indent, level);
                    escape_into(out, key);
                    out.push(':');
                    if indent > 0 {
                        out.push(' ');
                    }
                    value.write_to(out, indent, level + 1);
                    if i + 1 != members.len() {
                        out.push(',');
                    }
                    newline(out, indent);
                }
                pad(out, indent, level - 1);
                out.push('}');
            }
        }
    }
}

fn newline(out: &mut String, indent: usize) {
    if indent > 0 {
        out.push('\n');
    }
}

fn pad(out: &mut String, indent: usize, level: usize) {
    if indent > 0 {
        out.extend(std::iter::repeat_n(' ', indent * level));
    }
}

/// Writes `s` quoted, escaping as UniValue does: `"` and `\`, control characters (`\b \t \n
/// \f \r` by name, the others as `\u00XX`) and DEL; everything else as is.
fn escape_into(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.skip_space();
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Option<Json> {
        self.skip_space();
        match self.peek()? {
            // `depth` containers enclose this one (UniValue's stack limit).
            b'{' | b'[' if depth >= MAX_DEPTH => None,
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string().map(Json::String),
            b'-' | b'0'..=b'9' => self.number().map(Json::Number),
            _ => self.keyword(),
        }
    }

    fn keyword(&mut self) -> Option<Json> {
        let rest = &self.bytes[self.pos..];
        for (word, value) in [
            (&b"null"[..], Json::Null),
            (b"true", Json::Bool(true)),
            (b"false", Json::Bool(false)),
        ] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return Some(value);
            }
        }
        None
    }

    fn array(&mut self, depth: usize) -> Option<Json> {
        self.pos += 1;
        let mut items = Vec::new();
        if self.eat(b']') {
            return Some(Json::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            if self.eat(b']') {
                return Some(Json::Array(items));
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }

    fn object(&mut self, depth: usize) -> Option<Json> {
        self.pos += 1;
        let mut members = Vec::new();
        if self.eat(b'}') {
            return Some(Json::Object(members));
        }
        loop {
            self.skip_space();
            if self.peek() != Some(b'"') {
                return None;
            }
            let key = self.string()?;
            if !self.eat(b':') {
                return None;
            }
            members.push((key, self.value(depth + 1)?));
            if self.eat(b'}') {
                return Some(Json::Object(members));
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, kept as text.
    fn number(&mut self) -> Option<String> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        let int_len = self.digits();
        if int_len == 0 || (int_len > 1 && self.bytes[int_start] == b'0') {
            return None;
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        std::str::from_utf8(&self.bytes[start..self.pos])
            .ok()
            .map(str::to_string)
    }

    fn hex4(&mut self) -> Option<u32> {
        let text = self.bytes.get(self.pos..self.pos + 4)?;
        let text = std::str::from_utf8(text).ok()?;
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += 4;
        u32::from_str_radix(text, 16).ok()
    }

    /// A `\uXXXX` escape (after the `u`), joining a surrogate pair; lone surrogates are
    /// refused, as UniValue's UTF-8 filter does.
    fn unicode_escape(&mut self) -> Option<char> {
        let first = self.hex4()?;
        match first {
            0xD800..=0xDBFF => {
                if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return None;
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return None;
                }
                char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
            }
            0xDC00..=0xDFFF => None,
            _ => char::from_u32(first),
        }
    }

    fn string(&mut self) -> Option<String> {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let byte = self.peek()?;
            self.pos += 1;
            match byte {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let escaped = self.peek()?;
                    self.pos += 1;
                    let c = match escaped {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return None,
                    };
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                b if b < 0x20 => return None,
                b => out.push(b),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Json {
        Json::parse(text).unwrap_or_else(|| panic!("{text:?} should parse"))
    }

    #[test]
    fn numbers_and_key_order_survive_a_round_trip() {
        let text = r#"{"z":0.00001000,"a":-1.5e+10,"m":[1,2],"dup":1,"dup":2}"#;
        assert_eq!(parse(text).write(), text);
        assert_eq!(parse(text).get("dup"), &Json::int(1));
        assert_eq!(parse(" 12 ").write(), "12");
    }

    #[test]
    fn pretty_printing_matches_univalue_write_2() {
        let value = parse(r#"{"a":1,"b":[true,null,"x"],"c":{},"d":[],"e":{"f":[]}}"#);
        assert_eq!(
            value.write_pretty(),
            "{\n  \"a\": 1,\n  \"b\": [\n    true,\n    null,\n    \"x\"\n  ],\n  \"c\": {\n  },\n  \"d\": [\n  ],\n  \"e\": {\n    \"f\": [\n    ]\n  }\n}"
        );
        assert_eq!(parse("[]").write_pretty(), "[\n]");
        assert_eq!(parse("{}").write_pretty(), "{\n}");
        assert_eq!(parse("[1]").write_pretty(), "[\n  1\n]");
        assert_eq!(parse("\"s\"").write_pretty(), "\"s\"");
    }

    #[test]
    fn escaping_matches_univalue() {
        let value = Json::str("q\"b\\/\u{8}\u{c}\n\r\t\u{1}\u{7f}é€😀");
        assert_eq!(
            value.write(),
            "\"q\\\"b\\\\/\\b\\f\\n\\r\\t\\u0001\\u007fé€😀\""
        );
        assert_eq!(Json::parse(&value.write()), Some(value));
        assert_eq!(
            parse(r#""\u00e9\ud83d\ude00\/""#),
            Json::str("é😀/"),
            "escapes and surrogate pairs decode"
        );
    }

    #[test]
    fn invalid_json_is_refused() {
        for bad in [
            "",
            " ",
            "01",
            "-",
            "-a",
            "1.",
            "1e",
            ".5",
            "+1",
            "[1,]",
            "[1 2]",
            "{\"a\"}",
            "{\"a\":1,}",
            "{a:1}",
            "nul",
            "nullx",
            "\"abc",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"a\nb\"",
            "[",
            "]",
            "{\"a\":1}}",
            "1 2",
            "'a'",
        ] {
            assert_eq!(Json::parse(bad), None, "{bad:?} should not parse");
        }
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(Json::parse(&deep), None, "too deep");
        let ok = "[".repeat(MAX_DEPTH) + "1" + &"]".repeat(MAX_DEPTH);
        assert!(Json::parse(&ok).is_some(), "as deep as UniValue allows");
    }

    #[test]
    fn accessors() {
        let value = parse(r#"{"s":"x","n":42,"f":0.5,"t":true,"o":{}}"#);
        assert_eq!(value.get("s").as_str(), Some("x"));
        assert_eq!(value.get("n").as_i64(), Some(42));
        assert_eq!(value.get("f").as_f64(), Some(0.5));
        assert_eq!(value.get("t").val_str(), "1");
        assert_eq!(value.get("n").val_str(), "42");
        assert_eq!(value.get("o").val_str(), "");
        assert!(value.get("missing").is_null());
        assert!(value.get("s").get("x").is_null());
        let mut obj = Json::Object(Vec::new());
        obj.push_kv("a", Json::int(1));
        obj.push_kv("b", Json::int(2));
        obj.push_kv("a", Json::int(3));
        assert_eq!(obj.write(), r#"{"a":3,"b":2}"#);
    }
}
