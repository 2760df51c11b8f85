//! Reading the official form's free text back into structure: the channel and contacts of a
//! column-4 cell, the client needs of a column-5 cell. Plain functions, tuned on the wording
//! of the seeds' tables.

use std::sync::LazyLock;

use regex::Regex;

use crate::domain::contact::{expand_local_phone, normalize_email, normalize_url, read_phone};
use crate::domain::{text, ContactInput, ContactKind};

fn folded(s: &str) -> String {
    crate::domain::text::lower(s).replace('ё', "е")
}

/// The channel type a column-4 cell describes.
pub fn channel(cell: &str, contacts: &[ContactInput]) -> &'static str {
    let t = folded(cell);
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    let kinds = |k: ContactKind| contacts.iter().any(|c| c.kind == k);
    if has(&["рабочих встреч"]) {
        "meeting"
    } else if has(&["почта россии"]) {
        "post"
    } else if has(&["платформа обратной связи", "pos.gosuslugi"]) {
        "pos"
    } else if has(&["епгу", "госуслуг", "gosuslugi.ru"]) {
        "epgu"
    } else if has(&["интернет-приемная", "интернет приемная"]) {
        "internet_reception"
    } else if has(&["service desk", "сервис деск"]) {
        "service_desk"
    } else if has(&["мобильное приложение"]) {
        "mobile_app"
    } else if has(&["чат-бот", "чат бот"]) {
        "chat_bot"
    } else if has(&["голосов"]) {
        "voice_assistant"
    } else if has(&["колл-центр", "call-центр", "контакт-центр"]) {
        "call_center"
    } else if has(&[
        "социальн",
        "вконтакте",
        "в контакте",
        "одноклассники",
        "vk.com",
        "ok.ru",
    ]) {
        "social_network"
    } else if has(&["мессенджер", "телеграм", "telegram", "t.me/", "канал"])
    {
        "messenger"
    } else if has(&["сэд", "«дело»", "directum", "электронного документооборота"])
    {
        "edms"
    } else if has(&["электронная почта", "e-mail", "email"])
        || (kinds(ContactKind::Email) && !kinds(ContactKind::Phone))
    {
        "email"
    } else if has(&["стенд", "табличк"]) {
        "info_stand"
    } else if has(&[
        "единая информационная система",
        "еис",
        "zakupki",
        "pravo.gov",
        "ртс",
        "инцидент",
        "информационн",
        "площадка",
    ]) {
        "information_system"
    } else if has(&["официальный сайт", "сайт"]) {
        "website"
    } else if has(&["корреспонденц"]) {
        "correspondence"
    } else if has(&["мфц", "мои документы"]) {
        "mfc"
    } else if has(&[
        "выездн",
        "контролируемого лиц",
        "место осуществления деятельности",
    ]) {
        "onsite_inspection"
    } else if has(&["рабочее место", "кабинет"]) {
        "workplace"
    } else if has(&["журнал"]) {
        "request_log"
    } else if has(&["прием", "приема"]) {
        "reception"
    } else if has(&["телефон", "тел."]) || kinds(ContactKind::Phone) {
        "phone"
    } else if kinds(ContactKind::Url) {
        "information_system"
    } else {
        "other"
    }
}

// The recognisers run on every column-4 cell of an import, and the cells are Cyrillic: a
// Unicode word boundary (`\b`) there keeps the regex crate off its DFA (it handles `\b`
// only on ASCII text) and sends every cell through the backtracker, hundreds of microseconds
// each. So: the phone and postcode patterns use ASCII boundaries (digits beside Latin letters
// or digits; beside a Cyrillic letter they now count as separated), and the URL pattern leaves
// its leading boundary to [`at_word_start`], which checks it the way `\b` would.
static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:https?://[^\s,;«»<>]+|www\.[^\s,;«»<>]+|[a-zа-я0-9][a-zа-я0-9.-]*\.(?:ru|рф|su|com|org)(?:/[^\s,;«»<>]*)?)").expect("regex")
});
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[a-z0-9._%+-]+@[a-zа-я0-9.-]+\.[a-zа-я]{2,}").expect("regex")
});
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:\+7|(?-u:\b)8)[\s(]*\d{3,5}[\s)]*[\d\s-]{5,12}\d|(?-u:\b)\d{2,3}-\d{2}-\d{2}(?-u:\b)",
    )
    .expect("regex")
});
static POSTCODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u:\b)\d{6}(?-u:\b)").expect("regex"));

