//! A small streaming reader for the first sheet of an XLSX workbook, made for untrusted uploads.
//!
//! Only what the official form needs is read: the first sheet's cell values (shared strings,
//! inline strings with rich text, numbers, booleans, error values, formulas' cached values).
//! Nothing the file declares about itself is believed: `count`/`uniqueCount` of the shared
//! strings and the sheet's `<dimension>` are ignored, and every allocation is sized by what is
//! actually read, within the bounds below. A cell with a value outside [`MAX_ROWS`] ×
//! [`MAX_COLUMNS`] refuses the file; empty cells are skipped wherever they are. A document type
//! declaration (`<!DOCTYPE`, hence any custom entity) refuses the file as well: a spreadsheet
//! never needs one, and only the five predefined entities and character references are resolved.
//! Element and attribute names are matched by their local name, so strict OOXML (other
//! namespace prefixes) reads the same.

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Cursor, Read};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::file::{column_letter, FileError};

/// Rows of the form a workbook may use: the official form never needs more than a few thousand.
pub const MAX_ROWS: usize = 20_000;
/// Columns of the form a workbook may use: the official form has six, plus a few for notes.
pub const MAX_COLUMNS: usize = 64;
/// Shared strings read from `xl/sharedStrings.xml` (whatever its `uniqueCount` says).
pub const MAX_SHARED_STRINGS: usize = 200_000;
/// Total text placed in the grid. A shared string is stored once but may be referenced by
/// every cell, so the copies are counted.
pub const MAX_GRID_TEXT_BYTES: usize = 32 * 1024 * 1024;
/// Decompressed size of the whole archive (declared and actually read).
pub const MAX_UNCOMPRESSED: u64 = 64 * 1024 * 1024;
/// Entries in the archive.
pub const MAX_ZIP_ENTRIES: usize = 2_000;

/// Where the first sheet is when the workbook does not say.
const DEFAULT_SHEET: &str = "xl/worksheets/sheet1.xml";

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// The cells of the first sheet as rows of text, from `A1`; rows and columns before the last
/// value of each row are padded with empty strings.
pub fn read_first_sheet(bytes: &[u8]) -> Result<Vec<Vec<String>>, FileError> {
    let mut zip = open_archive(bytes)?;
    let sheet = first_sheet_path(&mut zip)?;
    let shared = match entry(&mut zip, "xl/sharedStrings.xml") {
        Some(r) => shared_strings(r?)?,
        None => Vec::new(),
    };
    let sheet = if zip.index_for_name(&sheet).is_some() {
        sheet
    } else {
        DEFAULT_SHEET.to_owned()
    };
    let reader = entry(&mut zip, &sheet)
        .ok_or_else(|| FileError::Unreadable("the workbook has no sheet".into()))??;
    read_sheet(reader, &shared)
}

/// Opens the archive and looks inside before any XML is parsed: a bomb is refused by its
/// declared sizes, and a lying entry by reading at most the limit.
fn open_archive(bytes: &[u8]) -> Result<Archive<'_>, FileError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| FileError::Unreadable(format!("not an XLSX file: {e}")))?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(FileError::TooLarge(format!(
            "{} entries in the archive",
            zip.len()
        )));
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut f = zip
            .by_index(i)
            .map_err(|e| FileError::Unreadable(format!("broken XLSX: {e}")))?;
        total = total.saturating_add(f.size());
        if total > MAX_UNCOMPRESSED {
            return Err(FileError::TooLarge(format!(
                "the workbook unpacks to more than {} MiB",
                MAX_UNCOMPRESSED / 1024 / 1024
            )));
        }
        let read = std::io::copy(
            &mut (&mut f).take(MAX_UNCOMPRESSED + 1),
            &mut std::io::sink(),
        )
        .map_err(|e| FileError::Unreadable(format!("broken XLSX: {e}")))?;
        if read > f.size() || read > MAX_UNCOMPRESSED {
            return Err(FileError::TooLarge(
                "an entry unpacks to more than it declares".into(),
            ));
        }
    }
    Ok(zip)
}

