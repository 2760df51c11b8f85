//! Content codings of the public answers (RFC 9110 §8.4, §12.5.3): `Accept-Encoding` read with
//! its q-values, gzip and brotli bodies made once and kept (immutable versions), gzip pieces
//! that concatenate into one valid gzip stream (the region view's streams), and the
//! compression middleware for every other answer, which compresses only where it pays off.
//! Plain functions; the handlers decide what is cached.

use std::io::Write;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::Bytes;

/// A content coding the service sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Coding {
    Identity,
    Gzip,
    Br,
}

impl Coding {
    /// Every coding in [`Coding::index`] order.
    pub const BY_INDEX: [Coding; 3] = [Coding::Identity, Coding::Gzip, Coding::Br];

    /// Every coding, in the server's order of preference on a tie (smallest body first).
    pub const ALL: [Coding; 3] = [Coding::Br, Coding::Gzip, Coding::Identity];

    /// The `Content-Encoding` token (none for identity).
    pub fn token(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Br => Some("br"),
        }
    }

    /// What a representation's entity tag gets so that each coding has its own strong ETag
    /// (RFC 9110 §8.8.3: a gzip body is another representation).
    pub fn etag_suffix(self) -> &'static str {
        match self {
            Coding::Identity => "",
            Coding::Gzip => "-gzip",
            Coding::Br => "-br",
        }
    }

    /// Its place in [`Coding::BY_INDEX`] (identity, gzip, br).
    pub fn index(self) -> usize {
        match self {
            Coding::Identity => 0,
            Coding::Gzip => 1,
            Coding::Br => 2,
        }
    }
}

/// The q-value each coding gets from an `Accept-Encoding` value, 0 to 1000 (thousandths).
/// A coding not named takes the `*` entry's weight; identity, when neither it nor `*` is
/// named, stays acceptable (RFC 9110 §12.5.3) with the least weight. Elements that do not parse are ignored.
pub fn weights(accept_encoding: &str) -> [u16; 3] {
    let mut named: [Option<u16>; 3] = [None; 3];
    let mut star: Option<u16> = None;
    for element in accept_encoding.split(',') {
        let mut parts = element.split(';');
        let token = parts.next().unwrap_or("").trim();
        if token.is_empty() {
            continue;
        }
        let mut q = Some(1000u16);
        for p in parts {
            let Some((k, v)) = p.split_once('=') else {
                continue;
            };
            if k.trim().eq_ignore_ascii_case("q") {
                q = parse_q(v.trim());
            }
        }
        let Some(q) = q else { continue };
        // tokens are case-insensitive; compared in place (this runs on every request)
        let is = |name: &str| token.eq_ignore_ascii_case(name);
        let slot = if is("identity") {
            Some(Coding::Identity)
        } else if is("gzip") || is("x-gzip") {
            Some(Coding::Gzip)
        } else if is("br") {
            Some(Coding::Br)
        } else {
            if token == "*" {
                star = Some(star.map_or(q, |s| s.max(q)));
            }
            None
        };
        if let Some(c) = slot {
            let i = c.index();
            named[i] = Some(named[i].map_or(q, |s| s.max(q)));
        }
    }
    let mut out = [0u16; 3];
    for c in Coding::ALL {
        let i = c.index();
        out[i] = match (named[i], star) {
            (Some(q), _) => q,
            (None, Some(q)) => q,
            // acceptable, but only as the last resort: any coding named is preferred to it
            (None, None) if c == Coding::Identity => 1,
            (None, None) => 0,
        };
    }
    out
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
fn parse_q(v: &str) -> Option<u16> {
    let (int, frac) = match v.split_once('.') {
        Some((i, f)) => (i, f),
        None => (v, ""),
    };
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths: u16 = 0;
    for (i, b) in frac.bytes().enumerate() {
        thousandths += u16::from(b - b'0') * [100, 10, 1][i];
    }
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// What to send: the acceptable coding (q > 0) with the highest weight among `available`,
/// the server's preference (`Coding::ALL` order) on a tie. When nothing offered is acceptable
/// (`identity;q=0` with no coding the service has), the header is disregarded and the body
/// is sent as is (RFC 9110 §12.1 allows either that or 406; a 406 would leave a portal with
/// nothing). No header: identity.
pub fn negotiate(accept_encoding: Option<&str>, available: &[Coding]) -> Coding {
    let Some(value) = accept_encoding else {
        return Coding::Identity;
    };
    let w = weights(value);
    let mut best: Option<(u16, Coding)> = None;
    for c in Coding::ALL {
        if !available.contains(&c) {
            continue;
        }
        let q = w[c.index()];
        if q > 0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, c));
        }
    }
    best.map_or(Coding::Identity, |(_, c)| c)
}

