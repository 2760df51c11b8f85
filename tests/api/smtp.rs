//! A minimal SMTP server for the tests (HELO/EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) on
//! 127.0.0.1:0: the mailer talks real SMTP to it, and the tests read what it received.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;

/// One received message: the envelope's recipients and the decoded subject and body.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
    pub raw: String,
}

#[derive(Clone, Default)]
pub struct SmtpServer {
    pub port: u16,
    inbox: Arc<Mutex<Vec<Received>>>,
}

impl SmtpServer {
    /// Listens on 127.0.0.1 (a free port) in a thread of its own, one thread per connection.
    pub fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the SMTP listener");
        let server = SmtpServer {
            port: listener.local_addr().unwrap().port(),
            inbox: Arc::default(),
        };
        let inbox = server.inbox.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let inbox = inbox.clone();
                std::thread::spawn(move || {
                    let _ = session(stream, &inbox);
                });
            }
        });
        server
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().clone()
    }

    /// Waits (up to 15 s) for a message to `rcpt` that `pred` accepts.
    pub async fn wait_for(&self, rcpt: &str, pred: impl Fn(&Received) -> bool) -> Received {
        let started = Instant::now();
        loop {
            if let Some(m) = self
                .received()
                .into_iter()
                .find(|m| m.to.iter().any(|t| t == rcpt) && pred(m))
            {
                return m;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "no mail to {rcpt}; received: {:#?}",
                self.received()
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn session(stream: TcpStream, inbox: &Mutex<Vec<Received>>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    out.write_all(b"220 127.0.0.1 ESMTP touchpoints-test\r\n")?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_owned();
        let upper = cmd.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            out.write_all(b"250-127.0.0.1\r\n250 8BITMIME\r\n")?;
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            out.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("RSET") {
            from.clear();
            to.clear();
            out.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&cmd[10..]);
            out.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&cmd[8..]));
            out.write_all(b"250 OK\r\n")?;
        } else if upper == "DATA" {
            out.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
            let mut data = Vec::new();
            loop {
                let mut l = Vec::new();
                if reader.read_until(b'\n', &mut l)? == 0 {
                    return Ok(());
                }
                if l == b".\r\n" || l == b".\n" {
                    break;
                }
                // dot-stuffing
                if l.starts_with(b"..") {
                    l.remove(0);
                }
                data.extend_from_slice(&l);
            }
            let raw = String::from_utf8_lossy(&data).into_owned();
            let (subject, body) = parse(&raw);
            inbox.lock().unwrap().push(Received {
                from: std::mem::take(&mut from),
                to: std::mem::take(&mut to),
                subject,
                body,
                raw,
            });
            out.write_all(b"250 OK: queued\r\n")?;
        } else if upper.starts_with("QUIT") {
            out.write_all(b"221 Bye\r\n")?;
            return Ok(());
        } else {
            out.write_all(b"502 Command not implemented\r\n")?;
        }
    }
}

/// `<a@b>` (with parameters after it) → `a@b`.
fn address(arg: &str) -> String {
    let arg = arg.trim();
    match (arg.find('<'), arg.find('>')) {
        (Some(s), Some(e)) if s < e => arg[s + 1..e].to_owned(),
        _ => arg.split_whitespace().next().unwrap_or_default().to_owned(),
    }
}

/// The decoded Subject and the body of a message (8bit, quoted-printable or base64).
fn parse(raw: &str) -> (String, String) {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    // unfold the headers
    let mut headers: Vec<String> = Vec::new();
    for l in head.lines() {
        if l.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.push_str(l);
            }
        } else {
            headers.push(l.to_owned());
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find_map(|h| {
                let (n, v) = h.split_once(':')?;
                n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
            })
            .unwrap_or_default()
    };
    let subject = decode_words(&header("Subject"));
    let body = match header("Content-Transfer-Encoding")
        .to_ascii_lowercase()
        .as_str()
    {
        "base64" => String::from_utf8_lossy(
            &base64::engine::general_purpose::STANDARD
                .decode(body.split_whitespace().collect::<String>())
                .unwrap_or_default(),
        )
        .into_owned(),
        "quoted-printable" => quoted_printable(body),
        _ => body.to_owned(),
    };
    (subject, body)
}

/// RFC 2047 encoded words (`=?utf-8?b?…?=` and `=?utf-8?q?…?=`) decoded and joined (the
/// bytes of adjacent words together: a character may be split between two words).
fn decode_words(v: &str) -> String {
    if !v.contains("=?") {
        return v.to_owned();
    }
    let mut out: Vec<u8> = Vec::new();
    for word in v.split_whitespace() {
        let inner = word
            .strip_prefix("=?")
            .and_then(|w| w.strip_suffix("?="))
            .and_then(|w| {
                let mut it = w.splitn(3, '?');
                Some((it.next()?, it.next()?, it.next()?))
            });
        match inner {
            Some((_, enc, text)) if enc.eq_ignore_ascii_case("b") => out.extend(
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .unwrap_or_default(),
            ),
            Some((_, _, text)) => out.extend(qp_bytes(&text.replace('_', " "))),
            None => {
                if !out.is_empty() {
                    out.push(b' ');
                }
                out.extend(word.as_bytes());
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn qp_bytes(s: &str) -> Vec<u8> {
    let s = s.replace("=\n", "");
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            if let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn quoted_printable(s: &str) -> String {
    String::from_utf8_lossy(&qp_bytes(s)).into_owned()
}
