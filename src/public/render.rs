//! The official 6-column form, rendered: CSV as Russian Excel opens it (UTF-8 with BOM, `;`)
//! and a printable HTML page an agency can link from its official site («Документы», R17).
//! Plain functions of the content.

use crate::domain::form::{
    mark_text, FormProfile, HoursPlacement, Marks, Table, TablesLayout, HOURS_COLUMN,
};
use crate::domain::register::{RegisterContent, RegisterRow, COLUMNS};
use crate::domain::{ClientType, Mode};

/// Metadata printed in the header block: a published version, or the working copy.
pub struct Meta<'a> {
    /// None for the working copy.
    pub version: Option<(i32, chrono::DateTime<chrono::Utc>, &'a str)>,
}

impl Meta<'_> {
    /// «Версия 2, утверждена 01.02.2026. SHA-256: …» or «Рабочая копия (не опубликована)».
    pub fn line(&self) -> String {
        match self.version {
            Some((v, approved, sha)) => format!(
                "Версия {v}, утверждена {}. SHA-256: {sha}",
                crate::calendar::local_date(approved).format("%d.%m.%Y")
            ),
            None => "Рабочая копия (не опубликована)".to_owned(),
        }
    }
}

/// Column 4: the agency's own wording of the cell when it has one, else the touchpoint's name
/// with its contacts.
pub fn touchpoint_cell(r: &RegisterRow) -> String {
    match &r.touchpoint {
        None => String::new(),
        Some(t) => column4(t.as_written.as_deref(), &t.name, &t.contacts),
    }
}

/// Column 4 of a touchpoint: `as_written` (the cell as the agency wrote it) when present and
/// not blank, else [`cell_text`] of its name and contacts.
pub fn column4(
    as_written: Option<&str>,
    name: &str,
    contacts: &[crate::domain::Contact],
) -> String {
    match as_written.filter(|w| !w.trim().is_empty()) {
        Some(w) => w.to_owned(),
        None => cell_text(name, contacts),
    }
}

/// `name: contact, contact (label)`, as column 4 prints a touchpoint the agency's wording of
/// which is not known (one made through the API): the contacts' normalised values.
pub fn cell_text(name: &str, contacts: &[crate::domain::Contact]) -> String {
    if contacts.is_empty() {
        return name.to_owned();
    }
    let contacts: Vec<String> = contacts
        .iter()
        .map(|c| match &c.label {
            Some(l) => format!("{} ({l})", c.value),
            None => c.value.clone(),
        })
        .collect();
    format!("{name}: {}", contacts.join(", "))
}

