// xlb2b ribbon commands for an xlwings Server app: copy to the app's static/js/ribbon.js.
// Each <FunctionName> of udfs/server/manifest_ribbon.xml runs the script of
// udfs.server.custom_scripts with the same button tag (udfs.scripts.BUTTONS).
//
// Before a script runs, the size of the transactions sheet is checked: a
// book above what one Office.js request carries is not sent at all, and the
// script "size_message" tells the user what to do instead (the text lives in
// Python, in the user's language).  Then the actions the scripts send back that
// the xlwings Server release we document (1.9.3) has no handler for are
// registered here (a handler of the release, when there is one, is kept).
const XLB2B_BUTTONS = {
  "xlb2b-analyze": "analyze_client_base",
  "xlb2b-dynamics": "analyze_two_windows",
  "xlb2b-adp": "build_adp",
  "xlb2b-adp-a": "build_adps_a",
  "xlb2b-bcg": "add_bcg_scoring",
  "xlb2b-checklist": "add_progress_checklist",
  "xlb2b-refresh": "refresh",
  "xlb2b-settings": "open_settings",
  "xlb2b-help": "show_help",
  "xlb2b-fill-template": "fill_template_for_client",
  "xlb2b-refresh-report": "refresh_report_tables",
};

// Sheets each script reads (udfs.scripts.READS): only these are sent to Python.
const XLB2B_INPUT_SHEETS = [
  "Transactions", "Продажи", "Sales", "Транзакции",
  "Clients", "Клиенты", "Customers",
  "Market", "Рынок",
];
const XLB2B_TRANSACTION_SHEETS = XLB2B_INPUT_SHEETS.slice(0, 4);
const XLB2B_ANALYSIS_SHEETS = ["Contents", "Settings", "Содержание", "Настройки"];
const XLB2B_CONTENTS_SHEETS = ["Contents", "Содержание"];
const XLB2B_READS = {
  analyze_client_base: XLB2B_INPUT_SHEETS.concat(XLB2B_ANALYSIS_SHEETS),
  analyze_two_windows: XLB2B_INPUT_SHEETS.concat(XLB2B_ANALYSIS_SHEETS),
  refresh: XLB2B_INPUT_SHEETS.concat(XLB2B_ANALYSIS_SHEETS),
  build_adp: XLB2B_INPUT_SHEETS.concat(XLB2B_CONTENTS_SHEETS),
  build_adps_a: XLB2B_INPUT_SHEETS.concat(XLB2B_CONTENTS_SHEETS),
  add_bcg_scoring: XLB2B_INPUT_SHEETS.concat(XLB2B_CONTENTS_SHEETS),
  add_progress_checklist: XLB2B_INPUT_SHEETS.concat(XLB2B_CONTENTS_SHEETS),
  open_settings: XLB2B_CONTENTS_SHEETS,
  show_help: ["xlb2b: no sheet"],
  // the user's own template and report sheets, whatever their names: every sheet
  fill_template_for_client: null,
  refresh_report_tables: null,
};

// Envelope (docs/install.md): udfs.scripts.MAX_OFFICEJS_CELLS cells of the
// input sheets (transactions, clients, market) everywhere; on Excel on the web also at most
// XLB2B_MAX_REQUEST_BYTES in the request (Excel on the web refuses more than
// 5 MB), estimated with the bytes a cell takes in xlwings' JSON (measured on
// the sample: benchmarks/bench_live.py).
const XLB2B_MAX_CELLS = 1000000;
const XLB2B_MAX_REQUEST_BYTES = 4000000;
const XLB2B_BYTES_PER_CELL = 14;

// A sheet of ours named like an input sheet (the analysis' "Clients") carries
// this sheet-scoped name (udfs.scripts.OUTPUT_MARKER): it is never sent as input.
const XLB2B_OUTPUT_MARKER = "xlb2b_output";

