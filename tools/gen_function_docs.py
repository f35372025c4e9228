"""Generate docs/functions.md and docs/functions.ru.md, the references of the
Excel cell functions, from the docstrings and argument descriptions in
udfs/functions.py (the Russian one from the docstrings' ``RU`` lines, with
formulas in ru-RU syntax: ``;`` between arguments, decimal comma).

Every example is run: the result shown is what the function returns.

    python tools/gen_function_docs.py            # write both files
    python tools/gen_function_docs.py --check    # exit 1 if a file is stale
    python tools/gen_function_docs.py --stdout   # print the English one instead of writing
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "functions.md"
OUT_RU = ROOT / "docs" / "functions.ru.md"

# the argument descriptions live in xlwings' metadata: read it in server mode
os.environ["XLWINGS_LICENSE_KEY"] = os.environ.get("XLWINGS_LICENSE_KEY") or "noncommercial"
os.environ["XLWINGS_ON_SERVER"] = "true"
sys.path.insert(0, str(ROOT))

from udfs import convert as cv  # noqa: E402
from udfs import functions as F  # noqa: E402

GROUPS = [
    ("Segments", ["PSC_SEGMENT", "PSC_CUTS", "PSC_GROUP", "SPL_SEGMENT", "KML_SEGMENT", "DSL_SEGMENT",
                  "DSL_LEVEL", "RFM_SCORE", "RFM_SEGMENT", "ABC_CLASS", "XYZ_CLASS", "QUANTILE_SCORE"]),
    ("Metrics", ["HHI", "SOW", "REGULARITY", "SLOTS", "LTV_B2B"]),
    ("Portfolio", ["BCG_SCORE", "BCG_TIER", "BCG_STRATEGY", "BANT_SCORE"]),
    ("Planning", ["ADP_FORECAST", "PROGRESS_LEVEL"]),
    ("Satisfaction", ["NPS", "CSI", "OTIF"]),
    ("Tables", ["B2B_METRICS", "B2B_SEGMENTS"]),
    ("Two windows", ["CLIENT_STATUS", "PRICE_EFFECT", "VOLUME_EFFECT", "LAPSE_RATIO", "NRR", "GRR"]),
    ("Errors", ["B2B_EXPLAIN"]),
]
TITLES_RU = {"Segments": "Сегменты", "Metrics": "Показатели", "Portfolio": "Портфель",
             "Planning": "Планирование", "Satisfaction": "Удовлетворённость", "Tables": "Таблицы",
             "Errors": "Ошибки", "Two windows": "Два периода"}


def _const(v, lang: str = "en") -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return ("TRUE" if v else "FALSE") if lang == "en" else ("ИСТИНА" if v else "ЛОЖЬ")
    if isinstance(v, str):
        return '"' + v.replace('"', '""') + '"'
    return number(v, lang)


def number(v, lang: str = "en", digits: int | None = None) -> str:
    text = f"{v:.{digits}g}" if digits else (f"{v:g}" if isinstance(v, float) else str(v))
    return text.replace(".", ",") if lang == "ru" else text


def excel_arg(v, lang: str = "en") -> str:
    """A Python argument as an Excel array constant. en-US: columns split by
    ',', rows by ';'; ru-RU: columns by '\\', rows by ';'."""
    col_sep = "," if lang == "en" else "\\"
    if isinstance(v, list):
        rows = v if v and isinstance(v[0], list) else [[x] for x in v]
        if len(rows) == 1 and len(rows[0]) == 1:
            return _const(rows[0][0], lang)
        return "{" + ";".join(col_sep.join(_const(x, lang) for x in r) for r in rows) + "}"
    return _const(v, lang)


def cell(v, lang: str = "en") -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return _const(v, lang)
    if isinstance(v, float):
        return number(v, lang, 6)
    return str(v).replace("|", "\\|")


def result_md(out, lang: str = "en") -> str:
    result, spills = ("Result", "Result (spills)") if lang == "en" else ("Результат", "Результат (массив)")
    if len(out) == 1 and len(out[0]) == 1:
        return f"{result}: `{cell(out[0][0], lang)}`\n"
    width = max(len(r) for r in out)
    lines = [f"{spills}:", "", "|" + "|".join(" " for _ in range(width)) + "|",
             "|" + "|".join("---" for _ in range(width)) + "|"]
    for r in out:
        lines.append("| " + " | ".join(cell(x, lang) for x in r) + " |")
    return "\n".join(lines) + "\n"


def formula(name: str, args: list, lang: str = "en") -> str:
    """The example call as typed into a cell: ',' (en-US) or ';' (ru-RU) between arguments."""
    sep = ", " if lang == "en" else "; "
    shown = [excel_arg(a, lang) for a in args]
    while shown and shown[-1] == "":
        shown.pop()
    return f"={name}(" + sep.join(shown) + ")"


def section(name: str, lang: str = "en") -> str:
    fn = getattr(F, name)
    meta = fn.__xlfunc__
    doc = cv.english_doc(fn).strip().replace("``", "`")
    ru = cv.russian_doc(fn)
    paras = [re.sub(r"\s*\n\s*", " ", p.strip()) for p in re.split(r"\n\s*\n", doc)]
    method = example = None
    body = []
    for p in paras[1:]:
        m = re.match(r"Method: (.*?)(?: Example: (.*))?$", p)
        if m:
            method, example = m.group(1), m.group(2)
        elif p:
            body.append(p)
    sig_sep = ", " if lang == "en" else "; "
    sig = sig_sep.join(f"[{a['name']}]" if "optional" in a else a["name"] for a in meta["args"])
    if lang == "en":
        out = [f"### {name}", "", f"`{name}({sig})`", "", paras[0], ""]
        out += [p + "\n" for p in body]
        if method:
            out += [f"Definition: {method}.", ""]
        out += ["| argument | description |", "|---|---|"]
    else:
        out = [f"### {name}", "", f"`{name}({sig})`", "", ru[""], ""]
        if "note" in ru:
            out += [ru["note"], ""]
        if method:
            out += [f"Определение: {method}.", ""]
        out += ["| аргумент | описание |", "|---|---|"]
    for a in meta["args"]:
        if lang == "en":
            opt = " (optional)" if "optional" in a else ""
            out.append(f"| `{a['name']}`{opt} | {a['doc']} |")
        else:
            opt = " (необязательный)" if "optional" in a else ""
            out.append(f"| `{a['name']}`{opt} | {ru[a['name']]} |")
    out.append("")
    if example:
        call = re.match(r"(\w+)\((.*)\)$", example)
        args = eval("[" + call.group(2) + "]", {})
        result = eval(example, vars(F))
        out += ["Example:" if lang == "en" else "Пример:", "", "```", formula(name, args, lang), "```", "",
                result_md(result, lang)]
    return "\n".join(out)


def _errors_table(lang: str) -> list[str]:
    head = ("| error | when |", "|---|---|") if lang == "en" else ("| ошибка | когда |", "|---|---|")
    when_ru = {"value": "неверный аргумент: текст вместо числа, не та форма или длина диапазона, "
                        "значение вне допустимых границ, неизвестный код или параметр",
               "na": "возвращать нечего: нет ответов, нет покупок в окне, нет заказов с обоими ответами, "
                     "нет критериев с обоими значениями",
               "num": "невозможное число: итог 0, сумма важностей 0, все значения равны, и квантильные "
                      "точки отсечения не могут их разделить"}
    ru_name = {"value": "#ЗНАЧ!", "na": "#Н/Д", "num": "#ЧИСЛО!"}
    rows = [f"| `{e.text}` | {e.when} |" if lang == "en" else f"| `{ru_name[k]}` (`{e.text}`) | {when_ru[k]} |"
            for k, e in cv.ERRORS.items()]
    return list(head) + rows + [""]


INTRO_EN = """\
Type these into cells (classic add-in `xlb2b.xlam`, xlwings Lite or xlwings Server). Every function
takes single cells or whole columns (one row per client) and returns one value or a column that
spills. An empty input cell gives an empty result cell. The section numbers refer to the methodology.
Russian: [`functions.ru.md`](functions.ru.md) (ru-RU syntax).

