// Business hours and holidays of the SLA document's calendars as a form: the weekly opening
// hours, a month grid with the holidays marked (click a day to add or remove one, with its name),
// and an import of pasted dates ("2026-12-24 Heiligabend", "24.12.2026"), refused line by line
// and saved only when every line is a date. Calendars open around the clock have nothing to edit.
import { el } from "../dom.js";
import { FormError, field } from "./config-forms.js";

const DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const SHORT = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];
const RANGE = /^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$/;

// What the person looks at survives the re-render after each save.
let shownCalendar = null;
let shownMonth = null; // "YYYY-MM"
let selectedDay = null; // "YYYY-MM-DD"

const pad = (n) => String(n).padStart(2, "0");
const iso = (y, m, d) => `${y}-${pad(m)}-${pad(d)}`;
const german = (date) => date.split("-").reverse().join(".");

/** `YYYY-MM-DD` if year, month and day make a real date, else null. */
function realDate(y, m, d) {
  const t = new Date(Date.UTC(y, m - 1, d));
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== m - 1 || t.getUTCDate() !== d) return null;
  return iso(y, m, d);
}

/** The pasted holiday lines as `{holidays: [[date, name]], errors: [{line, text, problem}]}`;
 * empty lines and `#` comments are skipped. */
export function parseHolidayLines(text) {
  const holidays = [];
  const errors = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const m = line.match(/^(\d{4})-(\d{1,2})-(\d{1,2})(?=$|[\s,;])(.*)$/) || line.match(/^(\d{1,2})\.(\d{1,2})\.(\d{4})(?=$|[\s,;])(.*)$/);
    if (!m) {
      errors.push({ line: i + 1, text: line, problem: "does not start with a date like 2026-12-24 or 24.12.2026" });
      return;
    }
    const [y, mo, d] = m[1].length === 4 ? [m[1], m[2], m[3]] : [m[3], m[2], m[1]];
    const date = realDate(Number(y), Number(mo), Number(d));
    if (!date) {
      errors.push({ line: i + 1, text: line, problem: "is not a date in the calendar" });
      return;
    }
    holidays.push([date, m[4].replace(/^[\s,;–-]+/, "").trim()]);
  });
  return { holidays, errors };
}

/** The calendar's holidays as a Map date → name ("" when it has none). */
function holidayMap(calendar) {
  return new Map((calendar.holidays || []).map((h) => (typeof h === "string" ? [h, ""] : [h.date, h.name || ""])));
}

/** Writes `map` back: plain dates, or `{date, name}` where there is a name; sorted. */
function setHolidays(calendar, map) {
  calendar.holidays = [...map.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([date, name]) => (name ? { date, name } : date));
}

function calendarOf(doc, name) {
  const calendar = doc.calendars && doc.calendars[name];
  if (!calendar) throw new FormError("calendars", `the calendar ${name} was removed meanwhile`);
  return calendar;
}

function weekForm(name, calendar, ctx) {
  const inputs = DAYS.map((day) => {
    const input = el("input", { size: 28, placeholder: "closed", "aria-label": `Hours on ${day}`, dataset: { testid: `hours-${day}`, field: `calendars.${name}.${day}` } });
    input.value = (calendar[day] || []).join(", ");
    return [day, input];
  });
  const save = el("button", { type: "button", disabled: !ctx.canEdit, dataset: { testid: "hours-save" } }, "Save hours");
  save.addEventListener("click", () => {
    const week = inputs.map(([day, input]) => [day, input.value.split(",").map((r) => r.replace(/\s+/g, "")).filter(Boolean)]);
    ctx.save((doc) => {
      const cal = calendarOf(doc, name);
      for (const [day, ranges] of week) {
        const bad = ranges.find((r) => !RANGE.test(r));
        if (bad) throw new FormError(`calendars.${name}.${day}`, `"${bad}" is not like 08:00-18:00`);
        cal[day] = ranges;
      }
    }, `hours of ${name}`);
  });
  return el(
    "fieldset",
    { dataset: { testid: "hours-week" } },
    el("legend", {}, "Opening hours per day (ranges like 08:00-12:00, 13:00-18:00; empty: closed)"),
    el("table", {}, el("tbody", {}, inputs.map(([day, input]) => el("tr", {}, el("th", {}, day), el("td", {}, input))))),
    save,
  );
}

