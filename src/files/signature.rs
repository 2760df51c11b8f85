//! Detached CAdES signatures of part files, parsed — not verified.
//!
//! A signature is a CMS `SignedData` (PKCS#7, RFC 5652) in DER, or the same in PEM / plain
//! base64. From it we take each signer's certificate (subject with the Russian qualified
//! certificate attributes — ИНН, ОГРН, СНИЛС —, issuer, serial, validity), the signing time
//! and the `messageDigest` signed attribute, which is compared with the digest of the uploaded
//! file (SHA-256 or GOST R 34.11-2012 «Стрибог», 256 or 512 bits).
//!
//! **The signature value itself (GOST R 34.10-2012 or otherwise) is not verified
//! cryptographically**, nor is the certificate's chain or revocation: the result says who the
//! signature claims to be from and whether it was made over this file's digest, nothing more.
//!
//! Everything here is pure and total: hostile input (truncated DER, huge lengths, deep
//! nesting) is an [`InvalidSignature`], never a panic; the DER decoder reads a fixed schema and
//! checks every length against what is left of the input.

use base64::Engine;
use chrono::{DateTime, Utc};
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode, Tag, Tagged};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use utoipa::ToSchema;
use x509_cert::name::Name;
use x509_cert::Certificate;

/// Largest accepted signature file.
pub const MAX_SIGNATURE_BYTES: usize = 1024 * 1024;

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const STREEBOG_256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.643.7.1.1.2.2");
const STREEBOG_512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.643.7.1.1.2.3");

const CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const SURNAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.4");
const GIVEN_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.42");
const TITLE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.12");
const ORGANIZATION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
const ORGANIZATIONAL_UNIT: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.11");
const INN: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.643.3.131.1.1");
/// ИНН of a legal entity (ИННЮЛ), in certificates issued since 2021.
const INN_LE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.643.100.4");
const OGRN: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.643.100.1");
const SNILS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.643.100.3");

/// Why a signature file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidSignature(pub String);

impl std::fmt::Display for InvalidSignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn invalid(what: impl std::fmt::Display) -> InvalidSignature {
    InvalidSignature(format!(
        "the signature is not a CMS SignedData (PKCS#7): {what}"
    ))
}

/// The subject of a signer's certificate: the attributes a Russian qualified certificate
/// carries (those absent are null), and the whole name as text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Subject {
    /// CN (2.5.4.3)
    #[schema(example = "Иванова Мария Петровна")]
    pub common_name: Option<String>,
    /// SN, surname (2.5.4.4)
    #[schema(example = "Иванова")]
    pub surname: Option<String>,
    /// G, given name and patronymic (2.5.4.42)
    #[schema(example = "Мария Петровна")]
    pub given_name: Option<String>,
    /// T, title (position) (2.5.4.12)
    #[schema(example = "Начальник отдела")]
    pub title: Option<String>,
    /// O, organization (2.5.4.10)
    #[schema(example = "Министерство цифрового развития Республики Дагестан")]
    pub organization: Option<String>,
    /// OU, organizational unit (2.5.4.11)
    pub organizational_unit: Option<String>,
    /// ИНН (1.2.643.3.131.1.1), or ИНН ЮЛ (1.2.643.100.4) when only that one is present
    #[schema(example = "0562075470")]
    pub inn: Option<String>,
    /// ОГРН (1.2.643.100.1)
    #[schema(example = "1100562000460")]
    pub ogrn: Option<String>,
    /// СНИЛС (1.2.643.100.3)
    #[schema(example = "12345678901")]
    pub snils: Option<String>,
    /// The whole distinguished name, RFC 4514 style (unknown attributes by their OID)
    #[schema(
        example = "CN=Иванова Мария Петровна,SN=Иванова,G=Мария Петровна,T=Начальник отдела,O=Министерство цифрового развития Республики Дагестан"
    )]
    pub text: String,
}

/// One signer of a signature: their certificate (when the signature carries it) and what
/// they signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Signer {
    /// The certificate's subject; null when the signature does not carry the signer's certificate
    pub subject: Option<Subject>,
    /// The issuer's CN (the certification authority)
    #[schema(example = "УЦ Минцифры России")]
    pub issuer: Option<String>,
    /// The certificate's serial number, hexadecimal
    #[schema(example = "01a2b3c4d5e6f7")]
    pub serial: Option<String>,
    pub not_before: Option<DateTime<Utc>>,
    pub not_after: Option<DateTime<Utc>>,
    /// The `signingTime` signed attribute (1.2.840.113549.1.9.5), if present
    pub signing_time: Option<DateTime<Utc>>,
    /// The digest algorithm's OID
    #[schema(example = "1.2.643.7.1.1.2.2")]
    pub digest_algorithm: String,
    /// `sha256`, `streebog256` or `streebog512`; null for another algorithm
    #[schema(example = "streebog256")]
    pub digest_algorithm_name: Option<String>,
    /// Whether the signed `messageDigest` equals the digest of the uploaded file; null when the
    /// algorithm is not one of the above or the signature has no signed attributes. The
    /// signature value itself is NOT verified.
    pub digest_matches: Option<bool>,
}