/// Column 5: the agency's wording, or the needs' labels.
pub fn interaction_cell(r: &RegisterRow) -> String {
    match &r.touchpoint {
        None => String::new(),
        Some(t) => t.interaction.clone().unwrap_or_else(|| {
            t.needs
                .iter()
                .map(|n| n.label.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        }),
    }
}

/// Column 6: the agency's wording, else the mark it stated (`stated_mode`), else nothing: the
/// mark the channel rule implies is never printed as if someone had written it (the checker
/// reports the empty cell, `features_not_stated`).
pub fn features_cell(r: &RegisterRow) -> String {
    match &r.touchpoint {
        None => String::new(),
        Some(t) => t
            .features
            .clone()
            .or_else(|| {
                t.stated_mode.map(|m| {
                    match m {
                        Mode::Digital => "Цифровая точка",
                        Mode::Offline => "Офлайн-точка",
                    }
                    .to_owned()
                })
            })
            .unwrap_or_default(),
    }
}

/// Column 6 in the form profile's words: the agency's text as written (through
/// [`features_cell`]), else the profile's mark for a *stated* mode, else nothing — no mark is
/// invented for a touchpoint whose mode nobody stated.
pub fn features_text(r: &RegisterRow, marks: &Marks) -> String {
    match &r.touchpoint {
        None => String::new(),
        Some(t) => match (&t.features, t.stated_mode) {
            (Some(_), _) => features_cell(r),
            (None, Some(m)) => mark_text(m, marks).to_owned(),
            (None, None) => String::new(),
        },
    }
}

/// A register laid out as its form profile prints it: the approval block, then one table
/// (`combined`) or two (`by_client_type`: internal, then external — a process serving both
/// kinds of client is in the external one — each numbered from 1), the header in the
/// agency's wording, the «1 2 3 4 5 6» row, the footnotes.
pub struct Document {
    pub profile: FormProfile,
    /// A column «Режим работы» after the six: the profile places hours in a column and some
    /// row has them.
    pub hours_column: bool,
    /// Printed right-aligned above the title(s); empty when the act is not known.
    pub approval: Vec<String>,
    /// Each table's title (line by line) and rows.
    pub tables: Vec<(Vec<String>, Vec<RegisterRow>)>,
}

impl Document {
    pub fn of(content: &RegisterContent) -> Document {
        let profile = content.profile.clone().unwrap_or_default();
        let approval = content
            .approval
            .as_ref()
            .map(|a| a.lines(&profile))
            .unwrap_or_default();
        let name = content.agency.name.as_str();
        let tables = match profile.tables {
            TablesLayout::Combined => {
                vec![(profile.title(Table::Combined, name), content.rows.clone())]
            }
            TablesLayout::ByClientType => {
                let numbered = |keep: &dyn Fn(ClientType) -> bool| -> Vec<RegisterRow> {
                    let mut rows: Vec<RegisterRow> = content
                        .rows
                        .iter()
                        .filter(|r| keep(r.client_type))
                        .cloned()
                        .collect();
                    for (i, r) in rows.iter_mut().enumerate() {
                        r.n = i as i32 + 1;
                    }
                    rows
                };
                vec![
                    (
                        profile.title(Table::Internal, name),
                        numbered(&|c| c == ClientType::Internal),
                    ),
                    (
                        profile.title(Table::External, name),
                        numbered(&|c| c != ClientType::Internal),
                    ),
                ]
            }
        };
        let hours_column = profile.hours_placement == HoursPlacement::Column
            && content
                .rows
                .iter()
                .any(|r| r.touchpoint.as_ref().is_some_and(|t| t.hours.is_some()));
        Document {
            profile,
            hours_column,
            approval,
            tables,
        }
    }

    pub fn header(&self) -> Vec<String> {
        let mut out = self.profile.header();
        if self.hours_column {
            out.insert(6, HOURS_COLUMN.to_owned());
        }
        out
    }

    /// «1 2 3 4 5 6» (and on, over the extra columns).
    pub fn number_row(&self) -> Vec<String> {
        (1..=self.header().len()).map(|i| i.to_string()).collect()
    }

    /// A row's cells: the six columns, then the (empty) extra ones.
    pub fn cells(&self, r: &RegisterRow) -> Vec<String> {
        let hours = hours_text(r);
        let column4 = match (&hours, self.profile.hours_placement) {
            (Some(h), HoursPlacement::Cell) => format!("{}; режим работы: {h}", touchpoint_cell(r)),
            _ => touchpoint_cell(r),
        };
        let mut out = vec![
            r.n.to_string(),
            r.direction.clone(),
            r.process.clone(),
            column4,
            interaction_cell(r),
            features_text(r, &self.profile.marks),
        ];
        if self.hours_column {
            out.push(hours.unwrap_or_default());
        }
        out.extend(self.profile.extra_columns.iter().map(|_| String::new()));
        out
    }
}

/// A row's opening hours as people read them («Пн–Пт 09:00–18:00; Сб–Вс выходной»).
pub fn hours_text(r: &RegisterRow) -> Option<String> {
    r.touchpoint
        .as_ref()
        .and_then(|t| t.hours.as_ref())
        .map(|h| h.describe_ru())
}

/// One CSV cell: quoted when it holds `;`, `"` or a line break, and never a formula — a cell
/// that a spreadsheet would read as one (`=`, `+`, `-`, `@`, a tab or CR first, after leading
/// spaces) gets a leading `'`, which Excel and LibreOffice show as text (OWASP «CSV
/// injection»). JSON keeps the agency's text as written.
fn csv_field(s: &str) -> String {
    let neutral;
    let s = if starts_a_formula(s) {
        neutral = format!("'{s}");
        neutral.as_str()
    } else {
        s
    };
    if s.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Would a spreadsheet read this cell as a formula?
pub fn starts_a_formula(s: &str) -> bool {
    s.trim_start_matches(' ')
        .starts_with(['=', '+', '-', '@', '\t', '\r'])
}

pub const CSV_BOM: &str = "\u{feff}";

pub fn csv_header() -> String {
    let mut out = String::from(CSV_BOM);
    out.push_str(
        &COLUMNS
            .iter()
            .map(|c| csv_field(c))
            .collect::<Vec<_>>()
            .join(";"),
    );
    out.push_str("\r\n");
    out
}

/// The rows in CSV, numbered from `number_from`; `prefix` (a body's name) goes before each
/// direction in a consolidated file.
pub fn csv_rows(rows: &[RegisterRow], number_from: usize, prefix: Option<&str>) -> String {
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        let direction = match prefix {
            Some(p) => format!("{p}: {}", r.direction),
            None => r.direction.clone(),
        };
        let cells = [
            (number_from + i).to_string(),
            direction,
            r.process.clone(),
            touchpoint_cell(r),
            interaction_cell(r),
            features_cell(r),
        ];
        out.push_str(
            &cells
                .iter()
                .map(|c| csv_field(c))
                .collect::<Vec<_>>()
                .join(";"),
        );
        out.push_str("\r\n");
    }
    out
}

fn csv_line(out: &mut String, cells: &[String]) {
    out.push_str(
        &cells
            .iter()
            .map(|c| csv_field(c))
            .collect::<Vec<_>>()
            .join(";"),
    );
    out.push_str("\r\n");
}

/// The register in CSV, as its form profile prints it, one line per printed line: the
/// approval block and each title line in the first cell of a line of its own; under each
/// table's title its header and the «1 2 3 4 5 6» row, then its rows numbered from 1, as the
/// seeds print each table (`by_client_type`: the second table's title line separates the
/// two; the importer skips a repeated header); the footnotes after the last row. The
/// SHA-256 is the `X-Content-SHA256` header.
pub fn csv(content: &RegisterContent) -> String {
    let doc = Document::of(content);
    let mut out = String::from(CSV_BOM);
    for line in &doc.approval {
        csv_line(&mut out, std::slice::from_ref(line));
    }
    for (title, rows) in &doc.tables {
        for line in title {
            csv_line(&mut out, std::slice::from_ref(line));
        }
        csv_line(&mut out, &doc.header());
        if doc.profile.number_row {
            csv_line(&mut out, &doc.number_row());
        }
        for r in rows {
            csv_line(&mut out, &doc.cells(r));
        }
    }
    for f in &doc.profile.footnotes {
        csv_line(&mut out, std::slice::from_ref(f));
    }
    out
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub const HTML_STYLE: &str = "@page{size:A4 landscape;margin:12mm}body{font-family:'PT Serif','Times New Roman',serif;font-size:11pt;margin:0 auto;max-width:277mm}\
h1{font-size:14pt;text-align:center;margin:0 0 4mm}.meta{font-size:9pt;margin-bottom:4mm}.meta code{font-size:8pt;word-break:break-all}\
table{border-collapse:collapse;width:100%;table-layout:fixed}th,td{border:1px solid #000;padding:2px 4px;vertical-align:top;overflow-wrap:anywhere}\
th{background:#eee}.approval{text-align:right;margin:0 0 4mm 55%}.approval p{margin:0}tr.numbers td{text-align:center;font-size:9pt}.footnotes{font-size:9pt;margin-top:3mm}.footnotes p{margin:0 0 1mm}\
col.n{width:5%}col.d{width:17%}col.p{width:22%}col.t{width:22%}col.i{width:20%}col.f{width:14%}tr{page-break-inside:avoid}";

/// A direction's run of rows: its first row, how many rows, and its processes' `(first, count)`.
pub type DirectionSpan = (usize, usize, Vec<(usize, usize)>);

/// How directions and processes merge over consecutive rows, as in the seeds' tables.
pub fn spans(rows: &[RegisterRow]) -> Vec<DirectionSpan> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let dir_span = rows[i..]
            .iter()
            .take_while(|r| {
                r.direction_id == rows[i].direction_id && r.direction == rows[i].direction
            })
            .count();
        let mut processes = Vec::new();
        let mut j = i;
        while j < i + dir_span {
            let proc_span = rows[j..i + dir_span]
                .iter()
                .take_while(|r| r.process_id == rows[j].process_id)
                .count();
            processes.push((j, proc_span));
            j += proc_span;
        }
        out.push((i, dir_span, processes));
        i += dir_span;
    }
    out
}