function xlb2bInclude(reads, ours) {
  // the sheets to send: ``reads`` without the sheets of ours (lower-case names)
  return reads.filter((n) => !ours.includes(n.toLowerCase()));
}

async function xlb2bOurSheets() {
  // lower-case names of the sheets that carry XLB2B_OUTPUT_MARKER
  return await Excel.run(async (context) => {
    const sheets = context.workbook.worksheets;
    sheets.load("items/name");
    await context.sync();
    const names = sheets.items.map((sheet) => {
      const n = sheet.names;
      n.load("items/name");
      return [sheet.name, n];
    });
    await context.sync();
    return names
      .filter(([, n]) => n.items.some((item) => item.name.split("!").pop().toLowerCase() === XLB2B_OUTPUT_MARKER))
      .map(([name]) => name.toLowerCase());
  });
}

// Desktop Excel: a book above XLB2B_MAX_CELLS is read here a block of rows at a
// time (each block at most XLB2B_BLOCK_CELLS cells and XLB2B_BLOCK_BYTES of JSON,
// Microsoft's advice for large ranges), each block sent to Python on its own
// (script receive_rows), then the button's script runs on them (run_received);
// up to XLB2B_MAX_BLOCK_CELLS cells in all (udfs.scripts.MAX_LITE_CELLS).
const XLB2B_BLOCK_CELLS = 250000;
const XLB2B_BLOCK_BYTES = 3000000;
const XLB2B_MAX_BLOCK_CELLS = 15000000;

function xlb2bBlockRows(columns) {
  // rows of ``columns`` cells one block takes (udfs.scripts.block_rows)
  const c = Math.max(columns, 1);
  return Math.max(1, Math.min(Math.floor(XLB2B_BLOCK_CELLS / c), Math.floor(XLB2B_BLOCK_BYTES / (c * XLB2B_BYTES_PER_CELL))));
}

function xlb2bBlocks(rows, columns) {
  // [first row, rows] of each block of a sheet of ``rows`` x ``columns`` cells
  const out = [];
  const step = xlb2bBlockRows(columns);
  for (let first = 0; first < rows; first += step) out.push([first, Math.min(step, rows - first)]);
  return out;
}

function xlb2bInBlocks(cells, platform) {
  // true when a book too large for one read goes in blocks instead of the message
  return platform !== "OfficeOnline" && cells <= XLB2B_MAX_BLOCK_CELLS;
}

async function xlb2bSendInBlocks(auth, headers, shapes) {
  // read the sheets ``shapes`` ([name, rows, columns] from A1) a block at a time
  // and send each block to Python; returns the token of this button press
  const token = String(Date.now()) + "-" + Math.random().toString(36).slice(2);
  for (const [name, rows, columns] of shapes) {
    for (const [first, count] of xlb2bBlocks(rows, columns)) {
      const values = await Excel.run(async (context) => {
        const range = context.workbook.worksheets.getItem(name).getRangeByIndexes(first, 0, count, columns);
        range.load("values");
        await context.sync();
        return range.values;
      });
      await xlwings.runPython({
        auth: auth.token,
        scriptName: "receive_rows",
        include: "xlb2b: no sheet",
        args: [token, name, first, JSON.stringify(values)],
        headers: headers,
      });
    }
  }
  return token;
}

function xlb2bTooLarge(cells, platform) {
  // true when input sheets of that many cells in all may not be read
  if (cells > XLB2B_MAX_CELLS) return true;
  return platform === "OfficeOnline" && cells * XLB2B_BYTES_PER_CELL > XLB2B_MAX_REQUEST_BYTES;
}

