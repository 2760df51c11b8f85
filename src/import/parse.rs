//! From a file to the rows of the official form: CSV (`;` or `,`, UTF-8 with or without BOM)
//! or XLSX (the first sheet; merged cells read as empty, which the form reads as "continues
//! the one above"). Bad files are refused before any parsing that could be abused.

use super::xlsx;
use crate::domain::{text, ClientType};

pub use super::file::{column_letter, FileError};

/// Rows of a CSV file: the same bound as the XLSX reader's ([`xlsx::MAX_ROWS`]).
pub const MAX_ROWS: usize = xlsx::MAX_ROWS;

/// One data row, with its position in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormRow {
    /// 1-based row number in the file.
    pub line: usize,
    pub direction: String,
    pub process: String,
    pub touchpoint: String,
    pub interaction: String,
    pub features: String,
    /// The table the row stands in, by its heading («…С ВНУТРЕННИМ КЛИЕНТОМ»): the client
    /// type and the heading as written; None when the file names no client type.
    pub table: Option<(ClientType, String)>,
}

/// The client type a heading of the form names: «…с внутренним клиентом» internal, «…с
/// внешним клиентом» external, «…с внешним и внутренним клиентами» both.
pub fn heading_client_type(cell: &str) -> Option<ClientType> {
    let f = f(cell);
    if !f.contains("клиент") {
        return None;
    }
    match (f.contains("внутренним"), f.contains("внешним")) {
        (true, true) => Some(ClientType::Both),
        (true, false) => Some(ClientType::Internal),
        (false, true) => Some(ClientType::External),
        (false, false) => None,
    }
}

/// A row that is a table's heading: one text naming a client type, and nothing in columns 4–6.
fn heading_of(cells: &[String], cols: Option<&Columns>) -> Option<(ClientType, String)> {
    if let Some(c) = cols {
        let filled = |i: usize| cells.get(i).is_some_and(|v| !v.is_empty());
        if filled(c.touchpoint) || filled(c.interaction) || filled(c.features) {
            return None;
        }
    }
    let text: Vec<&str> = cells
        .iter()
        .map(String::as_str)
        .filter(|c| !c.is_empty())
        .collect();
    let text = text.join(" ");
    // «Перечень точек взаимодействия … с внешним клиентом», not a process «… внешним клиентам»
    let folded = f(&text);
    if !(folded.contains("перечен") || folded.contains("точек взаимодейств"))
    {
        return None;
    }
    heading_client_type(&text).map(|ct| (ct, text))
}

/// The header row of the form again (a second table repeats it).
fn is_header(cells: &[String], cols: &Columns) -> bool {
    cells.get(cols.touchpoint).is_some_and(|c| {
        let c = f(c);
        c.contains("точка взаимодействия") || c.contains("точки взаимодействия")
    })
}

/// Column letters of the form's columns, for cell references in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    pub direction: usize,
    pub process: usize,
    pub touchpoint: usize,
    pub interaction: usize,
    pub features: usize,
}

pub fn grid_from_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, FileError> {
    let body = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let text = std::str::from_utf8(body)
        .map_err(|_| FileError::Unreadable("the CSV is not UTF-8 text".into()))?;
    let first = text.lines().next().unwrap_or("");
    let sep = if first.matches(';').count() >= first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sep)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| FileError::Unreadable(format!("CSV: {e}")))?;
        rows.push(rec.iter().map(str::to_owned).collect());
        if rows.len() > MAX_ROWS {
            return Err(FileError::TooLarge(format!("more than {MAX_ROWS} rows")));
        }
    }
    Ok(rows)
}

/// The first sheet of an XLSX workbook (see [`super::xlsx`] for what is read and the bounds).
pub fn grid_from_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, FileError> {
    xlsx::read_first_sheet(bytes)
}

fn f(s: &str) -> String {
    text::fold(s)
}