/// Whether the client refused an uncompressed body (`identity;q=0`, or `*;q=0` without naming it).
pub fn identity_refused(accept_encoding: Option<&str>) -> bool {
    accept_encoding.is_some_and(|v| weights(v)[Coding::Identity.index()] == 0)
}

/// The coding a body of `len` bytes made for one answer goes in: `wanted` (what [`negotiate`]
/// chose) when compressing pays off ([`DYNAMIC_THRESHOLD`] bytes or more) or the client
/// refused identity; identity otherwise.
pub fn worth_it(accept_encoding: Option<&str>, wanted: Coding, len: usize) -> Coding {
    if wanted != Coding::Identity && (len >= DYNAMIC_THRESHOLD || identity_refused(accept_encoding))
    {
        wanted
    } else {
        Coding::Identity
    }
}

/// The request's `Accept-Encoding`, if it is readable text.
pub fn accept_encoding(headers: &actix_web::http::header::HeaderMap) -> Option<&str> {
    headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
}

/// A body compressed once and kept: gzip at the best level.
pub fn gzip(plain: &[u8]) -> Bytes {
    let mut e = flate2::write::GzEncoder::new(
        Vec::with_capacity(plain.len() / 4 + 64),
        flate2::Compression::best(),
    );
    e.write_all(plain).expect("writing to memory");
    Bytes::from(e.finish().expect("writing to memory"))
}

/// A body compressed once and kept: brotli at quality 9, 4 MiB window (most of quality 11's
/// ratio on text at a fraction of its time).
pub fn brotli(plain: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(plain.len() / 5 + 64);
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 64 * 1024, 9, 22);
        w.write_all(plain).expect("writing to memory");
        w.flush().expect("writing to memory");
    }
    Bytes::from(out)
}

/// `plain` in `coding`.
pub fn encode(coding: Coding, plain: &Bytes) -> Bytes {
    match coding {
        Coding::Identity => plain.clone(),
        Coding::Gzip => gzip(plain),
        Coding::Br => brotli(plain),
    }
}

/// A body compressed for one answer (rendered per request): faster levels.
pub fn encode_dynamic(coding: Coding, plain: &[u8]) -> Bytes {
    match coding {
        Coding::Identity => Bytes::copy_from_slice(plain),
        Coding::Gzip => {
            let mut e = flate2::write::GzEncoder::new(
                Vec::with_capacity(plain.len() / 4 + 64),
                flate2::Compression::new(5),
            );
            e.write_all(plain).expect("writing to memory");
            Bytes::from(e.finish().expect("writing to memory"))
        }
        Coding::Br => {
            let mut out = Vec::with_capacity(plain.len() / 5 + 64);
            {
                let mut w = brotli::CompressorWriter::new(&mut out, 64 * 1024, 4, 22);
                w.write_all(plain).expect("writing to memory");
                w.flush().expect("writing to memory");
            }
            Bytes::from(out)
        }
    }
}

/// A piece of a gzip stream: raw deflate blocks of `len` bytes of text, closed by a full
/// flush (byte-aligned, no back-reference into what comes before or after), with the CRC-32
/// of that text. Pieces made apart concatenate into one stream: [`GZIP_HEADER`], the pieces,
/// then [`gzip_trailer`] of their combined CRC and length.
#[derive(Clone)]
pub struct GzipPiece {
    pub deflate: Bytes,
    pub crc: crc32fast::Hasher,
    pub len: u64,
}