/// The rows of a table, directions and processes merged over the rows they span.
pub fn html_rows(rows: &[RegisterRow]) -> String {
    let mut out = String::new();
    for (i, dir_span, processes) in spans(rows) {
        for (j, proc_span) in processes {
            for (k, r) in rows.iter().enumerate().skip(j).take(proc_span) {
                out.push_str(&format!("<tr><td>{}</td>", r.n));
                if k == i {
                    out.push_str(&format!(
                        "<td rowspan=\"{dir_span}\">{}</td>",
                        escape(&r.direction)
                    ));
                }
                if k == j {
                    out.push_str(&format!(
                        "<td rowspan=\"{proc_span}\">{}</td>",
                        escape(&r.process)
                    ));
                }
                out.push_str(&format!(
                    "<td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    escape(&touchpoint_cell(r)),
                    escape(&interaction_cell(r)),
                    escape(&features_cell(r))
                ));
            }
        }
    }
    out
}

pub fn html_table_open() -> String {
    let mut out = String::from("<table><colgroup><col class=\"n\"><col class=\"d\"><col class=\"p\"><col class=\"t\"><col class=\"i\"><col class=\"f\"></colgroup><thead><tr>");
    for c in COLUMNS {
        out.push_str(&format!("<th>{}</th>", escape(c)));
    }
    out.push_str("</tr></thead><tbody>\n");
    out
}