/// What a signature file says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SignatureInfo {
    /// One entry per `SignerInfo`
    pub signers: Vec<Signer>,
    /// true when every signer's digest matches the file, false when one does not, null when
    /// none could be compared
    pub digest_matches: Option<bool>,
    /// Whether the signed content is absent from the signature (a detached signature)
    pub detached: bool,
}

/// The DER bytes of a signature file: DER as is; PEM (`-----BEGIN …-----`) or bare base64
/// decoded.
pub fn der_bytes(raw: &[u8]) -> Result<Vec<u8>, InvalidSignature> {
    let start = raw.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        return Err(invalid("the file is empty"));
    };
    if raw[start] == 0x30 {
        return Ok(raw[start..].to_vec());
    }
    let text = std::str::from_utf8(raw).map_err(|_| invalid("neither DER nor PEM/base64"))?;
    let body: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("-----"))
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .map_err(|_| invalid("neither DER nor PEM/base64"))
}

/// Parses a signature file and compares its signed digests with the file's.
pub fn parse(raw: &[u8], file: &[u8]) -> Result<SignatureInfo, InvalidSignature> {
    if raw.len() > MAX_SIGNATURE_BYTES {
        return Err(InvalidSignature(format!(
            "the signature is larger than {} MB",
            MAX_SIGNATURE_BYTES / 1024 / 1024
        )));
    }
    let der = der_bytes(raw)?;
    let ci = ContentInfo::from_der(&der).map_err(invalid)?;
    if ci.content_type != ID_SIGNED_DATA {
        return Err(invalid(format!(
            "its content type is {}, not signedData",
            ci.content_type
        )));
    }
    let sd: SignedData = ci.content.decode_as().map_err(invalid)?;
    let certs: Vec<&Certificate> = sd
        .certificates
        .as_ref()
        .map(|set| {
            set.0
                .iter()
                .filter_map(|c| match c {
                    cms::cert::CertificateChoices::Certificate(c) => Some(c),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let mut digests = Digests::new(file);
    let signers: Vec<Signer> = sd
        .signer_infos
        .0
        .iter()
        .map(|si| signer(si, &certs, &mut digests))
        .collect::<Result<_, _>>()?;
    if signers.is_empty() {
        return Err(invalid("it has no signer"));
    }
    let digest_matches = if signers.iter().any(|s| s.digest_matches == Some(false)) {
        Some(false)
    } else if signers.iter().all(|s| s.digest_matches == Some(true)) {
        Some(true)
    } else {
        None
    };
    Ok(SignatureInfo {
        signers,
        digest_matches,
        detached: sd.encap_content_info.econtent.is_none(),
    })
}

/// The file's digests, each computed once when first asked for.
struct Digests<'a> {
    file: &'a [u8],
    sha256: Option<Vec<u8>>,
    streebog256: Option<Vec<u8>>,
    streebog512: Option<Vec<u8>>,
}

impl<'a> Digests<'a> {
    fn new(file: &'a [u8]) -> Self {
        Digests {
            file,
            sha256: None,
            streebog256: None,
            streebog512: None,
        }
    }

    /// The algorithm's name and the file's digest, for the algorithms we know.
    fn of(&mut self, alg: &ObjectIdentifier) -> Option<(&'static str, &[u8])> {
        let file = self.file;
        if *alg == SHA256 {
            let d = self
                .sha256
                .get_or_insert_with(|| sha2::Sha256::digest(file).to_vec());
            Some(("sha256", d))
        } else if *alg == STREEBOG_256 {
            let d = self
                .streebog256
                .get_or_insert_with(|| streebog::Streebog256::digest(file).to_vec());
            Some(("streebog256", d))
        } else if *alg == STREEBOG_512 {
            let d = self
                .streebog512
                .get_or_insert_with(|| streebog::Streebog512::digest(file).to_vec());
            Some(("streebog512", d))
        } else {
            None
        }
    }
}

fn signer(
    si: &SignerInfo,
    certs: &[&Certificate],
    digests: &mut Digests<'_>,
) -> Result<Signer, InvalidSignature> {
    let cert = match &si.sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => certs.iter().find(|c| {
            c.tbs_certificate.issuer == ias.issuer
                && c.tbs_certificate.serial_number == ias.serial_number
        }),
        // without computing key identifiers: the only certificate, if there is one
        SignerIdentifier::SubjectKeyIdentifier(_) => match certs {
            [only] => Some(only),
            _ => None,
        },
    };
    let mut signing_time = None;
    let mut signed_digest: Option<Vec<u8>> = None;
    for attr in si.signed_attrs.iter().flat_map(|a| a.iter()) {
        let Some(value) = attr.values.iter().next() else {
            continue;
        };
        if attr.oid == ID_MESSAGE_DIGEST {
            let d: OctetString = value.decode_as().map_err(invalid)?;
            signed_digest = Some(d.as_bytes().to_vec());
        } else if attr.oid == ID_SIGNING_TIME {
            // a CHOICE (UTCTime or GeneralizedTime): decoded from the whole TLV
            let der = value.to_der().map_err(invalid)?;
            let t = x509_cert::time::Time::from_der(&der).map_err(invalid)?;
            signing_time = Some(time(t));
        }
    }
    let alg = si.digest_alg.oid;
    let known = digests.of(&alg);
    let digest_matches = match (known, &signed_digest) {
        // GOST digests are byte strings in the hash's own (little-endian) order, as the
        // streebog crate and CryptoPro write them; the reversed (RFC 6986 printed) order is
        // taken as well, the value itself being unverified either way
        (Some((_, ours)), Some(theirs)) => Some(
            ours == theirs.as_slice() || (alg != SHA256 && ours.iter().rev().eq(theirs.iter())),
        ),
        _ => None,
    };
    let digest_algorithm_name = digests.of(&alg).map(|(n, _)| n.to_owned());
    let tbs = cert.map(|c| &c.tbs_certificate);
    Ok(Signer {
        subject: tbs.map(|t| subject(&t.subject)),
        issuer: tbs.and_then(|t| first(&t.issuer, &CN)),
        serial: tbs.map(|t| hex::encode(t.serial_number.as_bytes())),
        not_before: tbs.map(|t| time(t.validity.not_before)),
        not_after: tbs.map(|t| time(t.validity.not_after)),
        signing_time,
        digest_algorithm: alg.to_string(),
        digest_algorithm_name,
        digest_matches,
    })
}

fn time(t: x509_cert::time::Time) -> DateTime<Utc> {
    let d = t.to_unix_duration();
    DateTime::<Utc>::from_timestamp(d.as_secs() as i64, 0).unwrap_or_default()
}

/// The text of a directory string (UTF8String, PrintableString, IA5String, NumericString,
/// TeletexString read as Latin-1, BMPString); None for anything else.
fn text(value: &der::Any) -> Option<String> {
    let bytes = value.value();
    match value.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::NumericString => {
            Some(String::from_utf8_lossy(bytes).into_owned())
        }
        Tag::TeletexString => Some(bytes.iter().map(|&b| b as char).collect()),
        Tag::BmpString => {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            Some(String::from_utf16_lossy(&units))
        }
        _ => None,
    }
}

fn first(name: &Name, oid: &ObjectIdentifier) -> Option<String> {
    name.0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == *oid)
        .and_then(|atv| text(&atv.value))
}