impl GzipPiece {
    pub fn new(plain: &[u8], level: u32) -> GzipPiece {
        let mut c = flate2::Compress::new(flate2::Compression::new(level), false);
        let mut out = Vec::with_capacity(plain.len() / 4 + 64);
        let mut input = plain;
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(4096));
            }
            let before_in = c.total_in();
            c.compress_vec(input, &mut out, flate2::FlushCompress::Full)
                .expect("deflate into memory");
            let used = (c.total_in() - before_in) as usize;
            input = &input[used..];
            // a full flush is complete once the input is consumed and output space remained
            if input.is_empty() && out.capacity() - out.len() >= 64 {
                break;
            }
        }
        let mut crc = crc32fast::Hasher::new();
        crc.update(plain);
        GzipPiece {
            deflate: Bytes::from(out),
            crc,
            len: plain.len() as u64,
        }
    }

    /// Memory the piece holds.
    pub fn bytes(&self) -> usize {
        self.deflate.len()
    }
}

/// The gzip member header: deflate, no name, no time, unknown OS.
pub const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// An empty final deflate block, the CRC-32 and the length (mod 2^32) of the whole text.
pub fn gzip_trailer(crc: &crc32fast::Hasher, len: u64) -> Bytes {
    let mut out = Vec::with_capacity(10);
    out.extend_from_slice(&[0x03, 0x00]);
    out.extend_from_slice(&crc.clone().finalize().to_le_bytes());
    out.extend_from_slice(&(len as u32).to_le_bytes());
    Bytes::from(out)
}

/// Bodies below this are sent as they are by the compression middleware (unless the client
/// refused identity): the gain would not pay for the work and the headers.
pub const DYNAMIC_THRESHOLD: usize = 1024;

/// Marks an answer whose coding the handler already negotiated (its body, `ETag` and
/// `Content-Encoding` belong together): the middleware leaves it alone.
#[derive(Clone, Copy)]
pub struct Negotiated;

/// Types that are compressed already (XLSX is a zip) or not worth it.
fn compressible(content_type: Option<&HeaderValue>) -> bool {
    let Some(ct) = content_type.and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let ct = ct.to_ascii_lowercase();
    !(ct.starts_with("image/") && !ct.starts_with("image/svg")
        || ct.starts_with("video/")
        || ct.starts_with("audio/")
        || ct.contains("zip")
        || ct.contains("spreadsheetml")
        || ct.starts_with("application/octet-stream")
        || ct.starts_with("application/pkcs7")
        || ct.starts_with("text/event-stream"))
}