async function xlb2bSizeProblem(reads, ours = []) {
  // [transactions sheet, its rows, cells of the input sheets, platform] when
  // the input sheets among ``reads`` are too large to send, else null
  const platform =
    typeof Office !== "undefined" && Office.context && Office.context.platform
      ? String(Office.context.platform)
      : "";
  return await Excel.run(async (context) => {
    const sheets = context.workbook.worksheets;
    sheets.load("items/name");
    await context.sync();
    const inputs = XLB2B_INPUT_SHEETS.filter((n) => reads.includes(n)).map((n) => n.toLowerCase());
    const transactions = XLB2B_TRANSACTION_SHEETS.map((n) => n.toLowerCase());
    const used = [];
    for (const sheet of sheets.items) {
      if (!inputs.includes(sheet.name.toLowerCase()) || ours.includes(sheet.name.toLowerCase())) continue;
      const range = sheet.getUsedRangeOrNullObject(true);
      range.load("rowIndex, columnIndex, rowCount, columnCount");
      used.push([sheet.name, range]);
    }
    await context.sync();
    let cells = 0;
    let tx = null;
    const shapes = [];
    for (const [name, range] of used) {
      if (range.isNullObject) continue;
      // from A1 to the used range's last cell, as the scripts read a sheet
      const rows = range.rowIndex + range.rowCount;
      const columns = range.columnIndex + range.columnCount;
      cells += rows * columns;
      shapes.push([name, rows, columns]);
      if (tx === null && transactions.includes(name.toLowerCase())) tx = [name, rows];
    }
    if (tx === null || !xlb2bTooLarge(cells, platform)) return null;
    return { message: [tx[0], tx[1], cells, platform], shapes: shapes };
  });
}

async function xlb2bRun(scriptName) {
  const auth =
    typeof globalThis.getAuth === "function"
      ? await globalThis.getAuth()
      : { token: "", provider: "" };
  const headers = { "Auth-Provider": auth.provider };
  let reads = XLB2B_READS[scriptName] === undefined ? [] : XLB2B_READS[scriptName];
  const ours = await xlb2bOurSheets();
  if (reads !== null) reads = xlb2bInclude(reads, ours);
  if (reads === null || reads.some((n) => XLB2B_TRANSACTION_SHEETS.includes(n))) {
    const problem = await xlb2bSizeProblem(reads === null ? XLB2B_INPUT_SHEETS : reads, ours);
    if (problem && reads !== null && xlb2bInBlocks(problem.message[2], problem.message[3])) {
      const token = await xlb2bSendInBlocks(auth, headers, problem.shapes);
      const sent = problem.shapes.map(([name]) => name.toLowerCase());
      await xlwings.runPython({
        auth: auth.token,
        scriptName: "run_received",
        include: reads.filter((n) => !sent.includes(n.toLowerCase())).join(","),
        args: [token, scriptName],
        headers: headers,
      });
      return;
    }
    if (problem) {
      await xlwings.runPython({
        auth: auth.token,
        scriptName: "size_message",
        include: "xlb2b: no sheet",
        args: problem.message,
        headers: headers,
      });
      return;
    }
  }
  await xlwings.runPython({
    auth: auth.token,
    scriptName: scriptName,
    include: reads === null ? "" : reads.join(","),
    headers: headers,
  });
}

// ------------------------------------------------------------------ handlers
async function xlb2bRange(context, action) {
  const sheets = context.workbook.worksheets.load("items");
  await context.sync();
  return sheets.items[action.sheet_position].getRangeByIndexes(
    action.start_row,
    action.start_column,
    action.row_count,
    action.column_count,
  );
}

async function xlb2bSheet(context, position) {
  const sheets = context.workbook.worksheets.load("items");
  await context.sync();
  return sheets.items[position];
}

function xlb2bPascal(text) {
  // "edge_top" -> "EdgeTop", "greater_than_or_equal" -> "GreaterThanOrEqual"
  return String(text)
    .split("_")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
}

const XLB2B_OPERATORS = {
  between: "Between",
  not_between: "NotBetween",
  equal_to: "EqualTo",
  not_equal_to: "NotEqualTo",
  greater_than: "GreaterThan",
  less_than: "LessThan",
  greater_than_or_equal: "GreaterThanOrEqualTo",
  less_than_or_equal: "LessThanOrEqualTo",
};