fn short_name(oid: &ObjectIdentifier) -> Option<&'static str> {
    Some(match *oid {
        o if o == CN => "CN",
        o if o == SURNAME => "SN",
        o if o == GIVEN_NAME => "G",
        o if o == TITLE => "T",
        o if o == ORGANIZATION => "O",
        o if o == ORGANIZATIONAL_UNIT => "OU",
        o if o == INN => "INN",
        o if o == INN_LE => "INNLE",
        o if o == OGRN => "OGRN",
        o if o == SNILS => "SNILS",
        o if o == ObjectIdentifier::new_unwrap("2.5.4.6") => "C",
        o if o == ObjectIdentifier::new_unwrap("2.5.4.7") => "L",
        o if o == ObjectIdentifier::new_unwrap("2.5.4.8") => "ST",
        o if o == ObjectIdentifier::new_unwrap("2.5.4.9") => "STREET",
        o if o == ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.1") => "E",
        _ => return None,
    })
}

fn subject(name: &Name) -> Subject {
    let parts: Vec<String> = name
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .map(|atv| {
            let key = short_name(&atv.oid)
                .map(str::to_owned)
                .unwrap_or_else(|| atv.oid.to_string());
            let value = text(&atv.value).unwrap_or_else(|| {
                format!("#{}", hex::encode(atv.value.to_der().unwrap_or_default()))
            });
            format!("{key}={value}")
        })
        .collect();
    Subject {
        common_name: first(name, &CN),
        surname: first(name, &SURNAME),
        given_name: first(name, &GIVEN_NAME),
        title: first(name, &TITLE),
        organization: first(name, &ORGANIZATION),
        organizational_unit: first(name, &ORGANIZATIONAL_UNIT),
        inn: first(name, &INN).or_else(|| first(name, &INN_LE)),
        ogrn: first(name, &OGRN),
        snils: first(name, &SNILS),
        text: parts.join(","),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn garbage_is_refused_not_panicked_on() {
        for raw in [
            &b""[..],
            b"   ",
            b"hello",
            b"\x30",
            b"\x30\x84\xff\xff\xff\xff",
            b"\x30\x80\x30\x80\x30\x80",
            b"-----BEGIN PKCS7-----\n!!!\n-----END PKCS7-----\n",
            // a ContentInfo that is data, not signedData
            b"\x30\x0f\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01\xa0\x02\x04\x00",
        ] {
            assert!(parse(raw, b"file").is_err(), "{raw:?}");
        }
    }

    #[test]
    fn deep_nesting_and_huge_lengths_are_refused() {
        // 100000 nested SEQUENCEs with indefinite and with long-form lengths
        let mut deep = Vec::new();
        for _ in 0..100_000 {
            deep.extend_from_slice(&[0x30, 0x80]);
        }
        assert!(parse(&deep, b"f").is_err());
        let mut huge = vec![0x30, 0x84, 0x7f, 0xff, 0xff, 0xff];
        huge.extend(std::iter::repeat_n(0x30, 1000));
        assert!(parse(&huge, b"f").is_err());
        // larger than the limit
        assert!(parse(&vec![0x30; MAX_SIGNATURE_BYTES + 1], b"f").is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&bytes, b"file");
        }

        #[test]
        fn a_der_prefix_never_panics(mut bytes in proptest::collection::vec(any::<u8>(), 0..256), tag in 0u8..=255) {
            bytes.insert(0, tag);
            bytes.insert(0, 0x30);
            let _ = parse(&bytes, b"file");
        }
    }
}

