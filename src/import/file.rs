//! What both readers of an uploaded file (CSV and XLSX) share: why a file is refused, and how
//! a cell is named in the report.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    /// Not a spreadsheet of the announced type.
    Unreadable(String),
    /// Decompresses to more than the limit (a zip bomb, or simply too large).
    TooLarge(String),
    /// No header row of the official form.
    WrongColumns(String),
    /// A cell with a value outside the form's bounds, or more shared strings than a form needs.
    OutOfBounds(String),
}

/// The spreadsheet letters of a 0-based column: 0 → `A`, 27 → `AB`.
pub fn column_letter(i: usize) -> String {
    let mut n = i + 1;
    let mut s = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        s.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}