async function setFormula(context, action) {
  const range = await xlb2bRange(context, action);
  // one formula for a bigger range: Excel fills it, adjusting relative references
  range.formulas = action.values;
  await context.sync();
}

async function setBorderProperty(context, action) {
  const range = await xlb2bRange(context, action);
  const [side, attribute, value] = action.args;
  const border = range.format.borders.getItem(xlb2bPascal(side));
  if (attribute === "line_style") border.style = value === null ? "None" : xlb2bPascal(value);
  else if (attribute === "weight") border.weight = xlb2bPascal(value);
  else if (attribute === "color") border.color = value;
  await context.sync();
}

async function setColumnWidth(context, action) {
  const range = await xlb2bRange(context, action);
  range.format.columnWidth = Number(action.args[0]);
  await context.sync();
}

async function setRowHeight(context, action) {
  const range = await xlb2bRange(context, action);
  range.format.rowHeight = Number(action.args[0]);
  await context.sync();
}

async function setWrapText(context, action) {
  const range = await xlb2bRange(context, action);
  range.format.wrapText = Boolean(action.args[0]);
  await context.sync();
}

async function setHorizontalAlignment(context, action) {
  const range = await xlb2bRange(context, action);
  range.format.horizontalAlignment = action.args[0];
  await context.sync();
}

async function setVerticalAlignment(context, action) {
  const range = await xlb2bRange(context, action);
  range.format.verticalAlignment = action.args[0];
  await context.sync();
}

async function rangeMerge(context, action) {
  const range = await xlb2bRange(context, action);
  range.merge(Boolean(action.args[0]));
  await context.sync();
}

async function setSheetVisibility(context, action) {
  const sheet = await xlb2bSheet(context, action.sheet_position);
  sheet.visibility = action.args[0];
  await context.sync();
}

async function copySheet(context, action) {
  const [position, targetIndex, name] = action.args;
  const sheets = context.workbook.worksheets.load("items");
  await context.sync();
  const copy = sheets.items[action.sheet_position].copy(position, sheets.items[targetIndex]);
  copy.name = name;
  await context.sync();
}

async function setDataValidationList(context, action) {
  const range = await xlb2bRange(context, action);
  const [source, inCellDropDown] = action.args;
  let listSource;
  if (source.type === "literal") {
    listSource = source.values.join(",");
  } else if (source.type === "name") {
    listSource = "=" + source.name;
  } else {
    listSource = await xlb2bRange(context, source);
  }
  range.dataValidation.clear();
  range.dataValidation.rule = {
    list: { inCellDropDown: inCellDropDown !== false, source: listSource },
  };
  await context.sync();
}

async function setDataValidationRule(context, action) {
  const range = await xlb2bRange(context, action);
  const rule = action.args[0];
  const kind = { whole_number: "wholeNumber", decimal: "decimal" }[rule.type] || rule.type;
  const spec = { operator: XLB2B_OPERATORS[rule.operator] || xlb2bPascal(rule.operator) };
  if (rule.formula1 !== null && rule.formula1 !== undefined) spec.formula1 = rule.formula1;
  if (rule.formula2 !== null && rule.formula2 !== undefined) spec.formula2 = rule.formula2;
  range.dataValidation.clear();
  range.dataValidation.rule = { [kind]: spec };
  await context.sync();
}