#[cfg(test)]
mod fixture_tests {
    use super::*;

    const FILE: &[u8] = include_bytes!("../../tests/fixtures/files/part.csv");
    const SIG: &[u8] = include_bytes!("../../tests/fixtures/files/part.csv.sig");
    const PEM: &[u8] = include_bytes!("../../tests/fixtures/files/part.csv.p7s.pem");

    #[test]
    fn an_openssl_detached_signature_is_parsed() {
        let info = parse(SIG, FILE).unwrap();
        assert!(info.detached);
        assert_eq!(info.digest_matches, Some(true));
        let [s] = info.signers.as_slice() else {
            panic!("one signer expected: {info:?}")
        };
        let subject = s.subject.as_ref().unwrap();
        assert_eq!(
            subject.common_name.as_deref(),
            Some("Иванова Мария Петровна")
        );
        assert_eq!(subject.surname.as_deref(), Some("Иванова"));
        assert_eq!(subject.given_name.as_deref(), Some("Мария Петровна"));
        assert_eq!(subject.title.as_deref(), Some("Начальник отдела"));
        assert_eq!(subject.inn.as_deref(), Some("000562075470"));
        assert_eq!(subject.ogrn.as_deref(), Some("1100562000460"));
        assert_eq!(subject.snils.as_deref(), Some("12345678901"));
        assert!(
            subject.text.contains("T=Начальник отдела"),
            "{}",
            subject.text
        );
        // self-signed: the issuer is the subject
        assert_eq!(s.issuer.as_deref(), Some("Иванова Мария Петровна"));
        assert_eq!(s.digest_algorithm_name.as_deref(), Some("sha256"));
        assert!(s.signing_time.is_some());
        assert!(s.not_before < s.not_after);
        assert!(s.serial.as_ref().is_some_and(|x| !x.is_empty()));
        // the PEM form says the same
        assert_eq!(parse(PEM, FILE).unwrap().digest_matches, Some(true));
    }

    #[test]
    fn another_file_does_not_match() {
        let mut tampered = FILE.to_vec();
        tampered[0] ^= 1;
        assert_eq!(parse(SIG, &tampered).unwrap().digest_matches, Some(false));
    }

    #[test]
    fn every_truncation_and_byte_flip_is_handled() {
        for n in 0..SIG.len() {
            assert!(parse(&SIG[..n], FILE).is_err(), "a prefix of {n} bytes");
        }
        // flipped bytes: refused or parsed, never a panic
        for i in (0..SIG.len()).step_by(7) {
            let mut s = SIG.to_vec();
            s[i] ^= 0xff;
            let _ = parse(&s, FILE);
        }
    }

    #[test]
    fn streebog_digests_are_known() {
        let mut d = Digests::new(b"");
        assert_eq!(d.of(&STREEBOG_256).unwrap().1.len(), 32);
        assert_eq!(d.of(&STREEBOG_512).unwrap().1.len(), 64);
        assert!(d.of(&ObjectIdentifier::new_unwrap("1.2.3")).is_none());
    }
}