/// The rows of a table with the profile's column 6 and extra columns.
fn html_doc_rows(doc: &Document, rows: &[RegisterRow]) -> String {
    let mut out = String::new();
    for (i, dir_span, processes) in spans(rows) {
        for (j, proc_span) in processes {
            for (k, r) in rows.iter().enumerate().skip(j).take(proc_span) {
                out.push_str(&format!("<tr><td>{}</td>", r.n));
                if k == i {
                    out.push_str(&format!(
                        "<td rowspan=\"{dir_span}\">{}</td>",
                        escape(&r.direction)
                    ));
                }
                if k == j {
                    out.push_str(&format!(
                        "<td rowspan=\"{proc_span}\">{}</td>",
                        escape(&r.process)
                    ));
                }
                for cell in doc.cells(r).iter().skip(3) {
                    out.push_str(&format!("<td>{}</td>", escape(cell)));
                }
                out.push_str("</tr>\n");
            }
        }
    }
    out
}

/// The page up to and including the agency's own table(s) (no closing tags): the approval
/// block, each table with its title, header and «1 2 3 4 5 6» row, the footnotes, then the
/// version and its SHA-256.
fn html_page(content: &RegisterContent, meta: &Meta<'_>) -> String {
    let doc = Document::of(content);
    let a = &content.agency;
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\"><title>Перечень точек взаимодействия — {name}</title><style>{HTML_STYLE}</style><script type=\"application/ld+json\">{ld}</script></head><body>\n",
        name = escape(&a.name),
        // what search engines read: the register in schema.org terms (not executed: a data block)
        ld = super::jsonld::script_text(&super::jsonld::document([content])),
    );
    if !doc.approval.is_empty() {
        out.push_str("<div class=\"approval\">");
        for l in &doc.approval {
            out.push_str(&format!("<p>{}</p>", escape(l)));
        }
        out.push_str("</div>\n");
    }
    let header = doc.header();
    for (title, rows) in &doc.tables {
        let lines: Vec<String> = title.iter().map(|l| escape(l)).collect();
        out.push_str(&format!("<h1>{}</h1>\n", lines.join("<br>")));
        out.push_str("<table><colgroup><col class=\"n\"><col class=\"d\"><col class=\"p\"><col class=\"t\"><col class=\"i\"><col class=\"f\">");
        out.push_str(&"<col>".repeat(header.len() - 6));
        out.push_str("</colgroup><thead><tr>");
        for c in &header {
            out.push_str(&format!("<th>{}</th>", escape(c)));
        }
        out.push_str("</tr>");
        if doc.profile.number_row {
            out.push_str("<tr class=\"numbers\">");
            for n in doc.number_row() {
                out.push_str(&format!("<td>{n}</td>"));
            }
            out.push_str("</tr>");
        }
        out.push_str("</thead><tbody>\n");
        out.push_str(&html_doc_rows(&doc, rows));
        out.push_str("</tbody></table>\n");
    }
    if !doc.profile.footnotes.is_empty() {
        out.push_str("<div class=\"footnotes\">");
        for f in &doc.profile.footnotes {
            out.push_str(&format!("<p>{}</p>", escape(f)));
        }
        out.push_str("</div>\n");
    }
    out.push_str(&format!(
        "<div class=\"meta\">{}</div>",
        escape(&meta.line())
    ));
    out
}

