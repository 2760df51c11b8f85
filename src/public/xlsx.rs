//! The official form as an Excel workbook (R15): a header block with the agency, version,
//! approval date and SHA-256, the six columns with Russian headers, directions and processes
//! merged over the rows they span as in the seeds' tables, widths and wrapping that print on
//! A4 landscape.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use super::render::{interaction_cell, spans, touchpoint_cell, Document, Meta};
use crate::domain::form::Marks;
use crate::domain::register::{AgencyInfo, RegisterContent, RegisterRow};
use crate::error::{ApiError, ApiResult};

/// Name of the agency's own sheet.
pub const SHEET: &str = "Перечень";

/// Widths of the six columns, in characters (Excel's unit: the width of «0» in the default
/// 11 pt font); extra columns of the profile are [`EXTRA_WIDTH`] wide.
pub const WIDTHS: [f64; 6] = [5.0, 28.0, 36.0, 36.0, 34.0, 22.0];
/// Width of each extra column of the profile.
pub const EXTRA_WIDTH: f64 = 20.0;
/// The workbook's default font size (Calibri / Carlito), points.
pub const FONT_PT: f64 = 11.0;
/// Excel's largest row height, points.
const MAX_ROW_PT: f64 = 409.0;

/// Lines a wrapped cell of `width_chars` characters (at the 11 pt default font) needs for
/// `text`: split on the explicit line breaks, each paragraph word-wrapped (a word longer than
/// the line is broken), an empty text still one line. The count is generous for a
/// proportional font and Cyrillic: a line holds one character less than the column width
/// (the cell's padding), never fewer than one.
pub fn lines_needed(text: &str, width_chars: f64) -> usize {
    let per_line = ((width_chars - 1.0).floor() as usize).max(1);
    text.split('\n')
        .map(|paragraph| {
            let mut lines = 0;
            let mut used = 0; // characters on the current line, 0 = none yet
            for word in paragraph.split_whitespace() {
                let len = word.chars().count();
                if used > 0 && used + 1 + len <= per_line {
                    used += 1 + len;
                    continue;
                }
                // a new line (or lines, for a word longer than one)
                lines += len.div_ceil(per_line).max(1);
                used = match len % per_line {
                    0 if len > 0 => per_line,
                    rest => rest,
                };
            }
            lines.max(1)
        })
        .sum::<usize>()
        .max(1)
}

/// Height, in points, of a row whose cells (text, width in characters) wrap at `font_pt`
/// (`bold` counts a tenth more width per character): the tallest cell's lines at 1.3 × the
/// font size each, plus 4 pt of padding, rounded up to whole pixels; within Excel's 409 pt.
pub fn text_height(cells: &[(&str, f64)], font_pt: f64, bold: bool) -> f64 {
    let scale = FONT_PT / font_pt * if bold { 0.9 } else { 1.0 };
    let lines = cells
        .iter()
        .map(|(text, width)| lines_needed(text, width * scale))
        .max()
        .unwrap_or(1);
    whole_pixels(lines as f64 * font_pt * 1.3 + 4.0)
}

/// Rounded up to whole pixels (¾ pt: the file stores heights on that grid), within 409 pt.
fn whole_pixels(points: f64) -> f64 {
    ((points / 0.75 - 1e-9).ceil() * 0.75).min(MAX_ROW_PT)
}

/// Height of a row of the table (default font, not bold): `cells[i]` in column `i`, widths
/// from [`column_widths`].
pub fn row_height(cells: &[&str], widths: &[f64]) -> f64 {
    let pairs: Vec<(&str, f64)> = cells.iter().copied().zip(widths.iter().copied()).collect();
    text_height(&pairs, FONT_PT, false)
}

/// Each column's width for a sheet of `columns` columns.
pub fn column_widths(columns: usize) -> Vec<f64> {
    (0..columns)
        .map(|c| WIDTHS.get(c).copied().unwrap_or(EXTRA_WIDTH))
        .collect()
}

/// Row of the column headers (0-based): under the approval block (and a blank row) and the
/// first table's title.
pub fn header_row(content: &RegisterContent) -> u32 {
    let doc = Document::of(content);
    let approval = doc.approval.len() + usize::from(!doc.approval.is_empty());
    (approval + doc.tables.first().map(|t| t.0.len()).unwrap_or(0)) as u32
}

