//! The small HTTP/1.1 client `bitcoin-cli` needs: one `POST` per connection
//! (`Connection: close`), responses with `Content-Length`, chunked, or read to the end, a
//! deadline for the whole exchange. Plus the helpers around it: Core's `SplitHostPort`,
//! Basic-auth base64 and the URL encoding of wallet names.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Where to connect and how long to wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Deadline for connecting, and again for sending and for receiving; `None` waits forever.
    pub timeout: Option<Duration>,
}

/// A response: status code and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code (`200`, `401`, ...).
    pub status: u16,
    /// The body, decoded from chunks if it was chunked.
    pub body: Vec<u8>,
}

/// Why an exchange failed (all of them are "connection failed" to `bitcoin-cli`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The host name does not resolve.
    #[error("Could not resolve host: {0}")]
    Resolve(String),
    /// No address of the host accepted the connection.
    #[error("Could not connect to the server")]
    Connect,
    /// The deadline passed.
    #[error("timeout")]
    Timeout,
    /// Sending failed.
    #[error("Failed to send HTTP request")]
    Send,
    /// Reading failed.
    #[error("Read error: {0}")]
    Read(String),
    /// The response is not HTTP as expected.
    #[error("HTTP error: {0}")]
    Protocol(&'static str),
}

/// Sends `POST endpoint` with `headers` and `body`, returns the response.
pub fn post(
    target: &Target,
    endpoint: &str,
    headers: &[(&str, String)],
    body: &str,
) -> Result<Response, HttpError> {
    let mut stream = connect(target)?;
    let mut request = format!(
        "POST {endpoint} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
        target.host,
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream
        .set_write_timeout(target.timeout)
        .map_err(|_| HttpError::Send)?;
    stream
        .write_all(request.as_bytes())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => HttpError::Timeout,
            _ => HttpError::Send,
        })?;
    let deadline = target.timeout.map(|t| Instant::now() + t);
    read_response(&mut Reader {
        stream,
        deadline,
        buffer: Vec::new(),
    })
}

fn connect(target: &Target) -> Result<TcpStream, HttpError> {
    let addresses: Vec<_> = (target.host.as_str(), target.port)
        .to_socket_addrs()
        .map_err(|_| HttpError::Resolve(target.host.clone()))?
        .collect();
    if addresses.is_empty() {
        return Err(HttpError::Resolve(target.host.clone()));
    }
    let deadline = target.timeout.map(|t| Instant::now() + t);
    for address in addresses {
        let stream = match deadline {
            None => TcpStream::connect(address),
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                TcpStream::connect_timeout(&address, left)
            }
        };
        if let Ok(stream) = stream {
            return Ok(stream);
        }
    }
    Err(HttpError::Connect)
}

/// Buffered reads from the connection, each bounded by the deadline.
struct Reader<S> {
    stream: S,
    deadline: Option<Instant>,
    buffer: Vec<u8>,
}

/// A connection whose read timeout can be set (a `TcpStream`; in tests, anything).
trait Timed: Read {
    fn set_timeout(&mut self, timeout: Option<Duration>) -> std::io::Result<()>;
}

impl Timed for TcpStream {
    fn set_timeout(&mut self, timeout: Option<Duration>) -> std::io::Result<()> {
        self.set_read_timeout(timeout)
    }
}