pub fn html(content: &RegisterContent, meta: &Meta<'_>) -> String {
    let mut out = html_page(content, meta);
    out.push_str("</body></html>\n");
    out
}

/// Another body's register as a section of a page: a heading naming it, «Версия N», its
/// SHA-256, then its table (the consolidated region view, a parent's subordinates).
pub fn html_section(name: &str, version: i32, sha256: &str, rows: &[RegisterRow]) -> String {
    let mut out = format!(
        "<h2>{}</h2><div class=\"meta\">Версия {}. SHA-256: <code>{}</code></div>",
        escape(name),
        version,
        sha256
    );
    out.push_str(&html_table_open());
    out.push_str(&html_rows(rows));
    out.push_str("</tbody></table>\n");
    out
}

/// The agency's page followed by sections (already rendered by [`html_section`]).
pub fn html_with_sections(
    content: &RegisterContent,
    meta: &Meta<'_>,
    sections: impl IntoIterator<Item = String>,
) -> String {
    let mut out = html_page(content, meta);
    out.push('\n');
    for s in sections {
        out.push_str(&s);
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_excel_needs() {
        assert_eq!(csv_field("Телефон: +78722516122"), "Телефон: +78722516122");
        assert_eq!(csv_field("a;b"), "\"a;b\"");
        assert_eq!(csv_field("д.124\"а\""), "\"д.124\"\"а\"\"\"");
        assert!(csv_header().starts_with('\u{feff}'));
        assert!(csv_header().contains("Осуществляемое взаимодействие с клиентом;Особенности"));
    }

    #[test]
    fn csv_cells_never_start_a_formula() {
        assert_eq!(
            csv_field("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        );
        assert_eq!(csv_field("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
        assert_eq!(csv_field("  -2+3"), "'  -2+3");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("\t=1"), "'\t=1");
        assert_eq!(csv_field("\r=1"), "\"'\r=1\"");
        // text that merely contains those characters stays as written
        assert_eq!(
            csv_field("Телефон: +7 (8722) 55-05-28"),
            "Телефон: +7 (8722) 55-05-28"
        );
        assert_eq!(csv_field("e-mail: mchs@e-dag.ru"), "e-mail: mchs@e-dag.ru");
        assert!(!starts_a_formula(""));
    }

    #[test]
    fn html_escapes() {
        assert_eq!(escape("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
    }
}