/// Finds the header row and the form's columns.
pub fn columns(grid: &[Vec<String>]) -> Result<(usize, Columns), FileError> {
    for (i, row) in grid.iter().enumerate().take(50) {
        let find = |pred: &dyn Fn(&str) -> bool| row.iter().position(|c| pred(&f(c)));
        let touchpoint =
            find(&|c| c.contains("точка взаимодействия") || c.contains("точки взаимодействия"));
        let Some(touchpoint) = touchpoint else {
            continue;
        };
        let direction = find(&|c| c.contains("направлени") || c.contains("группы услуг"));
        let process = find(&|c| {
            c.contains("процесс")
                || (c.contains("наименование") && (c.contains("услуги") || c.contains("функции")))
                    && !c.contains("группы")
        });
        let interaction =
            find(&|c| c.contains("осуществляемое взаимодействие") || c.contains("удовлетворяем"));
        let features = find(&|c| c.contains("особенности"));
        let missing: Vec<&str> = [
            ("Направление деятельности", direction),
            ("Наименование конкретного процесса", process),
            ("Осуществляемое взаимодействие с клиентом", interaction),
            ("Особенности взаимодействия с клиентом", features),
        ]
        .iter()
        .filter(|(_, c)| c.is_none())
        .map(|(n, _)| *n)
        .collect();
        if !missing.is_empty() {
            return Err(FileError::WrongColumns(format!(
                "row {} has «Точка взаимодействия» but no column {}",
                i + 1,
                missing.join(", ")
            )));
        }
        return Ok((
            i,
            Columns {
                direction: direction.unwrap_or(0),
                process: process.unwrap_or(0),
                touchpoint,
                interaction: interaction.unwrap_or(0),
                features: features.unwrap_or(0),
            },
        ));
    }
    Err(FileError::WrongColumns("no header row of the official form (№ | Направление деятельности | Наименование конкретного процесса | Точка взаимодействия | Осуществляемое взаимодействие с клиентом | Особенности взаимодействия с клиентом) in the first 50 rows".into()))
}