async function addConditionalFormat(context, action) {
  const range = await xlb2bRange(context, action);
  const entry = action.args[0];
  if (entry.type === "ColorScale") {
    const cf = range.conditionalFormats.add(Excel.ConditionalFormatType.colorScale);
    const colors = entry.colors || [];
    const criteria = {
      minimum: { type: "LowestValue", color: colors[0] },
      maximum: { type: "HighestValue", color: colors[colors.length - 1] },
    };
    if (colors.length === 3) criteria.midpoint = { type: "Percentile", formula: "50", color: colors[1] };
    cf.colorScale.criteria = criteria;
  } else if (entry.type === "CellValue") {
    const cf = range.conditionalFormats.add(Excel.ConditionalFormatType.cellValue);
    const rule = { operator: entry.operator, formula1: String(entry.formula1) };
    if (entry.formula2 !== null && entry.formula2 !== undefined) rule.formula2 = String(entry.formula2);
    cf.cellValue.rule = rule;
    if (entry.fill_color) cf.cellValue.format.fill.color = entry.fill_color;
    if (entry.font_color) cf.cellValue.format.font.color = entry.font_color;
    if (entry.font_bold) cf.cellValue.format.font.bold = true;
  }
  await context.sync();
}

async function addChart(context, action) {
  const [name, chartType, sourceSheet, address, left, top, width, height, plotBy] = action.args;
  const sheet = await xlb2bSheet(context, action.sheet_position);
  const source = context.workbook.worksheets.getItem(sourceSheet).getRange(address);
  const chart = sheet.charts.add(chartType, source, plotBy || "Auto");
  if (name) chart.name = name;
  chart.left = left;
  chart.top = top;
  chart.width = width;
  chart.height = height;
  await context.sync();
}

async function xlb2bChart(context, action) {
  const sheet = await xlb2bSheet(context, action.sheet_position);
  return sheet.charts.getItemAt(action.args[0]);
}

async function setChartTitle(context, action) {
  const chart = await xlb2bChart(context, action);
  chart.title.text = action.args[1];
  chart.title.visible = true;
  await context.sync();
}

async function setChartType(context, action) {
  const chart = await xlb2bChart(context, action);
  chart.chartType = action.args[1];
  await context.sync();
}

async function setChartSourceData(context, action) {
  const chart = await xlb2bChart(context, action);
  const source = context.workbook.worksheets.getItem(action.args[1]).getRange(action.args[2]);
  chart.setData(source, action.args[3] || "Auto");
  await context.sync();
}

async function setChartXAxisValues(context, action) {
  const chart = await xlb2bChart(context, action);
  const source = context.workbook.worksheets.getItem(action.args[1]).getRange(action.args[2]);
  chart.series.getItemAt(0).setXAxisValues(source);
  await context.sync();
}

const XLB2B_HANDLERS = [
  setFormula,
  setBorderProperty,
  setColumnWidth,
  setRowHeight,
  setWrapText,
  setHorizontalAlignment,
  setVerticalAlignment,
  rangeMerge,
  setSheetVisibility,
  copySheet,
  setDataValidationList,
  setDataValidationRule,
  addConditionalFormat,
  addChart,
  setChartTitle,
  setChartType,
  setChartSourceData,
  setChartXAxisValues,
];

if (typeof module !== "undefined" && module.exports) {
  // node (tests): the tables and checks above, without Office
  module.exports = {
    XLB2B_BUTTONS,
    XLB2B_READS,
    XLB2B_MAX_CELLS,
    XLB2B_MAX_REQUEST_BYTES,
    XLB2B_BYTES_PER_CELL,
    XLB2B_HANDLERS,
    XLB2B_OUTPUT_MARKER,
    xlb2bInclude,
    xlb2bBlocks,
    xlb2bInBlocks,
    XLB2B_MAX_BLOCK_CELLS,
    xlb2bTooLarge,
    xlb2bSizeProblem,
    xlb2bRun,
  };
} else {
  for (const handler of XLB2B_HANDLERS) {
    if (!globalThis.callbacks || !(handler.name in globalThis.callbacks)) {
      xlwings.registerCallback(handler);
    }
  }
  for (const [functionName, scriptName] of Object.entries(XLB2B_BUTTONS)) {
    Office.actions.associate(functionName, async (event) => {
      try {
        await xlb2bRun(scriptName);
      } finally {
        event.completed();
      }
    });
  }
}