/// The matches of `re` in `hay` that start at a word boundary, as `\b` before the pattern
/// would give them (every alternative of `re` starts with a word character): the leftmost
/// match is taken when the character before it is not a word character, else the search goes
/// on from the next character.
fn at_word_start<'h>(re: &Regex, hay: &'h str) -> Vec<regex::Match<'h>> {
    let mut out = Vec::new();
    let mut from = 0;
    while from <= hay.len() {
        let Some(m) = re.find_at(hay, from) else {
            break;
        };
        let glued = hay[..m.start()]
            .chars()
            .next_back()
            .is_some_and(is_word_char);
        if glued {
            from = m.start() + hay[m.start()..].chars().next().map_or(1, char::len_utf8);
        } else {
            out.push(m);
            from = if m.end() > m.start() {
                m.end()
            } else {
                m.end() + 1
            };
        }
    }
    out
}

/// A word character as the regex crate's Unicode `\w` has it.
fn is_word_char(c: char) -> bool {
    regex_syntax::is_word_character(c)
}

/// The contacts written in a column-4 cell, in order, and the name left when they are taken out.
pub fn contacts(cell: &str) -> (String, Vec<ContactInput>) {
    let (name, found) = contacts_as_written(cell);
    (name, found.into_iter().map(|(c, _)| c).collect())
}

/// [`contacts`], each with its spelling in the cell (`51-61-24` for `+78722516124`).
pub fn contacts_as_written(cell: &str) -> (String, Vec<(ContactInput, String)>) {
    let mut rest = cell.to_owned();
    let mut found: Vec<(usize, ContactInput, String)> = Vec::new();
    let lower = folded(cell);
    if lower.contains("почта россии") {
        if let Some(m) = POSTCODE.find(cell) {
            let address = cell[m.start()..].trim().to_owned();
            rest = cell[..m.start()].to_owned();
            found.push((
                m.start(),
                ContactInput {
                    kind: ContactKind::Address,
                    value: address.clone(),
                    label: None,
                },
                address,
            ));
            return (
                clean_name(&rest),
                found.into_iter().map(|(_, c, w)| (c, w)).collect(),
            );
        }
    }
    for m in EMAIL.find_iter(cell) {
        if normalize_email(m.as_str()).is_ok() {
            found.push((
                m.start(),
                ContactInput {
                    kind: ContactKind::Email,
                    value: m.as_str().to_owned(),
                    label: None,
                },
                m.as_str().to_owned(),
            ));
        }
    }
    let emails: Vec<(usize, usize)> = EMAIL
        .find_iter(cell)
        .map(|m| (m.start(), m.end()))
        .collect();
    for m in at_word_start(&URL, cell) {
        let inside_email = emails.iter().any(|(s, e)| m.start() >= *s && m.end() <= *e);
        let value = m.as_str().trim_end_matches(['.', ')']);
        if !inside_email && normalize_url(value).is_ok() {
            found.push((
                m.start(),
                ContactInput {
                    kind: ContactKind::Url,
                    value: value.to_owned(),
                    label: None,
                },
                value.to_owned(),
            ));
        }
    }
    let mut last_phone: Option<String> = None;
    for m in PHONE.find_iter(cell) {
        let raw = m.as_str().trim();
        let value = match read_phone(raw) {
            Ok(v) => Some(v),
            Err(_) => last_phone
                .as_deref()
                .and_then(|p| expand_local_phone(raw, p)),
        };
        if let Some(v) = value {
            last_phone = Some(v.clone());
            found.push((
                m.start(),
                ContactInput {
                    kind: ContactKind::Phone,
                    value: v,
                    label: None,
                },
                raw.to_owned(),
            ));
        }
    }
    found.sort_by_key(|(pos, _, _)| *pos);
    for (_, c, _) in &found {
        rest = rest.replace(&c.value, " ");
    }
    for m in PHONE.find_iter(cell) {
        rest = rest.replace(m.as_str(), " ");
    }
    let mut seen = Vec::new();
    let contacts = found
        .into_iter()
        .map(|(_, c, w)| (c, w))
        .filter(|(c, _)| {
            let key = (c.kind, folded(&c.value));
            if seen.contains(&key) {
                false
            } else {
                seen.push(key);
                true
            }
        })
        .collect();
    (clean_name(&rest), contacts)
}