function monthGrid(name, calendar, ctx) {
  const holidays = holidayMap(calendar);
  if (!shownMonth) {
    const now = new Date();
    shownMonth = `${now.getFullYear()}-${pad(now.getMonth() + 1)}`;
  }
  const [y, m] = shownMonth.split("-").map(Number);
  const first = new Date(Date.UTC(y, m - 1, 1));
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const lead = (first.getUTCDay() + 6) % 7; // Monday first
  const cells = [];
  for (let i = 0; i < lead; i++) cells.push(el("td", { class: "empty" }));
  for (let d = 1; d <= days; d++) {
    const date = iso(y, m, d);
    const weekday = DAYS[(lead + d - 1) % 7];
    const closed = !(calendar[weekday] || []).length;
    const holiday = holidays.has(date);
    const button = el(
      "button",
      {
        type: "button",
        class: ["day", holiday ? "holiday" : "", closed ? "closed" : "", date === selectedDay ? "selected" : ""].filter(Boolean).join(" "),
        title: holiday ? `${german(date)}: ${holidays.get(date) || "holiday"}` : german(date),
        "aria-pressed": date === selectedDay ? "true" : "false",
        dataset: { testid: "calendar-day", date, holiday: holiday ? "yes" : "no" },
      },
      String(d),
      holiday && holidays.get(date) ? el("small", {}, holidays.get(date)) : null,
    );
    button.addEventListener("click", () => {
      selectedDay = date;
      ctx.rerender();
    });
    cells.push(el("td", {}, button));
  }
  const rows = [];
  for (let i = 0; i < cells.length; i += 7) rows.push(el("tr", {}, cells.slice(i, i + 7)));

  const go = (delta) => {
    const t = new Date(Date.UTC(y, m - 1 + delta, 1));
    shownMonth = `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}`;
    ctx.rerender();
  };
  const monthInput = el("input", { type: "month", value: shownMonth, "aria-label": "Month", dataset: { testid: "calendar-month" } });
  monthInput.addEventListener("change", () => {
    if (/^\d{4}-\d{2}$/.test(monthInput.value)) {
      shownMonth = monthInput.value;
      ctx.rerender();
    }
  });
  const title = new Intl.DateTimeFormat("en", { month: "long", year: "numeric", timeZone: "UTC" }).format(first);

  return el(
    "div",
    { class: "month", dataset: { testid: "calendar", month: shownMonth } },
    el("p", {}, el("button", { type: "button", "aria-label": "Previous month", dataset: { testid: "calendar-prev" }, onclick: () => go(-1) }, "‹"), " ", el("strong", {}, title), " ", el("button", { type: "button", "aria-label": "Next month", dataset: { testid: "calendar-next" }, onclick: () => go(1) }, "›"), " ", monthInput),
    el("table", { class: "month-grid" }, el("thead", {}, el("tr", {}, SHORT.map((s) => el("th", {}, s)))), el("tbody", {}, rows)),
    dayPanel(name, holidays, ctx),
  );
}