type Xml<'a, 'b> = Reader<BufReader<std::io::Take<zip::read::ZipFile<'a, Cursor<&'b [u8]>>>>>;

/// An XML reader over an entry (read through `take`, whatever it declares), or None when the
/// archive has no such entry.
fn entry<'a, 'b>(zip: &'a mut Archive<'b>, name: &str) -> Option<Result<Xml<'a, 'b>, FileError>> {
    match zip.by_name(name) {
        Ok(f) => Some(Ok(Reader::from_reader(BufReader::new(
            f.take(MAX_UNCOMPRESSED + 1),
        )))),
        Err(zip::result::ZipError::FileNotFound) => None,
        Err(e) => Some(Err(FileError::Unreadable(format!("broken XLSX: {e}")))),
    }
}

/// The next event, with XML errors and any document type declaration refused.
fn next<'b, R: BufRead>(
    xml: &mut Reader<R>,
    buf: &'b mut Vec<u8>,
    part: &str,
) -> Result<Event<'b>, FileError> {
    buf.clear();
    match xml.read_event_into(buf) {
        Ok(Event::DocType(_)) => Err(FileError::Unreadable(format!(
            "{part} declares a document type (<!DOCTYPE>), which a workbook never needs"
        ))),
        Ok(e) => Ok(e),
        Err(e) => Err(FileError::Unreadable(format!("broken XML in {part}: {e}"))),
    }
}

fn is(e: &BytesStart<'_>, local: &str) -> bool {
    e.local_name().as_ref() == local
}

/// The value of the attribute with this local name (`r:id` and `id` alike).
fn attr(e: &BytesStart<'_>, local: &str, part: &str) -> Result<Option<String>, FileError> {
    for a in e.attributes() {
        let a = a.map_err(|err| FileError::Unreadable(format!("broken XML in {part}: {err}")))?;
        if a.key.local_name().as_ref() == local {
            let v = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| FileError::Unreadable(format!("broken XML in {part}: {err}")))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

fn preserves_space(e: &BytesStart<'_>, part: &str) -> Result<bool, FileError> {
    for a in e.attributes() {
        let a = a.map_err(|err| FileError::Unreadable(format!("broken XML in {part}: {err}")))?;
        if a.key.as_ref() == "xml:space" {
            return Ok(a.value.as_ref() == "preserve");
        }
    }
    Ok(false)
}

/// Appends the text of a text-like event; other events are ignored. Only the predefined
/// entities and character references exist.
fn push_text(event: &Event<'_>, out: &mut String, part: &str) -> Result<(), FileError> {
    match event {
        Event::Text(t) => out.push_str(&t.xml10_content()),
        Event::CData(t) => out.push_str(&t.xml10_content()),
        Event::GeneralRef(r) => {
            if let Some(c) = r
                .resolve_char_ref()
                .map_err(|e| FileError::Unreadable(format!("broken XML in {part}: {e}")))?
            {
                out.push(c);
            } else {
                out.push_str(match &**r {
                    "lt" => "<",
                    "gt" => ">",
                    "amp" => "&",
                    "apos" => "'",
                    "quot" => "\"",
                    other => {
                        return Err(FileError::Unreadable(format!(
                            "{part} uses the undefined entity &{};",
                            other.chars().take(40).collect::<String>()
                        )))
                    }
                });
            }
        }
        _ => {}
    }
    Ok(())
}

/// The text of one `<t>`: trimmed of XML white space unless `xml:space="preserve"`, and with
/// the OOXML `_xHHHH_` escapes decoded.
fn finish_t(raw: &str, preserve: bool) -> String {
    let s = if preserve {
        raw
    } else {
        raw.trim_matches([' ', '\t', '\r', '\n'])
    };
    unescape_ooxml(s).into_owned()
}

/// Decodes `_xHHHH_` (UTF-16 code units, as Excel writes control characters).
fn unescape_ooxml(s: &str) -> Cow<'_, str> {
    if !s.contains("_x") {
        return Cow::Borrowed(s);
    }
    let code = |at: usize| -> Option<u16> {
        let b = s.as_bytes();
        if b.len() >= at + 7
            && &b[at..at + 2] == b"_x"
            && b[at + 6] == b'_'
            && b[at + 2..at + 6].iter().all(u8::is_ascii_hexdigit)
        {
            u16::from_str_radix(&s[at + 2..at + 6], 16).ok()
        } else {
            None
        }
    };
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if let Some(unit) = code(i) {
            i += 7;
            if (0xD800..0xDC00).contains(&unit) {
                if let Some(low @ 0xDC00..=0xDFFF) = code(i) {
                    i += 7;
                    out.push(
                        char::decode_utf16([unit, low])
                            .next()
                            .and_then(Result::ok)
                            .unwrap_or(char::REPLACEMENT_CHARACTER),
                    );
                    continue;
                }
            }
            out.push(char::from_u32(unit as u32).unwrap_or(char::REPLACEMENT_CHARACTER));
        } else {
            let c = s[i..].chars().next().unwrap_or(char::REPLACEMENT_CHARACTER);
            out.push(c);
            i += c.len_utf8().max(1);
        }
    }
    Cow::Owned(out)
}

