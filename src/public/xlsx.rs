//! The official form as an Excel workbook (R15): a header block with the agency, version,
//! approval date and SHA-256, the six columns with Russian headers, directions and processes
//! merged over the rows they span as in the seeds' tables, widths and wrapping that print on
//! A4 landscape.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use super::render::{interaction_cell, spans, touchpoint_cell, Document, Meta};
use crate::domain::register::{AgencyInfo, RegisterContent};
use crate::error::{ApiError, ApiResult};

/// Name of the agency's own sheet.
pub const SHEET: &str = "Перечень";

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
    for (col, width) in [
        (0u16, 5.0),
        (1, 28.0),
        (2, 36.0),
        (3, 36.0),
        (4, 34.0),
        (5, 22.0),
    ] {
        ws.set_column_width(col, width)?;
    }
    for col in 6..=last {
        ws.set_column_width(col, 20.0)?;
    }
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

    let mut row: u32 = 0;
    for line in &doc.approval {
        ws.merge_range(row, 0, row, last, line, &right)?;
        row += 1;
    }
    if !doc.approval.is_empty() {
        row += 1;
    }
    let count = doc.tables.len();
    for (t, (lines, rows)) in doc.tables.iter().enumerate() {
        for line in lines {
            ws.merge_range(row, 0, row, last, line, &title)?;
            row += 1;
        }
        if t == 0 {
            for (i, c) in header.iter().enumerate() {
                ws.write_string_with_format(row, i as u16, c, &head)?;
            }
            ws.set_row_height(row, 45)?;
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
                    ws.write_number_with_format(at, 0, f64::from(r.n), &cell)?;
                    ws.write_string_with_format(at, 3, touchpoint_cell(r), &cell)?;
                    ws.write_string_with_format(at, 4, interaction_cell(r), &cell)?;
                    ws.write_string_with_format(
                        at,
                        5,
                        super::render::features_text(r, &doc.profile.marks),
                        &cell,
                    )?;
                    for col in 6..=last {
                        ws.write_blank(at, col, &cell)?;
                    }
                }
                merge(ws, j, proc_span, 2, &rows[j].process)?;
            }
            merge(ws, i, dir_span, 1, &rows[i].direction)?;
        }
        row += rows.len() as u32;
        if t + 1 < count {
            row += 1;
        }
    }
    if !doc.profile.footnotes.is_empty() {
        row += 1;
        for f in &doc.profile.footnotes {
            ws.merge_range(row, 0, row, last, f, &small)?;
            row += 1;
        }
    }
    row += 1;
    ws.merge_range(row, 0, row, last, &meta.line(), &small)?;
    Ok(())
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