This file is generated from the function docstrings by `tools/gen_function_docs.py`;
every example's result is computed by calling the function.

## Errors

A function that cannot compute gives a real Excel error value, so `IFERROR`, `ISERROR`, `IFNA`
and conditional formats for errors see it: `=IFERROR(PSC_SEGMENT(B2:B500, C2:C500, D2:D500), "")`.

"""

ERRORS_EN = """\
The reason:

- **xlwings Server and Lite (Office.js)**: for `#VALUE!` hover over the cell's error flag: Excel shows
  the message of `CustomFunctions.Error` (xlwings raises it with `invalidValue` and the message of
  the function's `XlwingsError`). `#N/A` and `#NUM!` carry no message there (Microsoft: `#NUM!`
  takes none; xlwings throws only `invalidValue`).
- **Classic add-in (Windows)**: Excel shows no message with an error value that a function returns.
- **Everywhere**: `=B2B_EXPLAIN("PSC_SEGMENT", B2:B500, C2:C500, D2:D500)` — the same arguments after
  the function's name — returns the reason as text, e.g. `price: value 1 is text 'a', not a number (#VALUE!)`,
  or `OK`.

The functions of xlwings' *Import Functions* (a module `xlwings_udfs` in the workbook) return the text
`#VALUE! <reason>` instead: classic xlwings cannot hand an error value back from Python. Use the
functions of `xlb2b.xlam` (see [install.md](install.md)).