/// The path of the first sheet: `xl/workbook.xml`'s first `<sheet r:id>`, looked up in
/// `xl/_rels/workbook.xml.rels`; `xl/worksheets/sheet1.xml` when either says nothing.
fn first_sheet_path(zip: &mut Archive<'_>) -> Result<String, FileError> {
    let Some(rid) = first_sheet_rid(zip)? else {
        return Ok(DEFAULT_SHEET.to_owned());
    };
    let Some(xml) = entry(zip, "xl/_rels/workbook.xml.rels") else {
        return Ok(DEFAULT_SHEET.to_owned());
    };
    let mut xml = xml?;
    let part = "xl/_rels/workbook.xml.rels";
    let mut buf = Vec::new();
    loop {
        match next(&mut xml, &mut buf, part)? {
            Event::Start(e) | Event::Empty(e)
                if is(&e, "Relationship")
                    && attr(&e, "Id", part)?.as_deref() == Some(rid.as_str()) =>
            {
                return Ok(attr(&e, "Target", part)?
                    .map(|t| resolve_target(&t))
                    .unwrap_or_else(|| DEFAULT_SHEET.to_owned()));
            }
            Event::Eof => return Ok(DEFAULT_SHEET.to_owned()),
            _ => {}
        }
    }
}

fn first_sheet_rid(zip: &mut Archive<'_>) -> Result<Option<String>, FileError> {
    let Some(xml) = entry(zip, "xl/workbook.xml") else {
        return Ok(None);
    };
    let mut xml = xml?;
    let part = "xl/workbook.xml";
    let mut buf = Vec::new();
    loop {
        match next(&mut xml, &mut buf, part)? {
            Event::Start(e) | Event::Empty(e) if is(&e, "sheet") => return attr(&e, "id", part),
            Event::Eof => return Ok(None),
            _ => {}
        }
    }
}

