"""Generates data/calendar/ru.json and the calendar_days migration's INSERT from
Art. 112 of the Labour Code plus the government's transfer decrees, and cross-checks
the result against the `holidays` package (PyPI)."""
import datetime as dt
import json
import sys

import holidays

D = dt.date.fromisoformat
YEARS = [2024, 2025, 2026, 2027]
PROVISIONAL = [2027]
OFFICIAL_TOTALS = {2024: 248, 2025: 247, 2026: 247}

# Art. 112 of the Labour Code: the non-working public holidays.
FIXED = [
    ((1, 1), "Новогодние каникулы"), ((1, 2), "Новогодние каникулы"), ((1, 3), "Новогодние каникулы"),
    ((1, 4), "Новогодние каникулы"), ((1, 5), "Новогодние каникулы"), ((1, 6), "Новогодние каникулы"),
    ((1, 7), "Рождество Христово"), ((1, 8), "Новогодние каникулы"),
    ((2, 23), "День защитника Отечества"), ((3, 8), "Международный женский день"),
    ((5, 1), "Праздник Весны и Труда"), ((5, 9), "День Победы"),
    ((6, 12), "День России"), ((11, 4), "День народного единства"),
]

# Government decrees (source weekend day -> day off). A source that is a public holiday on a
# weekend replaces the Art. 112 automatic move; one that is an ordinary weekend day becomes working.
DECREES = {
    2024: ("постановление Правительства РФ от 10.08.2023 № 1314",
           [("2024-01-06", "2024-05-10"), ("2024-01-07", "2024-12-31"), ("2024-04-27", "2024-04-29"),
            ("2024-11-02", "2024-04-30"), ("2024-12-28", "2024-12-30")]),
    2025: ("постановление Правительства РФ от 04.10.2024 № 1335",
           [("2025-01-04", "2025-05-02"), ("2025-01-05", "2025-12-31"), ("2025-02-23", "2025-05-08"),
            ("2025-03-08", "2025-06-13"), ("2025-11-01", "2025-11-03")]),
    2026: ("постановление Правительства РФ от 24.09.2025 № 1466",
           [("2026-01-03", "2026-01-09"), ("2026-01-04", "2026-12-31")]),
    # Taken from the holidays package 0.109 (it cites ConsultantPlus, cons_doc_LAW_544706);
    # the decree's number, date and text were not verified, hence provisional.
    2027: ("ПРЕДВАРИТЕЛЬНО: переносы взяты из пакета holidays 0.109 (он ссылается на постановление Правительства РФ о переносе выходных дней в 2027 году), номер, дата и текст постановления не сверены",
           [("2027-01-02", "2027-11-05"), ("2027-01-03", "2027-12-31"), ("2027-02-20", "2027-02-22")]),
}


def weekend(d):
    return d.isoweekday() >= 6


def build(year):
    hol = {dt.date(year, m, d): n for (m, d), n in FIXED}
    transfers = [(D(a), D(b)) for a, b in DECREES[year][1]]
    sources = {a for a, _ in transfers}
    off = {d: n for d, n in hol.items() if not weekend(d)}
    working = {}
    for src, dst in transfers:
        assert weekend(src) and not weekend(dst) and dst not in off, (src, dst)
        off[dst] = f"Перенос выходного дня с {src.isoformat()}"
        if src not in hol:
            working[src] = f"Рабочая суббота (перенос на {dst.isoformat()})" if src.isoweekday() == 6 \
                else f"Рабочее воскресенье (перенос на {dst.isoformat()})"
    # Art. 112 part 2: a holiday on a weekend moves the day off to the next working day,
    # except the January ones (their weekend days are moved by the decree only).
    for d, n in sorted(hol.items()):
        if weekend(d) and d.month != 1 and d not in sources:
            nxt = d + dt.timedelta(days=1)
            while weekend(nxt) or nxt in off:
                nxt += dt.timedelta(days=1)
            off[nxt] = f"Перенос выходного дня с {d.isoformat()} (ст. 112 ТК РФ)"
    return off, working


def main():
    non_working, working = {}, {}
    ok = True
    for y in YEARS:
        off, wk = build(y)
        non_working.update(off)
        working.update(wk)
        pkg = holidays.RU(years=y)
        pkg_off = {d for d in pkg if not weekend(d)}
        pkg_wk = set(pkg.weekend_workdays)
        if pkg_off != set(off) or pkg_wk != set(wk):
            ok = False
            print(f"{y}: MISMATCH with holidays: off only ours {sorted(set(off) - pkg_off)}, only pkg {sorted(pkg_off - set(off))};"
                  f" working only ours {sorted(set(wk) - pkg_wk)}, only pkg {sorted(pkg_wk - set(wk))}")
        days = [dt.date(y, 1, 1) + dt.timedelta(i) for i in range((dt.date(y + 1, 1, 1) - dt.date(y, 1, 1)).days)]
        count = sum(1 for d in days if (not weekend(d) and d not in off) or d in wk)
        pkg_count = pkg.get_working_days_count(dt.date(y, 1, 1), dt.date(y, 12, 31))
        official = OFFICIAL_TOTALS.get(y, "— (provisional)")
        print(f"{y}: ours {count}, holidays pkg {pkg_count}, official {official}")
        if y in OFFICIAL_TOTALS and count != OFFICIAL_TOTALS[y]:
            ok = False
    source = ("Ст. 112 ТК РФ; " + "; ".join(f"{y}: {DECREES[y][0]}" for y in YEARS)
              + ". Сверено с пакетом holidays " + holidays.__version__ + " (PyPI).")
    doc = {
        "source": source,
        "years": YEARS,
        "provisional": PROVISIONAL,
        "non_working": [{"date": d.isoformat(), "name": n} for d, n in sorted(non_working.items())],
        "working": [{"date": d.isoformat(), "name": n} for d, n in sorted(working.items())],
    }
    def rows(key):
        return ",\n".join("    " + json.dumps(r, ensure_ascii=False) for r in doc[key])

    text = (
        "{\n"
        f'  "source": {json.dumps(doc["source"], ensure_ascii=False)},\n'
        f'  "years": {json.dumps(doc["years"])},\n'
        f'  "provisional": {json.dumps(doc["provisional"])},\n'
        f'  "non_working": [\n{rows("non_working")}\n  ],\n'
        f'  "working": [\n{rows("working")}\n  ]\n'
        "}\n"
    )
    assert json.loads(text) == doc
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        f.write(text)
    print("OK" if ok else "PROBLEMS")


main()