/// The form's data rows: an empty direction or process continues the one above; the
/// numbering row (1 2 3 4 5 6) and empty rows are skipped.
pub fn rows(grid: &[Vec<String>]) -> Result<(Columns, Vec<FormRow>), FileError> {
    let (header, cols) = columns(grid)?;
    let cell = |row: &Vec<String>, i: usize| {
        text::normalize_spaces(row.get(i).map(String::as_str).unwrap_or(""))
    };
    let (mut direction, mut process) = (String::new(), String::new());
    // the last heading above the header row names the first table's clients
    let mut table = grid[..header].iter().rev().find_map(|row| {
        let cells: Vec<String> = row.iter().map(|c| text::normalize_spaces(c)).collect();
        heading_of(&cells, None)
    });
    let mut out = Vec::new();
    for (i, row) in grid.iter().enumerate().skip(header + 1) {
        let cells: Vec<String> = row.iter().map(|c| text::normalize_spaces(c)).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        if let Some(h) = heading_of(&cells, Some(&cols)) {
            // a new table: its rows continue nothing of the one above
            table = Some(h);
            (direction, process) = (String::new(), String::new());
            continue;
        }
        if is_header(&cells, &cols) {
            continue;
        }
        let numbering = cells
            .iter()
            .filter(|c| !c.is_empty())
            .enumerate()
            .all(|(k, c)| *c == (k + 1).to_string());
        if numbering {
            continue;
        }
        let (d, p) = (cell(row, cols.direction), cell(row, cols.process));
        if !d.is_empty() {
            direction = d;
        }
        if !p.is_empty() {
            process = p;
        }
        out.push(FormRow {
            line: i + 1,
            direction: direction.clone(),
            process: process.clone(),
            touchpoint: cell(row, cols.touchpoint),
            interaction: cell(row, cols.interaction),
            features: cell(row, cols.features),
            table: table.clone(),
        });
    }
    Ok((cols, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_cells_continue_the_one_above() {
        let csv = "\u{feff}№;Направление деятельности;Наименование конкретного процесса;Точка взаимодействия;Осуществляемое взаимодействие с клиентом;Особенности взаимодействия с клиентом\n1;2;3;4;5;6\n1;Рассмотрение обращений;Приём обращений;Телефон: +7(8722) 51-61-22;Получение консультации;Офлайн-точка\n2;;;\"Сайт; www.mchsrd.ru\";Получение информации;Цифровая точка\n\n3;;Информирование;Стенды;Получение информации;Офлайн-точка\n";
        let (cols, rows) = rows(&grid_from_csv(csv.as_bytes()).unwrap()).unwrap();
        assert_eq!(cols.touchpoint, 3);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            (
                rows[1].direction.as_str(),
                rows[1].process.as_str(),
                rows[1].line
            ),
            ("Рассмотрение обращений", "Приём обращений", 4)
        );
        assert_eq!(rows[1].touchpoint, "Сайт; www.mchsrd.ru");
        assert_eq!(
            (rows[2].direction.as_str(), rows[2].process.as_str()),
            ("Рассмотрение обращений", "Информирование")
        );
    }

    #[test]
    fn headings_name_the_clients_of_their_table() {
        let csv = "ПЕРЕЧЕНЬ ТОЧЕК ВЗАИМОДЕЙСТВИЯ МИНИСТЕРСТВА В РАМКАХ ВЗАИМОДЕЙСТВИЯ С ВНУТРЕННИМ КЛИЕНТОМ\n№;Направление деятельности;Наименование конкретного процесса;Точка взаимодействия;Осуществляемое взаимодействие с клиентом;Особенности взаимодействия с клиентом\n1;Кадры;Конкурс;Телефон: +7(8722) 55-05-28;Получение информации;Офлайн-точка\nПЕРЕЧЕНЬ ТОЧЕК ВЗАИМОДЕЙСТВИЯ С ВНЕШНИМ КЛИЕНТОМ;;;;;\n№;Направление деятельности;Наименование конкретного процесса;Точка взаимодействия;Осуществляемое взаимодействие с клиентом;Особенности взаимодействия с клиентом\n1;Обращения;Приём;Телефон: +7(8722) 51-61-22;Получение консультации;Офлайн-точка\n2;;;ЕПГУ;;\n";
        let (_, read) = rows(&grid_from_csv(csv.as_bytes()).unwrap()).unwrap();
        let types: Vec<_> = read
            .iter()
            .map(|r| (r.process.as_str(), r.table.as_ref().map(|t| t.0)))
            .collect();
        assert_eq!(
            types,
            vec![
                ("Конкурс", Some(ClientType::Internal)),
                ("Приём", Some(ClientType::External)),
                ("Приём", Some(ClientType::External)),
            ]
        );
        assert_eq!(
            heading_client_type("Перечень точек взаимодействия агентства в рамках взаимодействия с внешним и внутренним клиентами"),
            Some(ClientType::Both)
        );
        let (_, plain) = rows(&grid_from_csv("№;Направление деятельности;Наименование конкретного процесса;Точка взаимодействия;Осуществляемое взаимодействие с клиентом;Особенности взаимодействия с клиентом\n1;А;Б;ЕПГУ;;\n".as_bytes()).unwrap()).unwrap();
        assert_eq!(plain[0].table, None);
    }

    #[test]
    fn refuses_what_is_not_the_form() {
        assert!(matches!(
            columns(&grid_from_csv("a;b;c\n1;2;3\n".as_bytes()).unwrap()),
            Err(FileError::WrongColumns(_))
        ));
        assert!(matches!(
            grid_from_csv(&[0xff, 0xfe, 0x00]),
            Err(FileError::Unreadable(_))
        ));
        assert!(matches!(
            grid_from_xlsx(b"PK\x03\x04 not really"),
            Err(FileError::Unreadable(_))
        ));
        assert!(matches!(
            grid_from_xlsx(b"hello"),
            Err(FileError::Unreadable(_))
        ));
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(27), "AB");
    }
}