Sources of these choices (nobody has checked them in Excel itself):

- xlwings Server answers an `XlwingsError` with HTTP 400 and its message, any other exception with
  500 and, outside development, "An error occurred." (`xlwings_server/main.py`); its
  `custom-functions-code.js` (`showError`) throws `CustomFunctions.Error(invalidValue, message)` for a
  failed call, "only visible by hovering over the error flag". Lite's runtime returns
  `{"error": str(e)}` for an exception (`xlwings_server/wasm/wasm_runtime.py`), handed to the same
  `showError` ([xlwings-server](https://github.com/xlwings/xlwings-server)).
- xlwings' Office.js engine writes `"#N/A"` and `"#NUM!"` as the error cell values
  `{"type": "Error", "errorType": "NotAvailable" | "Num"}` from custom functions runtime 1.4
  (`xlwings/pro/_xlofficejs.py`, `errorstr_to_errortype`; `custom_functions_meta` sets
  `allowErrorForDataTypeAny`). A `raw` result is handed over unchanged, so the functions return that
  value themselves.
- Microsoft: [`CustomFunctions.Error`](https://learn.microsoft.com/en-us/javascript/api/custom-functions-runtime/customfunctions.error)
  (CustomFunctionsRuntime 1.2) and [`CustomFunctions.ErrorCode`](https://learn.microsoft.com/en-us/javascript/api/custom-functions-runtime/customfunctions.errorcode):
  the message shows in the error indicator menu; `#NUM!` and `#DIV/0!` take no custom message.
- Classic xlwings: the wrappers *Import Functions* writes (`xlwings/udfs.py`,
  `generate_vba_wrapper`) return `Err.Description` as text when Python fails, and a Python result
  cannot be an error value ([xlwings#776](https://github.com/xlwings/xlwings/issues/776)); VBA's
  `CVErr(xlErrValue)` (2015), `CVErr(xlErrNA)` (2042) and `CVErr(xlErrNum)` (2036) are.

## Excel 2016 and 2019 (no dynamic arrays)

A column function returns one value per input row; without dynamic arrays Excel does not spill it.
Two ways:

1. **Array formula over the output range.** Select the output cells (as many rows as the input, e.g.
   `E2:E500` for `B2:B500`), type the formula, and press <kbd>Ctrl</kbd>+<kbd>Shift</kbd>+<kbd>Enter</kbd>
   instead of <kbd>Enter</kbd>. Excel shows it as `{=PSC_SEGMENT(B2:B500,C2:C500,D2:D500)}` and fills
   every selected cell; cells below the last result show `#N/A`. To change it, select the whole range
   again, edit, and press <kbd>Ctrl</kbd>+<kbd>Shift</kbd>+<kbd>Enter</kbd> again.
2. **One cell: `INDEX` over the result.** In `E2`, with <kbd>Enter</kbd>:
   `=INDEX(PSC_SEGMENT($B$2:$B$500,$C$2:$C$500,$D$2:$D$500), ROWS($E$2:E2))`, then fill down. Each cell
   takes its row of the result (the function is computed once per cell: fine for hundreds of rows, slow
   for many thousands, where the array formula is better). A table result such as `B2B_METRICS`
   takes a column too: `INDEX(B2B_METRICS(...), row, column)`.

Functions that return one value (`NPS`, `HHI`, …) need neither.

"""

INTRO_RU = """\
Функции вводятся в ячейки (классическая надстройка `xlb2b.xlam`, xlwings Lite или xlwings Server). Каждая
функция принимает отдельные ячейки или целые столбцы (строка на клиента) и возвращает одно значение
или столбец, который растекается по ячейкам. Пустая входная ячейка даёт пустую ячейку результата.
Номера разделов относятся к методике. Формулы записаны в синтаксисе русского Excel: аргументы через `;`,
десятичная запятая, в константах массива столбцы через `\\`, строки через `;`. Английская версия:
[`functions.md`](functions.md).

Файл создан из docstring-ов функций программой `tools/gen_function_docs.py`; результат каждого
примера получен вызовом функции.

## Ошибки

Функция, которая не может вычислить результат, возвращает настоящее значение ошибки Excel, поэтому
`ЕСЛИОШИБКА`, `ЕОШИБКА`, `ЕСНД` и условное форматирование ошибок его видят:
`=ЕСЛИОШИБКА(PSC_SEGMENT(B2:B500; C2:C500; D2:D500); "")`.

"""

ERRORS_RU = """\
Причина:

- **xlwings Server и Lite (Office.js)**: для `#ЗНАЧ!` наведите указатель на флажок ошибки ячейки: Excel
  покажет сообщение `CustomFunctions.Error` (xlwings передаёт его с кодом `invalidValue`). У `#Н/Д` и
  `#ЧИСЛО!` сообщения там нет.
- **Классическая надстройка (Windows)**: Excel не показывает сообщение у значения ошибки, возвращённого
  функцией.
- **Везде**: `=B2B_EXPLAIN("PSC_SEGMENT"; B2:B500; C2:C500; D2:D500)` — те же аргументы после имени
  функции — возвращает причину текстом (по-английски), например
  `price: value 1 is text 'a', not a number (#VALUE!)`, или `OK`.

Функции, импортированные кнопкой xlwings *Import Functions* (модуль `xlwings_udfs` в книге), вместо
этого возвращают текст `#VALUE! <причина>`: классический xlwings не может вернуть из Python значение
ошибки. Используйте функции надстройки `xlb2b.xlam` (см. [install.md](install.md)). Источники этих
решений перечислены в [английской версии](functions.md#errors).

## Excel 2016 и 2019 (без динамических массивов)

Функция-столбец возвращает по значению на каждую входную строку; без динамических массивов Excel не
растекает результат. Два способа:

1. **Формула массива на диапазон результата.** Выделите ячейки результата (столько строк, сколько во
   входных данных, например `E2:E500` для `B2:B500`), введите формулу и нажмите
   <kbd>Ctrl</kbd>+<kbd>Shift</kbd>+<kbd>Enter</kbd> вместо <kbd>Enter</kbd>. Excel покажет
   `{=PSC_SEGMENT(B2:B500;C2:C500;D2:D500)}` и заполнит все выделенные ячейки; ячейки ниже последнего
   результата покажут `#Н/Д`. Чтобы изменить формулу, снова выделите весь диапазон, измените её и снова
   нажмите <kbd>Ctrl</kbd>+<kbd>Shift</kbd>+<kbd>Enter</kbd>.
2. **Одна ячейка: `ИНДЕКС` по результату.** В `E2`, клавишей <kbd>Enter</kbd>:
   `=ИНДЕКС(PSC_SEGMENT($B$2:$B$500;$C$2:$C$500;$D$2:$D$500); ЧСТРОК($E$2:E2))`, затем протяните вниз.
   Каждая ячейка берёт свою строку результата (функция считается заново в каждой ячейке: годится для
   сотен строк, для многих тысяч лучше формула массива). У таблицы, например `B2B_METRICS`, укажите и
   столбец: `ИНДЕКС(B2B_METRICS(...); строка; столбец)`.

Функциям, возвращающим одно значение (`NPS`, `HHI`, …), это не нужно.

"""


def generate(lang: str = "en") -> str:
    listed = [n for _, names in GROUPS for n in names]
    assert sorted(listed) == sorted(F.__all__), "every function must be in a group"
    if lang == "en":
        parts = ["# Excel functions", "", INTRO_EN.rstrip("\n"), ""] + _errors_table("en") + [ERRORS_EN]
        parts += ["## Reference", ""]
    else:
        parts = ["# Функции Excel", "", INTRO_RU.rstrip("\n"), ""] + _errors_table("ru") + [ERRORS_RU]
        parts += ["## Справочник", ""]
    for title, names in GROUPS:
        shown = title if lang == "en" else TITLES_RU[title]
        parts += [f"- {shown}: " + ", ".join(f"[{n}](#{n.lower()})" for n in names)]
    parts.append("")
    for title, names in GROUPS:
        parts += [f"### {title if lang == 'en' else TITLES_RU[title]}", ""]
        parts += [section(n, lang).replace("\n### ", "\n#### ", 1).replace("### ", "#### ", 1)
                  for n in names]
    return "\n".join(parts).rstrip() + "\n"


def main(argv: list[str]) -> int:
    texts = {OUT: generate("en"), OUT_RU: generate("ru")}
    if "--stdout" in argv:
        sys.stdout.write(texts[OUT])
        return 0
    if "--check" in argv:
        stale = [p for p, t in texts.items() if not p.exists() or p.read_text(encoding="utf-8") != t]
        for p in stale:
            print(f"{p} is out of date: run python tools/gen_function_docs.py", file=sys.stderr)
        return 1 if stale else 0
    for p, t in texts.items():
        p.write_text(t, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
