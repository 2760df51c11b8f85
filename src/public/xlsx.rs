//! The official form as an Excel workbook (R15): a header block with the agency, version,
//! approval date and SHA-256, the six columns with Russian headers, directions and processes
//! merged over the rows they span as in the seeds' tables, widths and wrapping that print on
//! A4 landscape.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use super::render::{features_cell, interaction_cell, spans, touchpoint_cell, Meta};
use crate::domain::register::{AgencyInfo, RegisterContent, COLUMNS};
use crate::error::{ApiError, ApiResult};

/// Row of the column headers (0-based); the header block sits above it.
pub const HEADER_ROW: u32 = 4;

/// Name of the agency's own sheet.
pub const SHEET: &str = "Перечень";

/// One sheet of the form: the header block, the column headers, the rows.
fn write_sheet(
    wb: &mut Workbook,
    name: &str,
    content: &RegisterContent,
    meta: &Meta<'_>,
) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(name)?;
    ws.set_landscape();
    ws.set_paper_size(9); // A4
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(HEADER_ROW, HEADER_ROW)?;
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
    let title = Format::new()
        .set_bold()
        .set_font_size(13)
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    let small = Format::new().set_font_size(9);
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color(0xEEEEEE);
    let cell = Format::new()
        .set_text_wrap()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Top);

    ws.merge_range(
        0,
        0,
        0,
        5,
        "Перечень точек взаимодействия с клиентом",
        &title,
    )?;
    ws.merge_range(1, 0, 1, 5, &content.agency.name, &title)?;
    ws.set_row_height(1, 32)?;
    ws.merge_range(2, 0, 2, 5, &meta.line(), &small)?;
    for (i, c) in COLUMNS.iter().enumerate() {
        ws.write_string_with_format(HEADER_ROW, i as u16, *c, &head)?;
    }
    ws.set_row_height(HEADER_ROW, 45)?;

    let rows = &content.rows;
    let first = HEADER_ROW + 1;
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
                let row = first + k as u32;
                ws.write_number_with_format(row, 0, f64::from(r.n), &cell)?;
                ws.write_string_with_format(row, 3, touchpoint_cell(r), &cell)?;
                ws.write_string_with_format(row, 4, interaction_cell(r), &cell)?;
                ws.write_string_with_format(row, 5, features_cell(r), &cell)?;
            }
            merge(ws, j, proc_span, 2, &rows[j].process)?;
        }
        merge(ws, i, dir_span, 1, &rows[i].direction)?;
    }
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