/// One sheet of the form as the profile prints it: the approval block right-aligned, each
/// table's title, the header (once, repeated on every printed page: an importer finds the one
/// header row), under each title the «1 2 3 4 5 6» row and the table's rows numbered from 1,
/// directions and processes merged over the rows they span; then the footnotes and the
/// version line with the SHA-256.
fn write_sheet(
    wb: &mut Workbook,
    name: &str,
    content: &RegisterContent,
    meta: &Meta<'_>,
) -> Result<(), XlsxError> {
    let doc = Document::of(content);
    let header = doc.header();
    let last = (header.len() - 1) as u16;
    let ws = wb.add_worksheet();
    ws.set_name(name)?;
    ws.set_landscape();
    ws.set_paper_size(9); // A4
    ws.set_print_fit_to_pages(1, 0);
    ws.set_footer("&C&P / &N");
    let widths = column_widths(header.len());
    for (col, width) in widths.iter().enumerate() {
        ws.set_column_width(col as u16, *width)?;
    }
    // merged over the whole table's width: the approval block, titles, footnotes
    let full: f64 = widths.iter().sum();
    let wide = |ws: &mut rust_xlsxwriter::Worksheet, row: u32, text: &str, pt: f64, bold: bool| {
        ws.set_row_height(row, text_height(&[(text, full)], pt, bold))
            .map(|_| ())
    };
    let title = Format::new()
        .set_bold()
        .set_font_size(13)
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    let right = Format::new().set_align(FormatAlign::Right).set_text_wrap();
    let small = Format::new().set_font_size(9).set_text_wrap();
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color(0xEEEEEE);
    let numbers = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center);
    let cell = Format::new()
        .set_text_wrap()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Top);
    let number = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::Top);

    let mut row: u32 = 0;
    for line in &doc.approval {
        ws.merge_range(row, 0, row, last, line, &right)?;
        wide(ws, row, line, FONT_PT, false)?;
        row += 1;
    }
    if !doc.approval.is_empty() {
        row += 1;
    }
    let count = doc.tables.len();
    let mut breaks = Vec::new();
    for (t, (lines, rows)) in doc.tables.iter().enumerate() {
        if t > 0 {
            // each further table starts a page: its title never stands alone at a page's foot
            breaks.push(row);
        }
        for line in lines {
            ws.merge_range(row, 0, row, last, line, &title)?;
            wide(ws, row, line, 13.0, true)?;
            row += 1;
        }
        if t == 0 {
            for (i, c) in header.iter().enumerate() {
                ws.write_string_with_format(row, i as u16, c, &head)?;
            }
            let cells: Vec<(&str, f64)> = header
                .iter()
                .map(String::as_str)
                .zip(widths.iter().copied())
                .collect();
            ws.set_row_height(row, text_height(&cells, FONT_PT, true))?;
            ws.set_repeat_rows(row, row)?;
            row += 1;
        }
        if doc.profile.number_row {
            for (i, n) in (1..=header.len()).enumerate() {
                ws.write_number_with_format(row, i as u16, n as f64, &numbers)?;
            }
            row += 1;
        }
        let first = row;
        let merge = |ws: &mut rust_xlsxwriter::Worksheet,
                     start: usize,
                     span: usize,
                     col: u16,
                     text: &str|
         -> Result<(), XlsxError> {
            let (top, bottom) = (first + start as u32, first + (start + span) as u32 - 1);
            if span > 1 {
                ws.merge_range(top, col, bottom, col, text, &cell)?;
            } else {
                ws.write_string_with_format(top, col, text, &cell)?;
            }
            Ok(())
        };
        for (i, dir_span, processes) in spans(rows) {
            for (j, proc_span) in processes {
                for (k, r) in rows.iter().enumerate().skip(j).take(proc_span) {
                    let at = first + k as u32;
                    ws.write_number_with_format(at, 0, f64::from(r.n), &number)?;
                    let cells = doc.cells(r);
                    for col in 3..=last {
                        match cells.get(usize::from(col)).filter(|c| !c.is_empty()) {
                            Some(text) => ws.write_string_with_format(at, col, text, &cell)?,
                            None => ws.write_blank(at, col, &cell)?,
                        };
                    }
                }
                merge(ws, j, proc_span, 2, &rows[j].process)?;
            }
            merge(ws, i, dir_span, 1, &rows[i].direction)?;
        }
        for (k, h) in data_heights(rows, &widths, &doc.profile.marks)
            .into_iter()
            .enumerate()
        {
            ws.set_row_height(first + k as u32, h)?;
        }
        row += rows.len() as u32;
        if t + 1 < count {
            row += 1;
        }
    }
    if !breaks.is_empty() {
        ws.set_page_breaks(&breaks)?;
    }
    if !doc.profile.footnotes.is_empty() {
        row += 1;
        for f in &doc.profile.footnotes {
            ws.merge_range(row, 0, row, last, f, &small)?;
            wide(ws, row, f, 9.0, false)?;
            row += 1;
        }
    }
    row += 1;
    let line = meta.line();
    ws.merge_range(row, 0, row, last, &line, &small)?;
    wide(ws, row, &line, 9.0, false)?;
    Ok(())
}