/// A relationship target, relative to `xl/` unless absolute (`/xl/...`), as an archive path.
fn resolve_target(target: &str) -> String {
    let joined = match target.strip_prefix('/') {
        Some(abs) => abs.to_owned(),
        None => format!("xl/{target}"),
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// Text being collected inside `<si>` or `<is>`: runs of `<t>`, phonetic runs skipped.
#[derive(Default)]
struct RichText {
    text: String,
    in_t: bool,
    preserve: bool,
    t_buf: String,
    phonetic: bool,
}

impl RichText {
    /// Feeds one event met inside the string.
    fn feed(&mut self, event: &Event<'_>, part: &str) -> Result<(), FileError> {
        match event {
            Event::Start(e) if is(e, "rPh") => self.phonetic = true,
            Event::End(e) if e.local_name().as_ref() == "rPh" => self.phonetic = false,
            Event::Start(e) if is(e, "t") && !self.phonetic => {
                self.in_t = true;
                self.preserve = preserves_space(e, part)?;
                self.t_buf.clear();
            }
            Event::End(e) if e.local_name().as_ref() == "t" && self.in_t => {
                self.in_t = false;
                self.text.push_str(&finish_t(&self.t_buf, self.preserve));
            }
            other if self.in_t => push_text(other, &mut self.t_buf, part)?,
            _ => {}
        }
        Ok(())
    }
}

/// The shared strings, in order, at most [`MAX_SHARED_STRINGS`]; `count` and `uniqueCount` are
/// not read.
fn shared_strings<R: BufRead>(mut xml: Reader<R>) -> Result<Vec<String>, FileError> {
    let part = "xl/sharedStrings.xml";
    let mut out = Vec::new();
    let mut buf = Vec::new();
    let mut current: Option<RichText> = None;
    loop {
        let event = next(&mut xml, &mut buf, part)?;
        match &event {
            Event::Start(e) if is(e, "si") => current = Some(RichText::default()),
            Event::Empty(e) if is(e, "si") => push_shared(&mut out, String::new())?,
            Event::End(e) if e.local_name().as_ref() == "si" => {
                if let Some(s) = current.take() {
                    push_shared(&mut out, s.text)?;
                }
            }
            Event::Eof => return Ok(out),
            other => {
                if let Some(s) = current.as_mut() {
                    s.feed(other, part)?;
                }
            }
        }
    }
}

fn push_shared(out: &mut Vec<String>, s: String) -> Result<(), FileError> {
    if out.len() >= MAX_SHARED_STRINGS {
        return Err(FileError::OutOfBounds(format!(
            "the workbook has more than {MAX_SHARED_STRINGS} shared strings"
        )));
    }
    out.push(s);
    Ok(())
}

/// A cell reference such as `B12` as 0-based (column, row); numbers past the bounds saturate.
fn parse_ref(r: &str) -> Option<(usize, usize)> {
    let letters = r.bytes().take_while(u8::is_ascii_alphabetic).count();
    let (col, row) = r.split_at(letters);
    if letters == 0 || row.is_empty() || !row.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let col = col.bytes().fold(0usize, |n, b| {
        n.saturating_mul(26)
            .saturating_add((b.to_ascii_uppercase() - b'A' + 1) as usize)
    });
    let row = row.bytes().fold(0usize, |n, b| {
        n.saturating_mul(10).saturating_add((b - b'0') as usize)
    });
    if row == 0 {
        return None;
    }
    Some((col - 1, row - 1))
}

/// What the `t` attribute of a cell says its `<v>` is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CellType {
    Number,
    Shared,
    Inline,
    Bool,
    Text,
}

struct Cell {
    col: usize,
    row: usize,
    /// The reference as written, for messages (shortened).
    name: String,
    kind: CellType,
    value: Option<String>,
    in_v: bool,
    inline: Option<RichText>,
}

/// The grid being built: sized by the cells with a value, never by anything declared.
#[derive(Default)]
struct Grid {
    rows: Vec<Vec<String>>,
    text_bytes: usize,
}

impl Grid {
    fn put(&mut self, cell: &Cell, value: String) -> Result<(), FileError> {
        if value.is_empty() {
            return Ok(());
        }
        if cell.row >= MAX_ROWS || cell.col >= MAX_COLUMNS {
            return Err(FileError::OutOfBounds(format!("cell {} is outside the form's bounds: at most {MAX_COLUMNS} columns and {MAX_ROWS} rows", cell.name)));
        }
        self.text_bytes += value.len();
        if self.text_bytes > MAX_GRID_TEXT_BYTES {
            return Err(FileError::TooLarge(format!(
                "the sheet holds more than {} MiB of text",
                MAX_GRID_TEXT_BYTES / 1024 / 1024
            )));
        }
        if self.rows.len() <= cell.row {
            self.rows.resize_with(cell.row + 1, Vec::new);
        }
        let row = &mut self.rows[cell.row];
        if row.len() <= cell.col {
            row.resize_with(cell.col + 1, String::new);
        }
        row[cell.col] = value;
        Ok(())
    }
}

/// A whole number prints as an integer (`7`, not `7.0`), as the form's numbering expects.
fn number_text(raw: &str) -> String {
    match raw.trim().parse::<f64>() {
        Ok(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        Ok(f) if f.is_finite() => format!("{f}"),
        _ => raw.to_owned(),
    }
}

fn cell_value(cell: &mut Cell, shared: &[String], part: &str) -> Result<String, FileError> {
    if let Some(inline) = cell.inline.take() {
        if cell.kind == CellType::Inline || cell.value.is_none() {
            return Ok(inline.text);
        }
    }
    let Some(v) = cell.value.take() else {
        return Ok(String::new());
    };
    Ok(match cell.kind {
        CellType::Shared => {
            let i: usize = v.trim().parse().map_err(|_| {
                FileError::Unreadable(format!(
                    "cell {} in {part}: «{}» is not a shared string index",
                    cell.name,
                    v.chars().take(20).collect::<String>()
                ))
            })?;
            shared.get(i).cloned().ok_or_else(|| {
                FileError::Unreadable(format!(
                    "cell {} in {part} refers to shared string {i}, which does not exist",
                    cell.name
                ))
            })?
        }
        CellType::Bool => match v.trim() {
            "1" | "true" => "true".to_owned(),
            "0" | "false" => "false".to_owned(),
            _ => v,
        },
        CellType::Number => number_text(&v),
        CellType::Inline | CellType::Text => v,
    })
}

/// Reads `<sheetData>` cell by cell; `<dimension>` and everything else is ignored.
fn read_sheet<R: BufRead>(
    mut xml: Reader<R>,
    shared: &[String],
) -> Result<Vec<Vec<String>>, FileError> {
    let part = "the sheet";
    let mut grid = Grid::default();
    let mut buf = Vec::new();
    let mut in_data = false;
    // 0-based row of the current <row>, and where the next row and cell go without `r`
    let mut row = 0usize;
    let mut next_row = 0usize;
    let mut next_col = 0usize;
    let mut cell: Option<Cell> = None;
    loop {
        let event = next(&mut xml, &mut buf, part)?;
        match &event {
            Event::Eof => break,
            Event::Start(e) if is(e, "sheetData") => in_data = true,
            Event::End(e) if e.local_name().as_ref() == "sheetData" => in_data = false,
            _ if !in_data => {}
            Event::Start(e) | Event::Empty(e) if is(e, "row") => {
                row = match attr(e, "r", part)? {
                    Some(r) => match r.trim().parse::<u64>() {
                        Ok(0) => {
                            return Err(FileError::Unreadable(format!(
                                "{part} has a row numbered 0"
                            )))
                        }
                        Ok(n) => usize::try_from(n - 1).unwrap_or(usize::MAX),
                        Err(_) if !r.is_empty() && r.trim().bytes().all(|b| b.is_ascii_digit()) => {
                            usize::MAX
                        }
                        Err(_) => {
                            return Err(FileError::Unreadable(format!(
                                "{part} has a row numbered «{}»",
                                r.chars().take(20).collect::<String>()
                            )))
                        }
                    },
                    None => next_row,
                };
                next_row = row.saturating_add(1);
                next_col = 0;
            }
            Event::Start(e) | Event::Empty(e) if is(e, "c") => {
                let (col, r, name) = match attr(e, "r", part)? {
                    Some(reference) => {
                        let (col, r) = parse_ref(&reference).ok_or_else(|| {
                            FileError::Unreadable(format!(
                                "{part} has a cell named «{}»",
                                reference.chars().take(20).collect::<String>()
                            ))
                        })?;
                        (col, r, reference.chars().take(20).collect())
                    }
                    None => (
                        next_col,
                        row,
                        format!(
                            "{}{}",
                            column_letter(next_col.min(usize::MAX - 1)),
                            row.saturating_add(1)
                        ),
                    ),
                };
                next_col = col.saturating_add(1);
                let kind = match attr(e, "t", part)?.as_deref() {
                    Some("s") => CellType::Shared,
                    Some("inlineStr") => CellType::Inline,
                    Some("b") => CellType::Bool,
                    Some("str" | "e" | "d") => CellType::Text,
                    _ => CellType::Number,
                };
                // an empty element has no value: skipped wherever it is
                cell = matches!(event, Event::Start(_)).then_some(Cell {
                    col,
                    row: r,
                    name,
                    kind,
                    value: None,
                    in_v: false,
                    inline: None,
                });
            }
            Event::End(e) if e.local_name().as_ref() == "c" => {
                if let Some(mut c) = cell.take() {
                    let value = cell_value(&mut c, shared, part)?;
                    grid.put(&c, value)?;
                }
            }
            other => {
                let Some(c) = cell.as_mut() else { continue };
                match other {
                    Event::Start(e) if is(e, "v") && c.inline.is_none() => {
                        c.in_v = true;
                        c.value = Some(String::new());
                    }
                    Event::Empty(e) if is(e, "v") && c.inline.is_none() => {
                        c.value = Some(String::new())
                    }
                    Event::End(e) if e.local_name().as_ref() == "v" => c.in_v = false,
                    Event::Start(e) if is(e, "is") => c.inline = Some(RichText::default()),
                    other if c.in_v => {
                        push_text(other, c.value.get_or_insert_with(String::new), part)?
                    }
                    other => {
                        if let Some(s) = c.inline.as_mut() {
                            s.feed(other, part)?;
                        }
                    }
                }
            }
        }
    }
    Ok(grid.rows)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const NS: &str = r#"xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;

    /// A workbook from its parts (name, XML).
    fn book(parts: &[(&str, String)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut zip = zip::ZipWriter::new(Cursor::new(&mut out));
        for (name, xml) in parts {
            zip.start_file(
                *name,
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated),
            )
            .unwrap();
            zip.write_all(xml.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
        out
    }

    fn sheet(data: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet {NS}><sheetData>{data}</sheetData></worksheet>"#
        )
    }

    fn with_shared(shared: &str, data: &str) -> Vec<u8> {
        book(&[
            (
                "xl/sharedStrings.xml",
                format!(r#"<sst {NS} count="3" uniqueCount="3">{shared}</sst>"#),
            ),
            ("xl/worksheets/sheet1.xml", sheet(data)),
        ])
    }

    #[test]
    fn shared_strings_and_rich_text_without_phonetics() {
        let bytes = with_shared(
            r#"<si><t>Телефон</t></si><si><r><rPr><b/></rPr><t xml:space="preserve">Сайт </t></r><r><t>www.example.ru</t></r><rPh sb="0" eb="1"><t>ふりがな</t></rPh></si><si/><si><t>a &amp; b &#1046; _x000D_</t></si>"#,
            r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row>"#,
        );
        assert_eq!(
            read_first_sheet(&bytes).unwrap(),
            vec![vec!["Телефон", "Сайт www.example.ru", "", "a & b Ж \r"]]
        );
    }

    #[test]
    fn inline_strings_numbers_booleans_and_formulas() {
        let bytes = book(&[(
            "xl/worksheets/sheet1.xml",
            sheet(
                r#"<row r="2"><c r="B2" t="inlineStr"><is><t>один</t></is></c><c r="C2" t="inlineStr"><is><r><t>два</t></r><r><t xml:space="preserve"> три</t></r></is></c></row>
                <row r="3"><c r="A3"><v>7</v></c><c r="B3" t="n"><v>2.5</v></c><c r="C3" t="b"><v>1</v></c><c r="D3" t="e"><v>#DIV/0!</v></c><c r="E3"><f>A3*2</f><v>14</v></c><c r="F3" t="str"><f>"x"&amp;"y"</f><v>xy</v></c><c r="G3" s="1"/><c r="H3"><v></v></c></row>
                <row><c><v>1</v></c><c><v>2</v></c></row>"#,
            ),
        )]);
        assert_eq!(
            read_first_sheet(&bytes).unwrap(),
            vec![
                vec![],
                vec!["", "один", "два три"],
                vec!["7", "2.5", "true", "#DIV/0!", "14", "xy"],
                vec!["1", "2"]
            ]
        );
    }

    #[test]
    fn the_first_sheet_is_found_through_the_workbook_and_strict_prefixes_read_the_same() {
        let strict = r#"xmlns:x="http://purl.oclc.org/ooxml/spreadsheetml/main" xmlns:r="http://purl.oclc.org/ooxml/officeDocument/relationships""#;
        let bytes = book(&[
            ("xl/workbook.xml", format!(r#"<x:workbook {strict}><x:sheets><x:sheet name="Форма" sheetId="7" r:id="rId3"/><x:sheet name="Другой" sheetId="1" r:id="rId1"/></x:sheets></x:workbook>"#)),
            (
                "xl/_rels/workbook.xml.rels",
                r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="x" Target="worksheets/sheet1.xml"/><Relationship Id="rId3" Type="x" Target="/xl/worksheets/../worksheets/form.xml"/></Relationships>"#.to_owned(),
            ),
            ("xl/worksheets/sheet1.xml", sheet(r#"<row r="1"><c r="A1" t="inlineStr"><is><t>wrong sheet</t></is></c></row>"#)),
            ("xl/worksheets/form.xml", format!(r#"<x:worksheet {strict}><x:dimension ref="A1:XFD1048576"/><x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>форма</x:t></x:is></x:c></x:row></x:sheetData></x:worksheet>"#)),
        ]);
        assert_eq!(read_first_sheet(&bytes).unwrap(), vec![vec!["форма"]]);
    }

    #[test]
    fn cells_outside_the_bounds_are_refused_by_name_and_empty_ones_skipped() {
        let bytes = book(&[(
            "xl/worksheets/sheet1.xml",
            sheet(
                r#"<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>y</t></is></c></row>"#,
            ),
        )]);
        let err = read_first_sheet(&bytes).unwrap_err();
        assert_eq!(
            err,
            FileError::OutOfBounds(
                "cell XFD1048576 is outside the form's bounds: at most 64 columns and 20000 rows"
                    .into()
            )
        );
        let bytes = book(&[(
            "xl/worksheets/sheet1.xml",
            sheet(
                r#"<row r="1"><c r="A1"><v>1</v></c><c r="XFD1048576" s="3"/><c r="ZZZZZZZZZZZZZZZZZZZZZZ99999999999999999999999"></c></row>"#,
            ),
        )]);
        assert_eq!(read_first_sheet(&bytes).unwrap(), vec![vec!["1"]]);
    }

    #[test]
    fn declared_counts_are_not_believed() {
        let bytes = book(&[
            (
                "xl/sharedStrings.xml",
                format!(
                    r#"<sst {NS} count="1000000000000" uniqueCount="1000000000000"><si><t>a</t></si></sst>"#
                ),
            ),
            (
                "xl/worksheets/sheet1.xml",
                format!(
                    r#"<worksheet {NS}><dimension ref="A1:XFD1048576"/><sheetData><row r="1" spans="1:16384"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>"#
                ),
            ),
        ]);
        assert_eq!(read_first_sheet(&bytes).unwrap(), vec![vec!["a"]]);
    }

    #[test]
    fn a_document_type_or_an_unknown_entity_refuses_the_file() {
        let xxe = book(&[(
            "xl/worksheets/sheet1.xml",
            format!(
                r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><worksheet {NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&e;</t></is></c></row></sheetData></worksheet>"#
            ),
        )]);
        assert!(
            matches!(read_first_sheet(&xxe), Err(FileError::Unreadable(m)) if m.contains("DOCTYPE")),
            "{:?}",
            read_first_sheet(&xxe)
        );
        let undefined = book(&[(
            "xl/worksheets/sheet1.xml",
            sheet(r#"<row r="1"><c r="A1" t="inlineStr"><is><t>&e;</t></is></c></row>"#),
        )]);
        assert!(matches!(
            read_first_sheet(&undefined),
            Err(FileError::Unreadable(_))
        ));
        let bad_index = book(&[(
            "xl/worksheets/sheet1.xml",
            sheet(r#"<row r="1"><c r="A1" t="s"><v>5</v></c></row>"#),
        )]);
        assert!(matches!(
            read_first_sheet(&bad_index),
            Err(FileError::Unreadable(_))
        ));
    }

    #[test]
    fn a_workbook_written_by_rust_xlsxwriter_round_trips() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "№").unwrap();
        ws.write_string(0, 1, "Точка взаимодействия").unwrap();
        ws.write_number(1, 0, 1).unwrap();
        ws.write_string(1, 1, "Телефон: +7 (8722) 51-61-22\nпн–пт")
            .unwrap();
        ws.write_number(2, 0, 2.75).unwrap();
        ws.write_boolean(2, 1, false).unwrap();
        ws.merge_range(3, 0, 3, 2, "merged", &rust_xlsxwriter::Format::new())
            .unwrap();
        ws.write_string(5, 3, "  spaced  ").unwrap();
        let second = wb.add_worksheet();
        second.write_string(0, 0, "not this one").unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let grid = read_first_sheet(&bytes).unwrap();
        assert_eq!(grid[0], vec!["№", "Точка взаимодействия"]);
        assert_eq!(grid[1], vec!["1", "Телефон: +7 (8722) 51-61-22\nпн–пт"]);
        assert_eq!(grid[2], vec!["2.75", "false"]);
        assert_eq!(grid[3], vec!["merged"], "merged cells read as empty");
        assert!(grid[4].is_empty());
        assert_eq!(grid[5], vec!["", "", "", "  spaced  "]);
        assert_eq!(grid.len(), 6);
    }

    #[test]
    fn references_and_escapes() {
        assert_eq!(parse_ref("A1"), Some((0, 0)));
        assert_eq!(parse_ref("xfd1048576"), Some((16383, 1048575)));
        assert_eq!(parse_ref("AB12"), Some((27, 11)));
        assert_eq!(parse_ref("A0"), None);
        assert_eq!(parse_ref("12"), None);
        assert_eq!(parse_ref("A1B"), None);
        assert!(parse_ref("ZZZZZZZZZZZZZZZZZZZZZZZZZZZ999999999999999999999999999").is_some());
        assert_eq!(
            unescape_ooxml("a_x000D_b_x0041_ _xD83D__xDE00_ _x12_"),
            "a\rbA 😀 _x12_"
        );
        assert_eq!(
            resolve_target("worksheets/sheet2.xml"),
            "xl/worksheets/sheet2.xml"
        );
        assert_eq!(
            resolve_target("/xl/worksheets/sheet2.xml"),
            "xl/worksheets/sheet2.xml"
        );
        assert_eq!(number_text("3.0"), "3");
        assert_eq!(number_text("1e20"), "100000000000000000000");
    }
}