/// The compression middleware of every answer not negotiated by its handler: gzip or brotli
/// (the client's q-values, brotli on a tie) at fast levels, for bodies of
/// [`DYNAMIC_THRESHOLD`] or more and streams; never an answer that already has a
/// `Content-Encoding` (pre-compressed bodies are not compressed twice). A strong `ETag` of
/// an answer it compresses becomes weak (the compressed bytes are another representation).
pub async fn compress(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let ae = accept_encoding(req.headers());
    let coding = negotiate(ae, &Coding::ALL);
    let refused = identity_refused(ae);
    let res = next.call(req).await?;
    let head = res.response();
    let status = head.status();
    let size = head.body().size();
    let skip = coding == Coding::Identity
        || head.extensions().contains::<Negotiated>()
        || head.headers().contains_key(header::CONTENT_ENCODING)
        || matches!(
            status,
            StatusCode::NOT_MODIFIED
                | StatusCode::NO_CONTENT
                | StatusCode::PARTIAL_CONTENT
                | StatusCode::SWITCHING_PROTOCOLS
        )
        || !compressible(head.headers().get(header::CONTENT_TYPE))
        || match size {
            BodySize::None | BodySize::Sized(0) => true,
            BodySize::Sized(n) => (n as usize) < DYNAMIC_THRESHOLD && !refused,
            BodySize::Stream => false,
        };
    if skip {
        return Ok(res.map_into_boxed_body());
    }
    let encoding = match coding {
        Coding::Br => header::ContentEncoding::Brotli,
        _ => header::ContentEncoding::Gzip,
    };
    Ok(res
        .map_body(move |head, body| {
            if let Some(tag) = head.headers.get(header::ETAG).cloned() {
                if let Ok(t) = tag.to_str() {
                    if !t.starts_with("W/") {
                        if let Ok(v) = HeaderValue::from_str(&format!("W/{t}")) {
                            head.headers.insert(header::ETAG, v);
                        }
                    }
                }
            }
            actix_http::encoding::Encoder::response(encoding, head, body)
        })
        .map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    const ALL: &[Coding] = &Coding::ALL;

    #[test]
    fn by_index_is_in_index_order() {
        for (i, c) in Coding::BY_INDEX.into_iter().enumerate() {
            assert_eq!(c.index(), i);
        }
    }

    #[test]
    fn q_values_decide_and_brotli_wins_a_tie() {
        assert_eq!(negotiate(None, ALL), Coding::Identity);
        assert_eq!(negotiate(Some("gzip, deflate, br"), ALL), Coding::Br);
        assert_eq!(negotiate(Some("gzip"), ALL), Coding::Gzip);
        assert_eq!(negotiate(Some("br;q=0.5, gzip"), ALL), Coding::Gzip);
        assert_eq!(negotiate(Some("br;q=0.5, gzip;q=0.8"), ALL), Coding::Gzip);
        assert_eq!(negotiate(Some("br;q=0.001"), ALL), Coding::Br);
        assert_eq!(
            negotiate(Some("gzip;q=0.5, identity"), ALL),
            Coding::Identity
        );
        assert_eq!(negotiate(Some("br;q=0, gzip;q=0"), ALL), Coding::Identity);
        assert_eq!(negotiate(Some("*"), ALL), Coding::Br);
        assert_eq!(negotiate(Some("*;q=0.1, br;q=0"), ALL), Coding::Gzip);
        assert_eq!(negotiate(Some("identity"), ALL), Coding::Identity);
        assert_eq!(negotiate(Some(""), ALL), Coding::Identity);
        assert_eq!(negotiate(Some("X-GZIP;Q=1.000"), ALL), Coding::Gzip);
        assert_eq!(negotiate(Some("gzip;q=2, br;q=abc"), ALL), Coding::Identity);
        assert_eq!(
            negotiate(Some("gzip, br"), &[Coding::Gzip, Coding::Identity]),
            Coding::Gzip
        );
        // identity refused and nothing else acceptable: the header is disregarded
        assert_eq!(negotiate(Some("identity;q=0, zstd"), ALL), Coding::Identity);
        assert!(identity_refused(Some("identity;q=0")));
        assert!(identity_refused(Some("*;q=0")));
        assert!(!identity_refused(Some("*;q=0, identity")));
        assert!(!identity_refused(Some("gzip")));
        assert!(!identity_refused(None));
    }

    #[test]
    fn once_compressed_bodies_decompress_to_the_plain_bytes() {
        let plain: Vec<u8> = (0..50_000u32)
            .flat_map(|i| format!("строка {i};").into_bytes())
            .collect();
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gzip(&plain)[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, plain);
        let mut back = Vec::new();
        brotli::Decompressor::new(&brotli(&plain)[..], 4096)
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, plain);
    }

    #[test]
    fn gzip_pieces_concatenate_into_one_stream() {
        let parts: Vec<Vec<u8>> = (0..5)
            .map(|p| {
                (0..(p * 7000 + 1))
                    .flat_map(|i| format!("{p}:{i};").into_bytes())
                    .collect()
            })
            .collect();
        let mut body = GZIP_HEADER.to_vec();
        let mut crc = crc32fast::Hasher::new();
        let mut len = 0;
        for p in &parts {
            let piece = GzipPiece::new(p, 6);
            body.extend_from_slice(&piece.deflate);
            crc.combine(&piece.crc);
            len += piece.len;
        }
        body.extend_from_slice(&gzip_trailer(&crc, len));
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, parts.concat());
        // and nothing after the one member
        let mut d = flate2::read::MultiGzDecoder::new(&body[..]);
        let mut all = Vec::new();
        d.read_to_end(&mut all).unwrap();
        assert_eq!(all, parts.concat());
    }
}