/// Heights of a table's rows: each row's own cells (№, columns 4–6), then a direction or
/// process merged over several rows spreads what its text lacks over the rows it spans.
pub fn data_heights(rows: &[RegisterRow], widths: &[f64], marks: &Marks) -> Vec<f64> {
    let mut heights: Vec<f64> = rows
        .iter()
        .map(|r| {
            let texts = [
                r.n.to_string(),
                String::new(),
                String::new(),
                touchpoint_cell(r),
                interaction_cell(r),
                super::render::features_text(r, marks),
            ];
            let cells: Vec<&str> = texts.iter().map(String::as_str).collect();
            row_height(&cells, widths)
        })
        .collect();
    let grow = |heights: &mut [f64], text: &str, width: f64| {
        let needed = row_height(&[text], &[width]);
        let have: f64 = heights.iter().sum();
        if have < needed {
            let more = (needed - have) / heights.len() as f64;
            for h in heights.iter_mut() {
                *h = whole_pixels(*h + more);
            }
        }
    };
    for (i, dir_span, processes) in spans(rows) {
        for (j, proc_span) in processes {
            grow(&mut heights[j..j + proc_span], &rows[j].process, widths[2]);
        }
        grow(&mut heights[i..i + dir_span], &rows[i].direction, widths[1]);
    }
    heights
}

fn build(
    content: &RegisterContent,
    meta: &Meta<'_>,
    sections: &[(&RegisterContent, Meta<'_>)],
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    write_sheet(&mut wb, SHEET, content, meta)?;
    for (i, (section, meta)) in sections.iter().enumerate() {
        write_sheet(
            &mut wb,
            &section_sheet_name(i + 1, &section.agency),
            section,
            meta,
        )?;
    }
    wb.save_to_buffer()
}

pub fn workbook(content: &RegisterContent, meta: &Meta<'_>) -> ApiResult<Vec<u8>> {
    build(content, meta, &[]).map_err(|e| ApiError::Internal(anyhow::anyhow!("xlsx: {e}")))
}

/// The agency's sheet followed by one sheet per section (another body's register, each in
/// the official form with its own header block: name, version, approval date, SHA-256).
pub fn workbook_with_sections(
    content: &RegisterContent,
    meta: &Meta<'_>,
    sections: &[(&RegisterContent, Meta<'_>)],
) -> ApiResult<Vec<u8>> {
    build(content, meta, sections).map_err(|e| ApiError::Internal(anyhow::anyhow!("xlsx: {e}")))
}

/// A section's sheet: `N. <short name or name>`, within Excel's 31 characters and without
/// the characters a sheet name may not hold; the number keeps names unique.
pub fn section_sheet_name(n: usize, agency: &AgencyInfo) -> String {
    let name = agency.short_name.as_deref().unwrap_or(&agency.name);
    let clean: String = format!("{n}. {name}")
        .chars()
        .map(|c| {
            if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') || c.is_control() {
                ' '
            } else {
                c
            }
        })
        .take(31)
        .collect();
    clean.trim_end_matches([' ', '\'']).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_by_words_and_line_breaks() {
        assert_eq!(lines_needed("", 10.0), 1);
        assert_eq!(lines_needed("Телефон", 10.0), 1);
        // 9 characters a line: «аааа бббб» fits, a third word goes on
        assert_eq!(lines_needed("аааа бббб", 10.0), 1);
        assert_eq!(lines_needed("аааа бббб вввв", 10.0), 2);
        assert_eq!(lines_needed("аааа\nбббб", 10.0), 2);
        assert_eq!(lines_needed("а\n\nб", 10.0), 3);
        // a word longer than the line is broken
        assert_eq!(lines_needed("абвгдеёжзийклмнопрс", 10.0), 3);
        assert_eq!(lines_needed("абвгдеёжз к", 10.0), 2);
        assert_eq!(lines_needed("x", 0.5), 1);
    }

    #[test]
    fn row_height_is_the_tallest_cell() {
        let one = row_height(&["1"], &[5.0]);
        assert!((14.0..=20.0).contains(&one), "{one}");
        let three = row_height(&["1", "аааа\nбббб\nвввв"], &[5.0, 36.0]);
        let exact = 3.0 * 1.3 * FONT_PT + 4.0;
        assert!((exact..exact + 0.75).contains(&three), "{three}");
        assert_eq!((three / 0.75).fract(), 0.0, "whole pixels");
        // a bigger font needs more height and holds fewer characters a line
        let text = "слово ".repeat(10);
        assert!(
            text_height(&[(&text, 30.0)], 13.0, true) > text_height(&[(&text, 30.0)], 11.0, false)
        );
        assert!(row_height(&[&"слово ".repeat(2000)], &[10.0]) <= MAX_ROW_PT);
    }

    #[test]
    fn section_sheet_names_are_valid_and_numbered() {
        let agency = AgencyInfo {
            id: uuid::Uuid::nil(),
            parent_id: None,
            name:
                "ГБУ РД «Центр [информационных]: технологий» / филиал и ещё очень длинное название'"
                    .into(),
            short_name: None,
            region: "Республика Дагестан".into(),
            website: None,
        };
        let name = section_sheet_name(12, &agency);
        assert!(name.starts_with("12. ГБУ РД"), "{name}");
        assert!(name.chars().count() <= 31, "{name}");
        assert!(!name.contains(['[', ']', ':', '/']), "{name}");
        let short = AgencyInfo {
            short_name: Some("УКС".into()),
            ..agency
        };
        assert_eq!(section_sheet_name(1, &short), "1. УКС");
    }
}