fn clean_name(rest: &str) -> String {
    let name = match rest.find(':') {
        Some(i) if !rest[..i].trim().is_empty() => &rest[..i],
        _ => rest,
    };
    let name = text::normalize_spaces(name);
    name.trim_matches(|c: char| {
        c == ',' || c == ';' || c == '.' || c == ':' || c == '-' || c.is_whitespace()
    })
    .to_owned()
}

/// The catalog needs a column-5 cell expresses: `other` for a phrase that matches none, and
/// nothing at all for an empty cell (R5 then reports the row rather than a need being invented).
pub fn needs(cell: &str) -> Vec<String> {
    let mut out: Vec<&str> = Vec::new();
    for phrase in folded(cell).split([',', ';', '\n']) {
        let p = phrase.trim();
        if p.is_empty() {
            continue;
        }
        let has = |w: &str| p.contains(w);
        let mut push = |code| {
            if !out.contains(&code) {
                out.push(code);
            }
        };
        if has("ход") && has("рассмотрени") {
            push("progress");
        } else if has("обратн") && has("связ") {
            push(if has("результат") {
                "feedback_result"
            } else {
                "feedback"
            });
        } else if has("форм") && has("документ") && !has("формате") {
            push("document_forms");
        } else if has("консультац") {
            push("consultation");
        } else if has("осмотр") || (has("предоставлен") && has("проверк"))
        {
            push("inspection");
        } else if has("результат") || has("ответ") || has("разъяснен") {
            push("result");
        } else if [
            "подач",
            "представлен",
            "направлен",
            "прием",
            "получение документов",
            "получение заяв",
            "предоставление клиентом",
        ]
        .iter()
        .any(|w| has(w))
        {
            push("submission");
        } else if has("информац") || has("информирован") {
            push("information");
        } else {
            push("other");
        }
    }
    out.into_iter().map(String::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_of_the_seeds() {
        let (_, written) = contacts_as_written("Телефон: +7(8722) 55-05-28, 51-61-24");
        let spelled: Vec<&str> = written.iter().map(|(_, w)| w.as_str()).collect();
        assert_eq!(spelled, vec!["+7(8722) 55-05-28", "51-61-24"]);
        let (name, c) = contacts("Телефон: +7(8722) 55-05-28, 51-61-24");
        assert_eq!(name, "Телефон");
        let values: Vec<&str> = c.iter().map(|c| c.value.as_str()).collect();
        assert_eq!(values, vec!["+78722550528", "+78722516124"]);
        assert_eq!(channel("Телефон: +7(8722) 55-05-28, 51-61-24", &c), "phone");

        let (name, c) = contacts("Электронная почта mchs@e-dag.ru ond.mchs05@mail.ru");
        assert_eq!(name, "Электронная почта");
        assert_eq!(c.len(), 2);
        assert_eq!(channel("Электронная почта mchs@e-dag.ru", &c), "email");

        let (name, c) = contacts("Официальный сайт Министерства: www.mchsrd.ru");
        assert_eq!(
            (name.as_str(), c[0].value.as_str()),
            ("Официальный сайт Министерства", "www.mchsrd.ru")
        );
        assert_eq!(
            channel("Официальный сайт Министерства: www.mchsrd.ru", &c),
            "website"
        );

        let cell = "Почта России 367015 РД, г. Махачкала, ул. Ярагского, д.124\"а\"";
        let (name, c) = contacts(cell);
        assert_eq!(name, "Почта России");
        assert_eq!(c[0].kind, ContactKind::Address);
        assert_eq!(channel(cell, &c), "post");

        let cell = "Проведение рабочих встреч. Тел. +7(8722) 51-61-22";
        assert_eq!(channel(cell, &contacts(cell).1), "meeting");
        assert_eq!(
            channel("Система СЭД «Дело» https://sed.e-dag.ru/", &[]),
            "edms"
        );
        assert_eq!(
            channel("Платформа обратной связи: https://pos.gosuslugi.ru", &[]),
            "pos"
        );
        assert_eq!(
            channel("Место принятия корреспонденции в здании Министерства", &[]),
            "correspondence"
        );
        assert_eq!(
            channel("Место проведения личного приема в здании Министерства", &[]),
            "reception"
        );
        assert_eq!(
            channel("Информационные таблички и стенды", &[]),
            "info_stand"
        );
        assert_eq!(
            channel("Место осуществления деятельности контролируемого лица", &[]),
            "onsite_inspection"
        );
        assert_eq!(channel("ЕПГУ", &[]), "epgu");
    }

    #[test]
    fn boundaries_as_before_the_dfa_rewrite() {
        // a Cyrillic domain after a space starts at a word boundary
        let (_, c) = contacts("Сайт: минздрав.рф, портал gosuslugi.ru");
        let v: Vec<&str> = c.iter().map(|c| c.value.as_str()).collect();
        assert_eq!(v, vec!["минздрав.рф", "gosuslugi.ru"]);
        // an address glued to a word character is not one (`\b` did not start there either)
        assert!(at_word_start(&URL, "_x.ru").is_empty());
        assert_eq!(
            at_word_start(&URL, "абвexample.ru")[0].as_str(),
            "абвexample.ru"
        );
        // a no-break space between the digits of a phone is still a separator
        let (_, c) = contacts("Телефон\u{a0}8\u{a0}(8722)\u{a0}51-61-22");
        assert_eq!(c[0].value, "+78722516122");
        // a local number after a full one, and a postcode only as a whole six-digit group
        let (_, c) = contacts("Тел. +7 (8722) 55-05-28, 51-61-24");
        assert_eq!(c.len(), 2);
        assert!(POSTCODE.find("1234567").is_none());
        assert_eq!(
            POSTCODE.find("индекс 367015, г.").unwrap().as_str(),
            "367015"
        );
    }

    #[test]
    fn needs_of_the_seeds() {
        assert_eq!(
            needs("Получение консультации клиентом, подача устного обращения клиентом, получение информации клиентом о ходе рассмотрения обращения"),
            vec!["consultation", "submission", "progress"]
        );
        assert_eq!(
            needs("Получение информации, получение форм документов"),
            vec!["information", "document_forms"]
        );
        assert_eq!(
            needs("Получение результатов рассмотрения жалобы"),
            vec!["result"]
        );
        assert_eq!(
            needs("Получение обратной связи об удовлетворенности клиента о проделанной работе"),
            vec!["feedback"]
        );
        assert_eq!(
            needs("Подача письменного обращения клиентом в формате электронного документа"),
            vec!["submission"]
        );
        assert!(needs("").is_empty());
        assert!(needs(" ; ").is_empty());
        assert_eq!(needs("Переадресация"), vec!["other"]);
    }
}