impl<S: Timed> Reader<S> {
    /// Reads more into the buffer; `Ok(false)` at the end of the stream.
    fn fill(&mut self) -> Result<bool, HttpError> {
        let timeout = match self.deadline {
            None => None,
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(HttpError::Timeout);
                }
                Some(left)
            }
        };
        self.stream
            .set_timeout(timeout)
            .map_err(|e| HttpError::Read(e.to_string()))?;
        let mut chunk = [0u8; 4096];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.buffer.extend_from_slice(&chunk[..n]);
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(HttpError::Timeout)
                }
                Err(e) => return Err(HttpError::Read(e.to_string())),
            }
        }
    }

    /// Reads until the buffer holds `n` bytes.
    fn need(&mut self, n: usize) -> Result<(), HttpError> {
        while self.buffer.len() < n {
            if !self.fill()? {
                return Err(HttpError::Read("connection closed".into()));
            }
        }
        Ok(())
    }

    /// Takes one CRLF-terminated line from the buffer (reading as needed).
    fn line(&mut self) -> Result<Vec<u8>, HttpError> {
        loop {
            if let Some(end) = find(&self.buffer, b"\r\n") {
                let line = self.buffer[..end].to_vec();
                self.buffer.drain(..end + 2);
                return Ok(line);
            }
            if !self.fill()? {
                return Err(HttpError::Read("connection closed".into()));
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Status line, headers, then the body as the headers say.
fn read_response<S: Timed>(reader: &mut Reader<S>) -> Result<Response, HttpError> {
    let status_line = String::from_utf8(reader.line()?)
        .map_err(|_| HttpError::Protocol("Invalid status line"))?;
    if status_line.len() < 12 || !status_line.starts_with("HTTP/") {
        return Err(HttpError::Protocol("Invalid status line"));
    }
    let status = status_line
        .split_once(' ')
        .and_then(|(_, rest)| rest.get(..3))
        .filter(|code| code.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or(HttpError::Protocol("Invalid status code"))?;
    let mut content_length = None;
    let mut chunked = false;
    loop {
        let line = reader.line()?;
        if line.is_empty() {
            break;
        }
        let line = String::from_utf8_lossy(&line);
        let (name, value) = line
            .split_once(':')
            .ok_or(HttpError::Protocol("Header missing colon (:)"))?;
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() {
            return Err(HttpError::Protocol("Empty header name"));
        }
        if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked |= value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("content-length") && content_length.is_none() {
            content_length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| HttpError::Protocol("Invalid Content-Length"))?,
            );
        }
    }
    let body = if chunked {
        read_chunked(reader)?
    } else if let Some(length) = content_length {
        reader.need(length)?;
        reader.buffer.truncate(length);
        std::mem::take(&mut reader.buffer)
    } else {
        while reader.fill()? {}
        std::mem::take(&mut reader.buffer)
    };
    Ok(Response { status, body })
}

fn read_chunked<S: Timed>(reader: &mut Reader<S>) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    loop {
        let line = String::from_utf8(reader.line()?)
            .map_err(|_| HttpError::Protocol("Invalid chunk size"))?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| HttpError::Protocol("Invalid chunk size"))?;
        if size == 0 {
            // Trailer lines up to an empty one.
            while !reader.line()?.is_empty() {}
            return Ok(body);
        }
        let end = size
            .checked_add(2)
            .ok_or(HttpError::Protocol("Chunk size too large"))?;
        reader.need(end)?;
        body.extend_from_slice(&reader.buffer[..size]);
        reader.buffer.drain(..end);
    }
}

/// Core's `SplitHostPort`: `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address.
/// Returns the host and the port (`None` when not given); `None` for a bad or zero port.
pub fn split_host_port(input: &str) -> Option<(String, Option<u16>)> {
    let mut rest = input;
    let mut port = None;
    let mut valid = true;
    if let Some(colon) = input.rfind(':') {
        let bracketed = input.starts_with('[') && colon > 0 && input[..colon].ends_with(']');
        let multi_colon = colon != 0 && input[..colon].contains(':');
        if colon == 0 || bracketed || !multi_colon {
            let digits = &input[colon + 1..];
            valid = false;
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                if let Ok(n) = digits.parse::<u16>() {
                    rest = &input[..colon];
                    port = Some(n);
                    valid = n != 0;
                }
            }
        }
    }
    let host = match rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        Some(inner) => inner,
        None => rest,
    };
    valid.then(|| (host.to_string(), port))
}