/** What the selected day offers: remove its holiday, or add one with a name. */
function dayPanel(name, holidays, ctx) {
  if (!selectedDay) return el("p", { class: "hint" }, "Click a day to add or remove a holiday.");
  const date = selectedDay;
  if (holidays.has(date)) {
    const remove = el("button", { type: "button", disabled: !ctx.canEdit, dataset: { testid: "holiday-remove" } }, "Remove holiday");
    remove.addEventListener("click", () =>
      ctx.save((doc) => {
        const cal = calendarOf(doc, name);
        const map = holidayMap(cal);
        map.delete(date);
        setHolidays(cal, map);
      }, `holiday ${date} removed`),
    );
    return el("p", { dataset: { testid: "holiday-panel", date } }, `${german(date)}: ${holidays.get(date) || "holiday"} `, remove);
  }
  const holidayName = el("input", { maxlength: 80, placeholder: "Name, e.g. Betriebsausflug", "aria-label": "Holiday name", dataset: { testid: "holiday-name", field: `calendars.${name}.holidays` } });
  const add = el("button", { type: "button", disabled: !ctx.canEdit, dataset: { testid: "holiday-add" } }, "Add holiday");
  add.addEventListener("click", () => {
    const label = holidayName.value.trim();
    ctx.save((doc) => {
      const cal = calendarOf(doc, name);
      const map = holidayMap(cal);
      map.set(date, label);
      setHolidays(cal, map);
    }, `holiday ${date}${label ? ` ${label}` : ""}`);
  });
  return el("p", { dataset: { testid: "holiday-panel", date } }, `${german(date)}: `, holidayName, " ", add);
}

function importForm(name, ctx) {
  const text = el("textarea", { rows: 5, cols: 50, placeholder: "2026-12-24 Heiligabend\n31.12.2026 Silvester", "aria-label": "Holidays to import", dataset: { testid: "holiday-import", field: `calendars.${name}.holidays` } });
  const errors = el("ul", { role: "alert", class: "error", dataset: { testid: "holiday-import-errors" } });
  const run = el("button", { type: "button", disabled: !ctx.canEdit, dataset: { testid: "holiday-import-run" } }, "Import");
  run.addEventListener("click", () => {
    const parsed = parseHolidayLines(text.value);
    errors.replaceChildren(...parsed.errors.map((e) => el("li", { dataset: { testid: "holiday-import-error", line: e.line } }, `Line ${e.line} ("${e.text}"): ${e.problem}`)));
    if (parsed.errors.length) {
      errors.prepend(el("li", {}, "Nothing imported; correct these lines and import again."));
      return;
    }
    if (!parsed.holidays.length) {
      errors.replaceChildren(el("li", {}, "Paste one date per line first."));
      return;
    }
    ctx.save((doc) => {
      const cal = calendarOf(doc, name);
      const map = holidayMap(cal);
      // A date already there keeps its name unless the line gives one.
      for (const [date, label] of parsed.holidays) map.set(date, label || map.get(date) || "");
      setHolidays(cal, map);
    }, `${parsed.holidays.length} holidays imported`);
  });
  return el(
    "fieldset",
    { dataset: { testid: "holiday-import-form" } },
    el("legend", {}, "Import holidays (one per line: 2026-12-24 Heiligabend or 24.12.2026)"),
    text,
    " ",
    run,
    errors,
  );
}

export function hoursForm(json, ctx) {
  const calendars = Object.entries(json.calendars || {}).filter(([, c]) => !c.always);
  const section = el("section", { class: "config-form", "aria-label": "Business hours and holidays", dataset: { testid: "hours-form" } }, el("h3", {}, "Business hours and holidays"));
  if (!calendars.length) {
    section.append(el("p", {}, "Every calendar is open around the clock."));
    return section;
  }
  if (!calendars.some(([n]) => n === shownCalendar)) shownCalendar = calendars[0][0];
  const select = el("select", { "aria-label": "Calendar", dataset: { testid: "calendar-select" } }, calendars.map(([n]) => el("option", { value: n, selected: n === shownCalendar }, n)));
  select.addEventListener("change", () => {
    shownCalendar = select.value;
    ctx.rerender();
  });
  const calendar = json.calendars[shownCalendar];
  section.append(
    el("p", {}, field("Calendar", select), ` Time zone: ${calendar.time_zone || "UTC"}`),
    el("div", { class: "form-row" }, monthGrid(shownCalendar, calendar, ctx), weekForm(shownCalendar, calendar, ctx)),
    importForm(shownCalendar, ctx),
  );
  return section;
}