/// Standard base64 with padding.
pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Percent-encodes everything but unreserved characters (Core's `UrlEncode`).
pub fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    impl Timed for &[u8] {
        fn set_timeout(&mut self, _: Option<Duration>) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn parse(raw: &[u8]) -> Result<Response, HttpError> {
        read_response(&mut Reader {
            stream: raw,
            deadline: None,
            buffer: Vec::new(),
        })
    }

    #[test]
    fn responses_by_length_chunks_and_close() {
        let r = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA").expect("parse");
        assert_eq!((r.status, r.body.as_slice()), (200, &b"hello"[..]));
        let r = parse(
            b"HTTP/1.1 500 Internal Server Error\r\ntransfer-encoding: Chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: 1\r\n\r\n",
        )
        .expect("parse");
        assert_eq!((r.status, r.body.as_slice()), (500, &b"abcde"[..]));
        let r = parse(b"HTTP/1.0 401 Unauthorized\r\nX: y\r\n\r\nuntil the end").expect("parse");
        assert_eq!((r.status, r.body.as_slice()), (401, &b"until the end"[..]));
    }

    #[test]
    fn bad_responses_are_errors() {
        for (raw, error) in [
            (
                &b"garbage\r\n\r\n"[..],
                HttpError::Protocol("Invalid status line"),
            ),
            (
                b"HTTP/1.1 2x0 OK\r\n\r\n",
                HttpError::Protocol("Invalid status code"),
            ),
            (
                b"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
                HttpError::Protocol("Header missing colon (:)"),
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
                HttpError::Protocol("Invalid Content-Length"),
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                HttpError::Protocol("Invalid chunk size"),
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
                HttpError::Read("connection closed".into()),
            ),
            (
                b"HTTP/1.1 200 OK\r\n",
                HttpError::Read("connection closed".into()),
            ),
        ] {
            assert_eq!(parse(raw), Err(error), "{}", String::from_utf8_lossy(raw));
        }
    }

    #[test]
    fn host_and_port_like_core() {
        let ok = |s: &str| split_host_port(s).expect(s);
        assert_eq!(ok("127.0.0.1"), ("127.0.0.1".into(), None));
        assert_eq!(ok("127.0.0.1:8332"), ("127.0.0.1".into(), Some(8332)));
        assert_eq!(ok("localhost:1"), ("localhost".into(), Some(1)));
        assert_eq!(ok("::1"), ("::1".into(), None));
        assert_eq!(ok("[::1]"), ("::1".into(), None));
        assert_eq!(ok("[::1]:18443"), ("::1".into(), Some(18443)));
        for bad in ["host:0", "host:x", "host:", "host:65536", "[::1]:x"] {
            assert_eq!(split_host_port(bad), None, "{bad}");
        }
    }

    #[test]
    fn base64_and_url_encoding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"__cookie__:ab"), "X19jb29raWVfXzphYg==");
        assert_eq!(url_encode("my wallet/é~._-"), "my%20wallet%2F%C3%A9~._-");
    }

    #[test]
    fn post_sends_core_like_bytes_and_reads_the_reply() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().expect("accept");
            let mut seen = Vec::new();
            let mut buf = [0u8; 1024];
            while !seen.ends_with(b"}\n") {
                let n = conn.read(&mut buf).expect("read");
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
            }
            conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
                .expect("write");
            String::from_utf8(seen).expect("utf-8 request")
        });
        let target = Target {
            host: "127.0.0.1".into(),
            port,
            timeout: Some(Duration::from_secs(10)),
        };
        let body = "{\"method\":\"uptime\"}\n";
        let response = post(
            &target,
            "/wallet/w",
            &[("Authorization", "Basic dTpw".into())],
            body,
        )
        .expect("post");
        assert_eq!(response.body, b"{}");
        let request = server.join().expect("server thread");
        assert_eq!(
            request,
            format!(
                "POST /wallet/w HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\nAuthorization: Basic dTpw\r\n\r\n{body}",
                body.len()
            )
        );
    }

    #[test]
    fn refused_connection_and_unresolvable_host() {
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.local_addr().expect("addr").port()
        };
        let target = |host: &str| Target {
            host: host.into(),
            port,
            timeout: Some(Duration::from_secs(5)),
        };
        assert_eq!(
            post(&target("127.0.0.1"), "/", &[], ""),
            Err(HttpError::Connect)
        );
        assert_eq!(
            post(&target("no such host.invalid"), "/", &[], ""),
            Err(HttpError::Resolve("no such host.invalid".into()))
        );
    }
}
